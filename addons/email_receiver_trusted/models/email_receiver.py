from odoo import fields, models


class EmailReceiver(models.Model):
    _name = "email.receiver"
    _description = "Email receiver"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
