import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .sftp_exported_mixin import dataset_models, dataset_selection

_logger = logging.getLogger(__name__)

LINK_FIELDS = {"account.move": "move_ids", "hr.expense": "expense_ids"}
# Writing one of these may change a record's "Exported on".
MARKING_FIELDS = {"state", "date", "dataset", "record_ids"}
RUN_STATES = [
    ("queued", "Queued"),
    ("ready", "Ready to send"),
    ("delivered", "Delivered"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
]
TRIGGERS = [
    ("automatic", "Automatic"),
    ("manual", "By hand"),
    ("resend", "Sent again"),
]
EXPORT_GROUP = "account.group_account_invoice"  # who may export and send again


class SftpExportRun(models.Model):
    """One file of an export: queued, built ("ready"), delivered or failed.

    The cron does the work (see sftp_export_run_delivery.py); buttons only
    queue it. The history shows each step as it is committed.
    """

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
    schedule_line_id = fields.Many2one(
        "sftp.export.schedule.line",
        string="Dataset line",
        ondelete="set null",
        readonly=True,
    )
    server_id = fields.Many2one(
        "sftp.export.server", ondelete="set null", readonly=True, check_company=True
    )
    dataset = fields.Selection(dataset_selection, required=True, readonly=True)
    format_id = fields.Many2one(
        "sftp.export.format", ondelete="set null", readonly=True
    )
    trigger = fields.Selection(
        TRIGGERS, string="Started", required=True, default="manual", readonly=True
    )
    file_name = fields.Char(readonly=True)
    remote_path = fields.Char(string="Destination", readonly=True)
    record_count = fields.Integer(string="Items", readonly=True)
    attachment_count = fields.Integer(string="Originals", readonly=True)
    state = fields.Selection(
        RUN_STATES, string="Status", required=True, default="queued", readonly=True
    )
    attempts = fields.Integer(readonly=True)
    next_attempt = fields.Datetime(string="Next attempt", readonly=True, index=True)
    error = fields.Text(readonly=True)
    attachment_id = fields.Many2one(
        "ir.attachment",
        string="CSV file",
        readonly=True,
        ondelete="set null",
        help="The CSV that was sent. A zip with originals is not kept twice: "
        "it is made again, byte for byte the same, from this CSV and the "
        "originals when it is sent again.",
    )
    # What the zip holds besides the CSV: {"csv": member name, "date_time":
    # [...], "originals": [[member name, attachment id, checksum], ...]}.
    zip_plan = fields.Json(string="Zip contents", readonly=True, copy=False)
    file_size = fields.Integer(string="Size (bytes)", readonly=True, copy=False)
    resent_from_id = fields.Many2one(
        "sftp.export.run", string="Sent again from", readonly=True, ondelete="set null"
    )
    # The records in the file: the ids of the dataset's records, in one column.
    # A file holds thousands of records, and the rows of a many-to-many each
    # check two foreign keys: that took most of the time of recording a file.
    # A record's "Exported on" is the date of the last delivered run holding it
    # (sftp.exported.mixin), so marks and history can never disagree. Not
    # prefetched: the history list does not need thousands of ids per line.
    record_ids = fields.Json(
        string="Record IDs", readonly=True, copy=False, prefetch=False
    )
    expense_ids = fields.Many2many(
        "hr.expense", string="Expenses", compute="_compute_record_lists"
    )
    move_ids = fields.Many2many(
        "account.move", string="Vendor bills", compute="_compute_record_lists"
    )

    @api.depends("dataset", "record_ids")
    def _compute_record_lists(self):
        models_by_dataset = dataset_models(self.env)
        for run in self:
            model = models_by_dataset.get(run.dataset)
            for model_name, field_name in LINK_FIELDS.items():
                ids = run.record_ids if model == model_name else None
                # Those that still exist and that the user may see.
                run[field_name] = self.env[model_name].search([("id", "in", ids or [])])

    @api.model_create_multi
    def create(self, vals_list):
        runs = super().create(vals_list)
        runs._invalidate_exported_on()
        return runs

    def write(self, vals):
        result = super().write(vals)
        if MARKING_FIELDS & vals.keys():
            self._invalidate_exported_on()
        return result

    def unlink(self):
        result = super().unlink()
        self._invalidate_exported_on()
        return result

    def action_resend(self):
        """Queue the kept file for another upload, as a new history line."""
        self.ensure_one()
        self._check_export_right()
        if not self.attachment_id:
            raise UserError(self.env._("This history line has no file to send again."))
        if not self.server_id:
            raise UserError(
                self.env._(
                    "The SFTP server of this export was deleted: an accounting "
                    "manager can choose another one on the automatic export."
                )
            )
        # sudo: bookkeepers may send files again but not write the history
        # itself; their right to this action was checked above.
        run = self.sudo()
        run.create(
            {
                "company_id": run.company_id.id,
                "schedule_id": run.schedule_id.id,
                "server_id": run.server_id.id,
                "dataset": run.dataset,
                "format_id": run.format_id.id,
                "trigger": "resend",
                "file_name": run.file_name,
                "remote_path": run.server_id._remote_url(run.file_name),
                "record_count": run.record_count,
                "attachment_count": run.attachment_count,
                "state": "ready",
                "next_attempt": fields.Datetime.now(),
                "attachment_id": run.attachment_id.id,
                "zip_plan": run.zip_plan,
                "file_size": run.file_size,
                "resent_from_id": run.id,
                "record_ids": run.record_ids,
            }
        )
        self.env.ref("sftp_export.ir_cron_run_due_schedules").sudo()._trigger()
        return notification(
            self.env._(
                "%(file)s is sent again: the new line in the export history shows "
                "when it arrived.",
                file=self.file_name,
            ),
            "success",
        )

    def _check_export_right(self):
        if not self.env.user.has_group(EXPORT_GROUP):
            raise AccessError(
                self.env._(
                    "Only users with Invoicing rights (bookkeepers and accounting "
                    "managers) can export files or send them again."
                )
            )

    def _invalidate_exported_on(self):
        """ "Exported on" is read from the history: forget what was read."""
        for model_name in set(dataset_models(self.env).values()):
            self.env[model_name].invalidate_model(["sftp_exported_on"])

    @api.model
    def _history_action(self, domain=None):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sftp_export.sftp_export_run_action"
        )
        if domain:
            action["domain"] = domain
        return action


def notification(message, kind, next_action=None):
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {
            "type": kind,
            "message": message,
            "next": next_action or {"type": "ir.actions.client", "tag": "soft_reload"},
        },
    }
