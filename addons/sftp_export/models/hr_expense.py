from odoo import fields, models


class HrExpense(models.Model):
    _inherit = "hr.expense"

    sftp_exported_on = fields.Datetime(
        string="Exported on",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="When the expense was last delivered to the SFTP server.",
    )
