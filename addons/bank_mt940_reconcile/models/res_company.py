from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    mt940_import_debits = fields.Boolean(
        string="Import debits from MT940 files",
        help="Also import the payments going out (debits) as open bank "
        "statement lines. By default only received payments are imported.",
    )
