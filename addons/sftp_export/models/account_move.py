from odoo import fields, models


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ("account.move", "sftp.exported.mixin")

    sftp_run_ids = fields.Many2many(
        "sftp.export.run",
        relation="sftp_export_run_account_move_rel",
        column1="move_id",
        column2="run_id",
        string="SFTP exports",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice",
    )
