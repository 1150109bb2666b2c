"""The cron's work on the history lines: build the file, then deliver it.

queued --build--> ready --(commit)--> upload --> delivered --(commit)
(the login to the server is made while the file is built: connect_ahead).
A worker that dies after the upload but before its commit leaves the line
"ready": the next run finds the identical file under the final name on the
server and only records the delivery (SftpClient.upload never renames twice).

Only the CSV is kept (as the line's attachment). A zip is uploaded from the
temporary file it was written to; a retry, a recovery or "Send again" makes
it again from the CSV and the same originals, byte for byte the same (fixed
member dates, the originals' checksums and the size are checked). Storing the
zip as well would write and hash every original a second time.
"""

import contextlib
import datetime
import io
import logging
import posixpath
import tempfile

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools.misc import format_datetime

from ..services import export_file
from ..services.paths import PathError
from ..services.sftp_client import SftpError

_logger = logging.getLogger(__name__)

RETRY_MINUTES = (1, 5, 15, 60)  # waits before the 2nd, 3rd, ... upload attempt
CRON_BATCH = 20  # history lines per cron step
TIME_NEEDED = 20  # seconds a line may take: stop the cron run with less left
CRON_XMLID = "sftp_export.ir_cron_run_due_schedules"


class SftpExportRun(models.Model):
    _inherit = "sftp.export.run"

    @api.model
    def _due_domain(self):
        now = fields.Datetime.now()
        return Domain("state", "=", "queued") | (
            Domain("state", "=", "ready") & Domain("next_attempt", "<=", now)
        )

    @api.model
    def _process_due_runs(self, more_remaining=0):
        """Build queued lines and deliver ready ones, each step committed.

        Bounded: a batch per call, and it stops while the cron has time left;
        Odoo's cron runs it again while lines remain.
        """
        Cron = self.env["ir.cron"]
        # sudo: the cron serves every company, whatever companies its user has.
        Run = self.sudo()
        runs = Run.search(self._due_domain(), order="id", limit=CRON_BATCH)
        remaining = Run.search_count(self._due_domain()) + more_remaining
        Cron._commit_progress(remaining=remaining)
        for run in runs:
            # Another worker may hold it: skip, it stays due.
            run = run.try_lock_for_update(allow_referencing=True)
            if not run or run.state not in ("queued", "ready"):
                continue
            run = run.with_company(run.company_id).with_context(lang=run._lang())
            if run.state == "ready":
                run._deliver()
            else:
                run._build_and_deliver()
            if Cron._commit_progress(1) < TIME_NEEDED:
                break

    def _build_and_deliver(self):
        """Make the file of a queued line, commit it "ready", upload it from
        the temporary file it was written to."""
        Cron = self.env["ir.cron"]
        with tempfile.TemporaryFile() as built, contextlib.ExitStack() as stack:
            client = self._client_for_build(stack)
            try:
                with self.env.cr.savepoint():
                    self._build(built, client)
            except Exception:
                # A bug must not stop the other lines, nor come back forever.
                _logger.exception("SFTP export %s: the file failed", self.id)
                self._fail(
                    self.env._(
                        "The file could not be made because of an error in "
                        "Odoo: ask your administrator to read the server log."
                    )
                )
            # "ready" is committed before anything leaves Odoo.
            Cron._commit_progress()
            if self.state == "ready" and self.try_lock_for_update(
                allow_referencing=True
            ):
                self._deliver(built, client)

    def _client_for_build(self, stack):
        """The SFTP client of the line's server, closed when the stack ends;
        None when its settings are incomplete (the delivery says what to do)."""
        if not self.server_id:
            return None
        try:
            client = self.server_id._sftp_client()
        except UserError:
            return None
        stack.callback(client.close)
        return client

    def _lang(self):
        # Odoo runs crons without a language: what the run keeps (errors,
        # chatter) is written in the language of the company it exports for.
        return self.company_id.partner_id.lang or self.env.user.lang or "en_US"

    # -- build ------------------------------------------------------------------
    def _build(self, target, client=None):
        """Make the file of a queued line into the binary file target; keep
        its CSV as the line's attachment.

        Once there is something to send, client (when given) logs in to the
        server while the file is made: the login's round trips to a distant
        server then add nothing to the export's time."""
        self.ensure_one()
        line = self.schedule_line_id
        if not line or not self.server_id:
            return self._fail(
                self.env._(
                    "The automatic export or its SFTP server was deleted before "
                    "the file was made."
                )
            )
        local_now = self.schedule_id._local_now()
        try:
            records, left_out, rows = line._select(keep_rows=True)
            line._post_left_out(left_out)
            if not records:
                self.state = "skipped"
                self.schedule_id._post_run_feed(self)
                return
            if client:
                client.connect_ahead()
            csv_name = line.format_id._file_name(local_now)
            file_name = line.format_id._file_name(
                local_now, zipped=line.include_attachments
            )
            csv_data = line._csv_data(records, rows)
            zip_plan, originals = False, 0
            if line.include_attachments:
                zip_plan = {
                    "csv": csv_name,
                    "date_time": export_file.zip_date_time(local_now),
                    "originals": [
                        [member, original.id, original.checksum]
                        for member, original in line._originals(records)
                    ],
                }
                originals = self._write_zip(target, zip_plan, csv_data)
            else:
                target.write(csv_data)
            attachment = self.env["ir.attachment"].create(
                {
                    "name": csv_name,
                    "raw": csv_data,
                    "res_model": self._name,
                    "res_id": self.id,
                    "mimetype": "text/csv",
                }
            )
            remote = self.server_id._remote_url(file_name)
        except (UserError, ValueError) as error:
            return self._fail(
                self.env._("The file could not be made: %s", _text(self.env, error))
            )
        self.write(
            {
                "state": "ready",
                "record_ids": records.ids,
                "file_name": file_name,
                "remote_path": remote,
                "record_count": len(records),
                "attachment_count": originals,
                "attachment_id": attachment.id,
                "zip_plan": zip_plan,
                "file_size": target.tell(),
                "next_attempt": fields.Datetime.now(),
                "date": fields.Datetime.now(),
            }
        )

    def _write_zip(self, target, plan, csv_data):
        """Write the zip of the plan; the originals are read one at a time."""
        entries = plan["originals"]
        found = {
            attachment.id: attachment
            for attachment in self.env["ir.attachment"]
            .sudo()
            .search_fetch(
                [("id", "in", [entry[1] for entry in entries])],
                ["checksum", "store_fname"],
            )
        }
        originals = []
        for member, attachment_id, checksum in entries:
            attachment = found.get(attachment_id)
            if not attachment or attachment.checksum != checksum:
                raise UserError(
                    self.env._(
                        "The original document %s was deleted or changed after "
                        "the file was made: export the records again to send "
                        "them with their current documents.",
                        member.removeprefix(export_file.ORIGINALS_FOLDER),
                    )
                )
            originals.append((member, _reader(attachment)))
        return export_file.write_zip_file(
            target, originals, plan["csv"], csv_data, tuple(plan["date_time"])
        )

    @contextlib.contextmanager
    def _file_to_send(self):
        """The kept file, or the zip made again from its CSV and originals."""
        csv_data = self.attachment_id.raw or b""
        if not self.zip_plan:
            yield io.BytesIO(csv_data)
            return
        with tempfile.TemporaryFile() as target:
            self._write_zip(target, self.zip_plan, csv_data)
            if self.file_size and target.tell() != self.file_size:
                raise UserError(
                    self.env._(
                        "The zip made again differs from the one made for this "
                        "export: export the records again."
                    )
                )
            yield target

    # -- deliver ----------------------------------------------------------------
    def _deliver(self, built=None, client=None):
        """One upload attempt of a ready line: of the file just built (with
        the client that logged in meanwhile), or of the kept file."""
        self.ensure_one()
        self.attempts += 1
        with contextlib.ExitStack() as stack:
            try:
                fileobj = (
                    built
                    if built is not None
                    else stack.enter_context(self._file_to_send())
                )
                client = client or self.server_id._sftp_client()
                self.remote_path = self.server_id._remote_url(self.file_name)
                final, _sent = client.upload(fileobj, self.file_name)
            except SftpError as error:
                return self._attempt_failed(error)
            except (UserError, ValueError) as error:
                return self._fail(_text(self.env, error))
        # Another export of the same second may have taken the name: the
        # history shows the name the file got (export_2.csv).
        file_name = posixpath.basename(final)
        self.write(
            {
                "state": "delivered",
                "file_name": file_name,
                "remote_path": self.server_id._remote_url(file_name),
                "error": False,
                "next_attempt": False,
                "date": fields.Datetime.now(),
            }
        )

    def _attempt_failed(self, error):
        reason = self.env._(error.message)
        # The message never carries a secret.
        _logger.warning("SFTP export %s: attempt failed: %s", self.file_name, error)
        if not error.retryable or self.attempts > len(RETRY_MINUTES):
            return self._fail(reason)
        when = fields.Datetime.now() + datetime.timedelta(
            minutes=RETRY_MINUTES[self.attempts - 1]
        )
        self.write(
            {
                "next_attempt": when,
                "error": self.env._(
                    "Attempt %(attempt)s of %(attempts)s failed: %(reason)s The "
                    "next attempt is at %(when)s.",
                    attempt=self.attempts,
                    attempts=len(RETRY_MINUTES) + 1,
                    reason=reason,
                    when=format_datetime(
                        self.env,
                        when,
                        tz=self.schedule_id.tz or self.env.user.tz,
                        dt_format="short",
                    ),
                ),
            }
        )
        self.env.ref(CRON_XMLID).sudo()._trigger(at=when)

    def _fail(self, reason):
        self.write({"state": "failed", "error": reason, "next_attempt": False})
        if self.schedule_id:
            self.schedule_id._post_run_feed(self)


def _text(env, error):
    """An error's message in the user's language."""
    if isinstance(error, SftpError | PathError):
        return env._(error.message)
    if isinstance(error, UserError):
        return error.args[0]
    return str(error)


def _reader(attachment):
    """A function reading the attachment's content when it is packed: one
    original in memory at a time.

    Through the attachment's storage API (_file_read, which storage addons
    override) with the file names fetched for all originals in one query:
    reading `raw` record by record costs a query per original.
    """
    store_fname = attachment.store_fname
    if store_fname:
        return lambda: attachment._file_read(store_fname)
    return lambda: attachment.with_prefetch().raw or b""
