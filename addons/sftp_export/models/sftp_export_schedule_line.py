from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..services import export_file
from ..services.csv_writer import csv_bytes
from .sftp_exported_mixin import dataset_models, dataset_selection

EMPTY_VALUES = (None, False, "")  # a required column with one of these is missing
FILTERS = (
    "include_ready",
    "include_exported",
    "include_paid",
    "include_unpaid",
    "include_approval_missing",
    "include_verification_missing",
    "include_missing_info",
)


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
    dataset = fields.Selection(dataset_selection, required=True)
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
    filter_summary = fields.Char(string="Includes", compute="_compute_filter_summary")
    preview_count = fields.Integer(
        string="Would export now", compute="_compute_preview_count"
    )

    _dataset_unique = models.UniqueIndex(
        "(schedule_id, dataset)", "Each dataset can be exported once per schedule."
    )

    @api.depends(*FILTERS)
    @api.depends_context("lang")
    def _compute_filter_summary(self):
        # One short column instead of seven toggles: the form has the toggles.
        for line in self:
            line.filter_summary = ", ".join(
                line._fields[name]._description_string(self.env)
                for name in FILTERS
                if line[name]
            )

    @api.depends("dataset", "format_id", *FILTERS)
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
        """The exported model; its dataset hooks decide what the filters mean.

        sudo: the administrator set up which records leave the company; the
        export reads them regardless of the running user's HR/accounting rights,
        restricted to the schedule's company by the dataset's domain.
        """
        return self.env[dataset_models(self.env)[self.dataset]].sudo()

    def _status_domain(self):
        """Records whose approval/verification status the filters let through.

        Ready records are needed too when records missing information may be
        exported: whether information is missing is decided per record later.
        """
        parts = self._model()._sftp_status_domains(self.dataset)
        wanted = []
        if self.include_ready or self.include_missing_info:
            wanted.append(parts["ready"])
        if self.include_approval_missing:
            wanted.append(parts["approval"])
        if self.include_verification_missing:
            wanted.append(parts["verification"])
        return Domain.OR(wanted) if wanted else Domain.FALSE

    def _base_domain(self):
        Model = self._model()
        domain = Model._sftp_dataset_domain(self.dataset, self.schedule_id.company_id)
        paid = Model._sftp_paid_domain(self.dataset)
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

    def _select(self, candidates=None, keep_rows=False):
        """(records to export, {record: missing headers} left out for missing
        info). Only the required columns are read, unless keep_rows: then all
        the format's columns are read in the same query, and their rows for
        the records to export come third (what the file is written from)."""
        self.ensure_one()
        if candidates is None:
            candidates = self._candidates()
        columns = self.format_id.column_ids
        if not keep_rows:
            columns = columns.filtered("required")
        required = [
            (index, column.header)
            for index, column in enumerate(columns)
            if column.required
        ]
        Model = self._model()
        status_fields = Model._sftp_status_fields(self.dataset)
        # The status travels with the column values: one query for both.
        values = self.format_id._rows(candidates, columns, status_fields)
        width = len(columns)
        # Read once: the loop runs once per candidate.
        dataset, is_ready = self.dataset, Model._sftp_is_ready
        include_ready = self.include_ready
        include_missing_info = self.include_missing_info
        selected, left_out, rows = [], [], []
        for record_id, row in zip(candidates._ids, values, strict=True):
            ready_status = is_ready(dataset, row[width:])
            missing = required and [
                header for index, header in required if row[index] in EMPTY_VALUES
            ]
            if missing and not include_missing_info:
                if ready_status and include_ready:
                    left_out.append((record_id, missing))
                continue
            if ready_status and not missing and not include_ready:
                continue
            selected.append(record_id)
            if keep_rows:
                rows.append(row[:width])
        # Browsed together: their names are read in one query.
        left_out = dict(
            zip(
                candidates.browse([pair[0] for pair in left_out]),
                [pair[1] for pair in left_out],
                strict=True,
            )
        )
        if keep_rows:
            return candidates.browse(selected), left_out, rows
        return candidates.browse(selected), left_out

    def _originals(self, records):
        """(member name, attachment) for every document attached to the
        records, in the order they go into the zip."""
        # The documents attached to the records themselves (not the files of
        # their binary fields, res_field), as ir.attachment's search finds them;
        # the ids as one array parameter: a file holds thousands of records.
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM ir_attachment WHERE res_model = %s AND "
                "res_id = ANY(%s::int[]) AND res_field IS NULL ORDER BY res_id, id",
                records._name,
                "{" + ",".join(map(str, records.ids)) + "}",
            )
        )
        # sudo: the export sends the records' documents, whoever started it.
        attachments = self.env["ir.attachment"].sudo().browse(row[0] for row in rows)
        attachments.fetch(["res_id", "name", "store_fname", "checksum"])
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
        members = export_file.original_member_names(
            f"{names[original.res_id]}_{original.name}" for original in attachments
        )
        return list(zip(members, attachments, strict=True))

    # -- the file -------------------------------------------------------------------
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

    def _csv_data(self, records, rows=None):
        """The CSV of the records (their rows, when read already), as bytes."""
        if rows is None:
            rows = self.format_id._rows(records)  # read batch by batch
        return csv_bytes(rows, self.format_id._csv_options())
