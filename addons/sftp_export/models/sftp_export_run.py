import contextlib
import hashlib
import io
import logging
import os
import shutil
import tempfile

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..services.growing_file import GrowingFile
from ..services.sftp_client import SftpError
from .sftp_export_format import DATASETS
from .sftp_export_server import error_text

_logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
LINK_FIELDS = {"account.move": "move_ids", "hr.expense": "expense_ids"}
RUN_STATES = [
    ("delivered", "Delivered"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
]


class SftpExportRun(models.Model):
    _name = "sftp.export.run"
    _description = "Export history"
    _order = "date desc, id desc"
    _check_company_auto = True

    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    schedule_id = fields.Many2one(
        "sftp.export.schedule",
        string="Automatic export",
        ondelete="set null",
        readonly=True,
        check_company=True,
        index=True,
    )
    server_id = fields.Many2one(
        "sftp.export.server", ondelete="set null", readonly=True, check_company=True
    )
    dataset = fields.Selection(DATASETS, required=True, readonly=True)
    format_id = fields.Many2one(
        "sftp.export.format", ondelete="set null", readonly=True
    )
    file_name = fields.Char(readonly=True)
    remote_path = fields.Char(string="Destination", readonly=True)
    record_count = fields.Integer(string="Records", readonly=True)
    attachment_count = fields.Integer(string="Originals", readonly=True)
    state = fields.Selection(RUN_STATES, string="Status", required=True, readonly=True)
    error = fields.Text(readonly=True)
    attachment_id = fields.Many2one(
        "ir.attachment", string="File", readonly=True, ondelete="set null"
    )
    resent_from_id = fields.Many2one(
        "sftp.export.run", string="Send again of", readonly=True, ondelete="set null"
    )
    # The records in the file. A record's "Exported on" is the date of the last
    # delivered run that holds it, so marks and history can never disagree.
    expense_ids = fields.Many2many(
        "hr.expense",
        relation="sftp_export_run_hr_expense_rel",
        column1="run_id",
        column2="expense_id",
        string="Expenses",
        readonly=True,
        copy=False,
    )
    move_ids = fields.Many2many(
        "account.move",
        relation="sftp_export_run_account_move_rel",
        column1="run_id",
        column2="move_id",
        string="Vendor bills",
        readonly=True,
        copy=False,
    )

    def action_resend(self):
        """Upload the kept file again, byte for byte, as a new history line."""
        self.ensure_one()
        if not self.attachment_id:
            raise UserError(self.env._("This history line has no file to send again."))
        if not self.server_id:
            raise UserError(self.env._("The SFTP server of this export was deleted."))
        new_run = self.create(
            {
                "company_id": self.company_id.id,
                "schedule_id": self.schedule_id.id,
                "server_id": self.server_id.id,
                "dataset": self.dataset,
                "format_id": self.format_id.id,
                "file_name": self.file_name,
                "record_count": self.record_count,
                "attachment_count": self.attachment_count,
                "state": "failed",
                "attachment_id": self.attachment_id.id,
                "resent_from_id": self.id,
            }
        )
        new_run._link_records(self.move_ids)
        new_run._link_records(self.expense_ids)
        with open_attachment(self.attachment_id) as handle:
            new_run._deliver(handle)
        if self.schedule_id:
            self.schedule_id._post_run_feed(new_run)
        return True

    def _deliver(self, fileobj):
        """Upload fileobj, then mark the records exported. Failures stay on the run."""
        self.ensure_one()
        try:
            client = self._client()
            client.upload(fileobj, self.file_name)
        except (SftpError, ValueError, UserError) as error:
            return self._failed(error)
        return self._delivered()

    @contextlib.contextmanager
    def _delivering(self, produced):
        """Upload the file while it is being written to the yielded
        delivery.stream.

        produced: an empty binary file (read and write) that receives the file;
        it is kept on the history line once complete. When the block raises, the
        upload is abandoned (nothing under the final name) and the error passes
        on; delivery.cancel() abandons it too and makes the run skipped;
        otherwise the run ends delivered or failed.
        """
        self.ensure_one()
        delivery = _Delivery(GrowingFile(produced))
        upload = start_error = None
        try:
            upload = self._client().upload_in_background(
                delivery.stream, self.file_name
            )
        except (ValueError, UserError) as error:
            start_error = error  # the file is still made, to send it again later
        try:
            yield delivery
            if not delivery.cancelled:
                # Kept before the upload may end: a file that could not be kept
                # is not delivered either.
                stream = delivery.stream
                stream.flush()
                self._attach(produced, stream.checksum(), stream.size)
        except BaseException:
            delivery.cancel()
            raise
        finally:
            if delivery.cancelled:
                delivery.stream.abort()
                if upload:
                    with contextlib.suppress(Exception):  # nothing was delivered
                        upload.wait()
        if delivery.cancelled:
            self.write({"state": "skipped", "file_name": False, "remote_path": False})
            return
        delivery.stream.finish()
        try:
            if start_error:
                raise start_error
            upload.wait()
        except (SftpError, ValueError, UserError) as error:
            self._failed(error)
        else:
            self._delivered()

    def _client(self):
        """The SFTP client of the run's server; sets the destination shown."""
        self.remote_path = self.server_id._remote_url(self.file_name)
        return self.server_id._sftp_client()

    def _failed(self, error):
        # The message of SftpError never carries a secret.
        _logger.warning("SFTP export %s failed: %s", self.file_name, error)
        self.write({"state": "failed", "error": error_text(self.env, error)})
        return False

    def _delivered(self):
        # Only now the file is complete under its final name: the delivered state
        # is what marks the records exported.
        self.write(
            {"state": "delivered", "error": False, "date": fields.Datetime.now()}
        )
        return True

    def _link_records(self, records):
        """Remember which records the file holds.

        One INSERT for the whole file: a file holds thousands of records, and the
        ORM would write the relation row by row with a parameter per value.
        """
        self.ensure_one()
        if not records:
            return
        field = self._fields[LINK_FIELDS[records._name]]
        self.env.execute_query(
            SQL(
                "INSERT INTO %s (%s, %s) SELECT %s, unnest(%s::int[]) "
                "ON CONFLICT DO NOTHING",
                SQL.identifier(field.relation),
                SQL.identifier(field.column1),
                SQL.identifier(field.column2),
                self.id,
                records.ids,
            )
        )
        self.invalidate_recordset([field.name])
        records.invalidate_recordset(["sftp_run_ids", "sftp_exported_on"])

    def _new_file(self):
        """A temporary file (read and write) for the file the export produces.

        Made in the filestore's folder, so that keeping it with _attach() is a
        link, not a copy of a possibly large zip.
        """
        Attachment = self.env["ir.attachment"]
        directory = None
        if Attachment._storage() != "db":
            directory = Attachment._filestore()
            os.makedirs(directory, exist_ok=True)
        return tempfile.NamedTemporaryFile(prefix=".sftp_export_", dir=directory)

    def _attach(self, fileobj, checksum=None, size=None):
        """Keep the produced file on the history line, for Send again.

        With the filestore (Odoo's default), a file made by _new_file() is linked
        into it, any other is copied in chunks: a zip of originals can be large
        and is never held in memory. The location
        follows Odoo's own layout (checksum-named, garbage-collected when the
        transaction is rolled back).
        """
        self.ensure_one()
        Attachment = self.env["ir.attachment"]
        values = {
            "name": self.file_name,
            "res_model": self._name,
            "res_id": self.id,
            "mimetype": "application/zip"
            if self.file_name.endswith(".zip")
            else "text/csv",
        }
        fileobj.seek(0)
        if Attachment._storage() == "db":
            attachment = Attachment.create(dict(values, raw=fileobj.read()))
        else:
            attachment = Attachment.create(values)
            if checksum is None:
                checksum, size = _checksum(fileobj)
            fname = f"{checksum[:2]}/{checksum}"
            full_path = Attachment._full_path(fname)
            if not os.path.exists(full_path):
                os.makedirs(os.path.dirname(full_path), exist_ok=True)
                if not _hard_link(fileobj, full_path):
                    fileobj.seek(0)
                    with open(full_path + ".part", "wb") as target:
                        shutil.copyfileobj(fileobj, target, CHUNK)
                    os.replace(full_path + ".part", full_path)
                Attachment._mark_for_gc(fname)
            # create() computes these from raw bytes only; set them for the copy.
            self.env.cr.execute(
                SQL(
                    "UPDATE ir_attachment SET store_fname = %s, checksum = %s, "
                    "file_size = %s WHERE id = %s",
                    fname,
                    checksum,
                    size,
                    attachment.id,
                )
            )
            attachment.invalidate_recordset(["store_fname", "checksum", "file_size"])
        self.attachment_id = attachment
        return attachment


def _hard_link(fileobj, path):
    """Link the named file fileobj at path; False when it cannot be linked."""
    name = getattr(fileobj, "name", None)
    if not isinstance(name, str) or not os.path.exists(name):
        return False
    try:
        os.link(name, path)
    except FileExistsError:
        return True  # the same content (same checksum) is there already
    except OSError:
        return False
    return True


def _checksum(fileobj):
    """SHA-1 (Odoo's attachment checksum) and size, read in chunks."""
    digest = hashlib.sha1()
    size = 0
    fileobj.seek(0)
    while chunk := fileobj.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def open_attachment(attachment):
    """A binary file object on an attachment's content, from the filestore when
    it is there (no copy in memory)."""
    if attachment.store_fname:
        path = attachment._full_path(attachment.store_fname)
        if os.path.exists(path):
            return open(path, "rb")
    return io.BytesIO(attachment.raw or b"")


class _Delivery:
    """What the export writes to while the upload runs (see _delivering)."""

    def __init__(self, stream):
        self.stream = stream
        self.cancelled = False

    def cancel(self):
        self.cancelled = True
