import io
import logging

from odoo import fields, models
from odoo.exceptions import UserError

from ..services.sftp_client import SftpError
from .sftp_export_format import DATASETS
from .sftp_export_server import error_text

_logger = logging.getLogger(__name__)

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
    expense_ids = fields.Many2many(
        "hr.expense", string="Expenses", readonly=True, copy=False
    )
    move_ids = fields.Many2many(
        "account.move", string="Vendor bills", readonly=True, copy=False
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
                "expense_ids": [fields.Command.set(self.expense_ids.ids)],
                "move_ids": [fields.Command.set(self.move_ids.ids)],
            }
        )
        new_run._deliver(io.BytesIO(self.attachment_id.raw))
        if self.schedule_id:
            self.schedule_id._post_run_feed(new_run)
        return True

    def _deliver(self, fileobj):
        """Upload fileobj, then mark the records exported. Failures stay on the run."""
        self.ensure_one()
        try:
            client = self.server_id._sftp_client()
            self.remote_path = self.server_id._remote_url(self.file_name)
            client.upload(fileobj, self.file_name)
        except (SftpError, ValueError, UserError) as error:
            # The message of SftpError never carries a secret.
            _logger.warning("SFTP export %s failed: %s", self.file_name, error)
            self.write({"state": "failed", "error": error_text(self.env, error)})
            return False
        # Only now the file is complete under its final name.
        now = fields.Datetime.now()
        # sudo: marking is part of the export the user may run; the mark is a
        # read-only field users cannot set themselves.
        self.expense_ids.sudo().write({"sftp_exported_on": now})
        self.move_ids.sudo().write({"sftp_exported_on": now})
        self.write({"state": "delivered", "error": False, "date": now})
        return True

    def _attach(self, fileobj):
        self.ensure_one()
        fileobj.seek(0)
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.file_name,
                "res_model": self._name,
                "res_id": self.id,
                "raw": fileobj.read(),
            }
        )
        self.attachment_id = attachment
        return attachment
