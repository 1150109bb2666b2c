from odoo import fields, models


class BankMt940File(models.Model):
    _name = "bank.mt940.file"
    _description = "MT940 file"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
