from odoo import api, fields, models
from odoo.fields import Domain


class SftpExportedMixin(models.AbstractModel):
    """'Exported on' for records the SFTP export delivers.

    The date is read from the export history (the last delivered file holding the
    record), so a record counts as exported only when its file arrived, and
    marking thousands of records costs no update of the records themselves.
    Models using it define sftp_run_ids, the runs whose file holds the record.
    """

    _name = "sftp.exported.mixin"
    _description = "Records delivered by the SFTP export"

    sftp_exported_on = fields.Datetime(
        string="Exported on",
        compute="_compute_sftp_exported_on",
        search="_search_sftp_exported_on",
        help="When the record was last delivered to the SFTP server.",
    )

    @api.depends("sftp_run_ids.state", "sftp_run_ids.date")
    def _compute_sftp_exported_on(self):
        # sudo: the date is shown to whoever sees the record; the history itself
        # stays restricted to accountants.
        for record in self:
            dates = (
                record.sudo()
                .sftp_run_ids.filtered(lambda run: run.state == "delivered")
                .mapped("date")
            )
            record.sftp_exported_on = max(dates) if dates else False

    def _search_sftp_exported_on(self, operator, value):
        delivered = Domain("state", "=", "delivered")
        if operator in ("in", "not in") and set(value) == {False}:
            exported = operator == "not in"
            return Domain("sftp_run_ids", "any" if exported else "not any", delivered)
        if operator in ("<", "<=", ">", ">=") and value:
            return Domain(
                "sftp_run_ids", "any", delivered & Domain("date", operator, value)
            )
        return NotImplemented
