from odoo import fields, models


class CcvMoneybirdConnection(models.Model):
    _name = "ccv.moneybird.connection"
    _description = "CCV – Moneybird connection"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
