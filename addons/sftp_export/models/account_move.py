from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    sftp_exported_on = fields.Datetime(
        string="Exported on",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="When the bill was last delivered to the SFTP server.",
    )
