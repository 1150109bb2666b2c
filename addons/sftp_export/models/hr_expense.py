from odoo import fields, models


class HrExpense(models.Model):
    _name = "hr.expense"
    _inherit = ("hr.expense", "sftp.exported.mixin")

    sftp_run_ids = fields.Many2many(
        "sftp.export.run",
        relation="sftp_export_run_hr_expense_rel",
        column1="expense_id",
        column2="run_id",
        string="SFTP exports",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice",
    )
