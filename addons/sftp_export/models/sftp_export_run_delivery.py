"""The cron's work on the history lines: build the file, then deliver it.

queued --build--> ready --(commit)--> upload --> delivered --(commit)
A worker that dies after the upload but before its commit leaves the line
"ready": the next run finds the identical file under the final name on the
server and only records the delivery (SftpClient.upload never renames twice).
"""

import datetime
import io
import logging
import tempfile

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools.misc import format_datetime

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
            if run.state == "queued":
                try:
                    with self.env.cr.savepoint():
                        run._build()
                except Exception:
                    # A bug must not stop the other lines, nor come back forever.
                    _logger.exception("SFTP export %s: the file failed", run.id)
                    run._fail(
                        self.env._(
                            "The file could not be made because of an error in "
                            "Odoo: ask your administrator to read the server log."
                        )
                    )
                # "ready" is committed before anything leaves Odoo.
                Cron._commit_progress()
                if run.state != "ready" or not run.try_lock_for_update(
                    allow_referencing=True
                ):
                    if Cron._commit_progress(1) < TIME_NEEDED:
                        break
                    continue
            run._deliver()
            if Cron._commit_progress(1) < TIME_NEEDED:
                break

    def _lang(self):
        # Odoo runs crons without a language: what the run keeps (errors,
        # chatter) is written in the language of the company it exports for.
        return self.company_id.partner_id.lang or self.env.user.lang or "en_US"

    # -- build ------------------------------------------------------------------
    def _build(self):
        """Make the file of a queued line and keep it as its attachment."""
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
            records, left_out = line._select()
            line._post_left_out(left_out)
            if not records:
                self.state = "skipped"
                self.schedule_id._post_run_feed(self)
                return
            file_name = line.format_id._file_name(
                local_now, zipped=line.include_attachments
            )
            with tempfile.TemporaryFile() as target:
                originals = line._write_file(target, records, local_now)
                target.seek(0)
                attachment = self.env["ir.attachment"].create(
                    {
                        "name": file_name,
                        "raw": target.read(),
                        "res_model": self._name,
                        "res_id": self.id,
                        "mimetype": "application/zip"
                        if line.include_attachments
                        else "text/csv",
                    }
                )
            remote = self.server_id._remote_url(file_name)
        except (UserError, ValueError) as error:
            return self._fail(
                self.env._("The file could not be made: %s", _text(self.env, error))
            )
        self._link_records(records)
        self.write(
            {
                "state": "ready",
                "file_name": file_name,
                "remote_path": remote,
                "record_count": len(records),
                "attachment_count": originals,
                "attachment_id": attachment.id,
                "next_attempt": fields.Datetime.now(),
                "date": fields.Datetime.now(),
            }
        )

    # -- deliver ----------------------------------------------------------------
    def _deliver(self):
        """One upload attempt of a ready line."""
        self.ensure_one()
        self.attempts += 1
        try:
            client = self.server_id._sftp_client()
            self.remote_path = self.server_id._remote_url(self.file_name)
            client.upload(io.BytesIO(self.attachment_id.raw or b""), self.file_name)
        except SftpError as error:
            return self._attempt_failed(error)
        except (UserError, ValueError) as error:
            return self._fail(_text(self.env, error))
        self.write(
            {
                "state": "delivered",
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
    if isinstance(error, SftpError):
        return env._(error.message)
    if isinstance(error, UserError):
        return error.args[0]
    return str(error)
