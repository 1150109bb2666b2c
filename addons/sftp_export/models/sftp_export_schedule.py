import datetime
import io
import logging
import os
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

from odoo.addons.base.models.res_partner import _tz_get

from ..services import csv_writer, zip_packer
from ..services.schedule import next_occurrence
from .sftp_export_format import DATASET_MODELS, DATASETS

_logger = logging.getLogger(__name__)

WEEKDAYS = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
]
CRON_BATCH = 20  # schedules per cron step
# Status groups per model: what is ready, what waits for approval or verification.
EXPENSE_APPROVAL_MISSING = ("draft", "submitted")
EXPENSE_VERIFICATION_MISSING = ("approved",)
EXPENSE_READY = ("posted", "in_payment", "paid")
EXPENSE_PAID = ("in_payment", "paid")
BILL_PAID = ("paid", "in_payment", "reversed")
EMPTY_VALUES = (None, False, "")  # a required column with one of these is missing


class SftpExportSchedule(models.Model):
    _name = "sftp.export.schedule"
    _description = "Automatic export"
    _inherit = "mail.thread"
    _check_company_auto = True
    _order = "name, id"

    name = fields.Char(required=True, default="Automatic export")
    active = fields.Boolean(default=True)
    enabled = fields.Boolean(
        string="Enable automatic export",
        tracking=True,
        help="When enabled, the files are sent on the chosen days at the chosen time.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    server_id = fields.Many2one(
        "sftp.export.server", string="SFTP server", check_company=True, tracking=True
    )
    server_host = fields.Char(related="server_id.host", readonly=False)
    server_port = fields.Integer(related="server_id.port", readonly=False)
    server_directory = fields.Char(related="server_id.directory", readonly=False)
    server_username = fields.Char(related="server_id.username", readonly=False)
    server_auth_method = fields.Selection(
        related="server_id.auth_method", readonly=False
    )
    server_password = fields.Char(
        related="server_id.password", readonly=False, groups="base.group_system"
    )
    server_public_key = fields.Char(related="server_id.public_key")
    server_host_key_fingerprint = fields.Char(related="server_id.host_key_fingerprint")
    monday = fields.Boolean(default=True)
    tuesday = fields.Boolean(default=True)
    wednesday = fields.Boolean(default=True)
    thursday = fields.Boolean(default=True)
    friday = fields.Boolean(default=True)
    saturday = fields.Boolean()
    sunday = fields.Boolean()
    time = fields.Float(
        string="Time", default=7.0, help="Local time of day in the chosen timezone."
    )
    tz = fields.Selection(
        _tz_get,
        string="Timezone",
        required=True,
        default=lambda self: self.env.user.tz or "Europe/Amsterdam",
    )
    next_run = fields.Datetime(
        string="Next export",
        compute="_compute_next_run",
        store=True,
        readonly=True,
        copy=False,
    )
    next_run_label = fields.Char(compute="_compute_next_run_label")
    line_ids = fields.One2many(
        "sftp.export.schedule.line", "schedule_id", string="Datasets", copy=True
    )
    run_ids = fields.One2many("sftp.export.run", "schedule_id", string="History")
    run_count = fields.Integer(compute="_compute_run_count")

    _time_range = models.Constraint(
        "CHECK(time >= 0 AND time < 24)", "The time must be between 00:00 and 23:59."
    )

    @api.depends("enabled", "time", "tz", *WEEKDAYS)
    def _compute_next_run(self):
        now = fields.Datetime.now()
        for schedule in self:
            schedule.next_run = schedule._next_run_after(now)

    @api.depends("next_run", "tz")
    @api.depends_context("lang")
    def _compute_next_run_label(self):
        for schedule in self:
            if not schedule.next_run:
                schedule.next_run_label = self.env._("Automatic export is off.")
                continue
            local = schedule.next_run.replace(tzinfo=datetime.UTC).astimezone(
                ZoneInfo(schedule.tz)
            )
            schedule.next_run_label = self.env._(
                "Next export on %(day)s at %(time)s (%(tz)s)",
                day=local.strftime("%d-%m-%Y"),
                time=local.strftime("%H:%M"),
                tz=schedule.tz,
            )

    def _compute_run_count(self):
        groups = self.env["sftp.export.run"]._read_group(
            [("schedule_id", "in", self.ids)], ["schedule_id"], ["__count"]
        )
        counts = {schedule.id: count for schedule, count in groups}
        for schedule in self:
            schedule.run_count = counts.get(schedule.id, 0)

    def action_run_now(self):
        """Export every dataset at once; the schedule itself is unchanged."""
        self.ensure_one()
        # The cron may be sending this schedule right now: never send twice.
        if not self.try_lock_for_update(allow_referencing=True):
            raise UserError(
                self.env._("This export is running already; try again in a minute.")
            )
        runs = self._run_export()
        delivered = runs.filtered(lambda run: run.state == "delivered")
        failed = runs.filtered(lambda run: run.state == "failed")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "danger" if failed else "success",
                "message": self.env._(
                    "%(delivered)s file(s) delivered, %(failed)s failed, "
                    "%(skipped)s skipped. See the export history.",
                    delivered=len(delivered),
                    failed=len(failed),
                    skipped=len(runs - delivered - failed),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_generate_key(self):
        self.ensure_one()
        return self._require_server().action_generate_key()

    def action_test_connection(self):
        self.ensure_one()
        return self._require_server().action_test_connection()

    def action_open_runs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sftp_export.sftp_export_run_action"
        )
        action["domain"] = [("schedule_id", "=", self.id)]
        return action

    # -- business methods -----------------------------------------------------
    def _require_server(self):
        if not self.server_id:
            raise UserError(self.env._("Choose or create an SFTP server first."))
        return self.server_id

    def _weekdays(self):
        return {index for index, day in enumerate(WEEKDAYS) if self[day]}

    def _next_run_after(self, moment):
        self.ensure_one()
        if not self.enabled:
            return False
        return next_occurrence(moment, self._weekdays(), self.time, self.tz) or False

    def _local_now(self):
        return datetime.datetime.now(ZoneInfo(self.tz)).replace(tzinfo=None)

    def _run_export(self):
        """One file per dataset line, each delivered in its own step."""
        self.ensure_one()
        server = self._require_server()
        runs = self.env["sftp.export.run"]
        for line in self.line_ids:
            run = line._export(server, self._local_now())
            self._post_run_feed(run)
            runs |= run
        return runs

    def _post_run_feed(self, run):
        """The update feed in the chatter: failures and skipped exports."""
        labels = dict(run._fields["dataset"]._description_selection(self.env))
        dataset = labels[run.dataset]
        if run.state == "skipped":
            self.message_post(body=self.env._("Export skipped: no data (%s).", dataset))
        elif run.state == "failed" and run.record_count == 1:
            self.message_post(
                body=self.env._(
                    "1 item could not be exported (%(dataset)s): %(error)s",
                    dataset=dataset,
                    error=run.error,
                )
            )
        elif run.state == "failed":
            self.message_post(
                body=self.env._(
                    "%(count)s items could not be exported (%(dataset)s): %(error)s",
                    count=run.record_count,
                    dataset=dataset,
                    error=run.error,
                )
            )

    def _cron_run_due_schedules(self):
        """Run the schedules whose time has come, one committed step each."""
        now = fields.Datetime.now()
        domain = [("enabled", "=", True), ("next_run", "<=", now)]
        # sudo: the cron serves every company, whatever companies its user has.
        schedules = self.sudo()
        due = schedules.search(domain, limit=CRON_BATCH, order="next_run, id")
        remaining = schedules.search_count(domain)
        self.env["ir.cron"]._commit_progress(remaining=remaining)
        for schedule in due:
            # Another worker (or Export now) may hold it: skip, it stays due.
            if not schedule.try_lock_for_update(allow_referencing=True):
                continue
            try:
                # Odoo runs crons without a language: what the run keeps (errors,
                # chatter) is written in the language of the company it exports for.
                company = schedule.company_id
                lang = company.partner_id.lang or self.env.user.lang
                with self.env.cr.savepoint():
                    schedule.with_company(company).with_context(lang=lang)._run_export()
            except Exception:
                # A bug must not stop the other schedules; the next run retries.
                _logger.exception("Automatic export %s failed", schedule.name)
            # The next run is planned even after a failure: records of a failed
            # run are not marked exported, so the next run sends them again.
            schedule.next_run = schedule._next_run_after(now)
            if not self.env["ir.cron"]._commit_progress(1):
                break


class SftpExportScheduleLine(models.Model):
    _name = "sftp.export.schedule.line"
    _description = "Automatic export dataset"
    _order = "schedule_id, sequence, id"
    _check_company_auto = True

    schedule_id = fields.Many2one(
        "sftp.export.schedule", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="schedule_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    dataset = fields.Selection(DATASETS, required=True)
    format_id = fields.Many2one(
        "sftp.export.format",
        string="Format",
        required=True,
        check_company=True,
        domain="[('dataset', '=', dataset)]",
    )
    include_attachments = fields.Boolean(
        string="Attach original documents",
        help="Send the CSV and the original documents together in one zip file.",
    )
    include_ready = fields.Boolean(
        string="Ready for export",
        default=True,
        help="Approved, verified and complete records.",
    )
    include_exported = fields.Boolean(
        string="Already exported", help="Also send records that were sent before."
    )
    include_paid = fields.Boolean(string="Paid", default=True)
    include_unpaid = fields.Boolean(string="Unpaid", default=True)
    include_approval_missing = fields.Boolean(
        string="Approval missing",
        help="Expenses not approved yet, draft bills.",
    )
    include_verification_missing = fields.Boolean(
        string="Verification missing",
        help="Approved expenses not posted yet, posted bills not reviewed yet.",
    )
    include_missing_info = fields.Boolean(
        string="Required information missing",
        help="Records where a required column of the format is empty.",
    )
    preview_count = fields.Integer(
        string="Would export now", compute="_compute_preview_count"
    )

    _dataset_unique = models.UniqueIndex(
        "(schedule_id, dataset)", "Each dataset can be exported once per schedule."
    )

    @api.depends(
        "dataset",
        "format_id",
        "include_ready",
        "include_exported",
        "include_paid",
        "include_unpaid",
        "include_approval_missing",
        "include_verification_missing",
        "include_missing_info",
    )
    def _compute_preview_count(self):
        for line in self:
            if line.dataset and line.format_id and line.schedule_id.company_id:
                line.preview_count = len(line._select()[0])
            else:
                line.preview_count = 0

    @api.onchange("dataset")
    def _onchange_dataset(self):
        if self.format_id.dataset != self.dataset:
            self.format_id = self.env["sftp.export.format"].search(
                [("dataset", "=", self.dataset)], limit=1
            )

    # -- selection ------------------------------------------------------------------
    def _model(self):
        # sudo: the administrator set up which records leave the company; the
        # export reads them regardless of the running user's HR/accounting rights,
        # restricted to the schedule's company below.
        return self.env[DATASET_MODELS[self.dataset]].sudo()

    def _status_domain(self):
        """Records whose approval/verification status the filters let through.

        Ready records are needed too when records missing information may be
        exported: whether information is missing is decided per record later.
        """
        if self.dataset == "vendor_bills":
            ready = [("state", "=", "posted"), ("checked", "=", True)]
            parts = {
                "ready": ready,
                "approval": [("state", "=", "draft")],
                "verification": [("state", "=", "posted"), ("checked", "=", False)],
            }
        else:
            parts = {
                "ready": [("state", "in", EXPENSE_READY)],
                "approval": [("state", "in", EXPENSE_APPROVAL_MISSING)],
                "verification": [("state", "in", EXPENSE_VERIFICATION_MISSING)],
            }
        wanted = []
        if self.include_ready or self.include_missing_info:
            wanted.append(parts["ready"])
        if self.include_approval_missing:
            wanted.append(parts["approval"])
        if self.include_verification_missing:
            wanted.append(parts["verification"])
        return Domain.OR(wanted) if wanted else Domain.FALSE

    def _base_domain(self):
        company = self.schedule_id.company_id
        if self.dataset == "vendor_bills":
            domain = Domain(
                [
                    ("company_id", "=", company.id),
                    ("move_type", "in", ("in_invoice", "in_refund")),
                ]
            )
            paid = Domain("payment_state", "in", BILL_PAID)
        else:
            mode = (
                "company_account"
                if self.dataset == "card_transactions"
                else "own_account"
            )
            domain = Domain(
                [("company_id", "=", company.id), ("payment_mode", "=", mode)]
            )
            paid = Domain("state", "in", EXPENSE_PAID)
        if not self.include_exported:
            domain &= Domain("sftp_exported_on", "=", False)
        if self.include_paid and not self.include_unpaid:
            domain &= paid
        elif self.include_unpaid and not self.include_paid:
            domain &= ~paid
        elif not (self.include_paid or self.include_unpaid):
            domain = Domain.FALSE
        return domain & self._status_domain()

    def _candidates(self):
        """The records the filters on status, payment and export let through."""
        self.ensure_one()
        return self._model().search(self._base_domain(), order="id")

    def _select(self, candidates=None):
        """(records to export, {record: missing headers} left out for missing
        info). Only the required columns are read here: the file's rows are
        read while it is written."""
        self.ensure_one()
        if candidates is None:
            candidates = self._candidates()
        required = self.format_id.column_ids.filtered("required")
        headers = required.mapped("header")
        bills = self.dataset == "vendor_bills"
        # The status travels with the column values: one query for both.
        values = self.format_id._rows(
            candidates, required, ("state", "checked") if bills else ("state",)
        )
        width = len(required)
        selected, left_out = [], {}
        for record, row in zip(candidates, values, strict=True):
            state = row[width]
            if bills:
                ready_status = state == "posted" and row[width + 1]
            else:
                ready_status = state in EXPENSE_READY
            missing = [
                header
                for header, value in zip(headers, row, strict=False)
                if value in EMPTY_VALUES
            ]
            if missing and not self.include_missing_info:
                if ready_status and self.include_ready:
                    left_out[record] = missing
                continue
            if ready_status and not missing and not self.include_ready:
                continue
            selected.append(record.id)
        return candidates.browse(selected), left_out

    def _originals(self, records):
        """(member name, opener) for every document attached to the records."""
        attachments = (
            self.env["ir.attachment"]
            .sudo()
            .search_fetch(
                [("res_model", "=", records._name), ("res_id", "in", records.ids)],
                ["res_id", "name", "store_fname"],
                order="res_id, id",
            )
        )
        with_originals = records.browse(sorted(set(attachments.mapped("res_id"))))
        with_originals.fetch(["name"])
        # The number of a posted bill (the description of an expense) is what
        # its display name shows; only records without one need the display name.
        names = {
            record.id: record.name
            if record.name and record.name != "/"
            else record.display_name
            for record in with_originals
        }
        return [
            (f"{names[attachment.res_id]}_{attachment.name}", _opener(attachment))
            for attachment in attachments
        ]

    # -- export -----------------------------------------------------------------------
    def _export(self, server, local_now):
        """Build the file, keep it on the history line, upload it, mark records."""
        self.ensure_one()
        candidates = self._candidates()
        Run = self.env["sftp.export.run"]
        values = {
            "company_id": self.schedule_id.company_id.id,
            "schedule_id": self.schedule_id.id,
            "server_id": server.id,
            "dataset": self.dataset,
            "format_id": self.format_id.id,
        }
        if not candidates:
            return Run.create(dict(values, state="skipped", record_count=0))
        file_name = self.format_id._file_name(
            local_now, zipped=self.include_attachments
        )
        run = Run.create(
            dict(
                values,
                file_name=file_name,
                remote_path=server._remote_url(file_name),
                state="failed",  # until the upload succeeded
            )
        )
        # The connection is opened while the records are read and the file is
        # written; the upload sends the file as it grows.
        with run._new_file() as produced, run._delivering(produced) as delivery:
            records, left_out = self._select(candidates)
            self._post_left_out(left_out)
            if not records:
                delivery.cancel()  # the run becomes skipped
            else:
                run.record_count = len(records)
                run.attachment_count = self._write_file(
                    delivery.stream, records, local_now, run
                )
        return run

    def _post_left_out(self, left_out):
        """Say in the chatter which records miss required information."""
        if not left_out:
            return
        items = "; ".join(
            self.env._(
                "%(record)s misses %(fields)s",
                record=record.display_name,
                fields=", ".join(missing),
            )
            for record, missing in left_out.items()
        )
        if len(left_out) == 1:
            body = self.env._("1 item could not be exported: %s", items)
        else:
            body = self.env._(
                "%(count)s items could not be exported: %(items)s",
                count=len(left_out),
                items=items,
            )
        self.schedule_id.message_post(body=body)

    def _write_file(self, target, records, local_now, run):
        """Write the CSV, or the zip of originals and CSV; returns originals count.

        For a zip, the originals (most of its bytes) are written first: the
        upload sends them while the rows are read, the CSV is formatted and
        compressed and the records are linked to the run.
        """
        options = self.format_id._csv_options()
        rows = self.format_id._rows(records)  # read batch by batch, as written
        if not self.include_attachments:
            csv_writer.write_csv(target, rows, options)
            target.flush()  # the upload sends the CSV while the records are linked
            run._link_records(records)
            return 0
        originals = self._originals(records)
        with zip_packer.DeflatedMember() as csv_member:
            archive = zip_packer.ZipStreamWriter(target, local_now)
            count = zip_packer.pack_originals(archive, originals)
            csv_writer.write_csv(csv_member, rows, options)
            run._link_records(records)
            archive.add_deflated(self.format_id._file_name(local_now), csv_member)
            archive.close()
        return count


def _opener(attachment):
    """A plain function opening the attachment's content, from the filestore
    when it is there (no copy in memory)."""
    if attachment.store_fname:
        path = attachment._full_path(attachment.store_fname)
        if os.path.exists(path):
            return lambda: open(path, "rb")
    # Read when packed, one at a time (not all originals in memory at once).
    return lambda: io.BytesIO(attachment.with_prefetch().raw or b"")
