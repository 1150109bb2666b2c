from odoo import fields, models


class CcvKeyWizard(models.TransientModel):
    """The small dialog of the red Connect button: paste the CCV key, test it."""

    _name = "ccv.key.wizard"
    _description = "Enter the CCV API key"

    connection_id = fields.Many2one(
        "ccv.moneybird.connection", required=True, ondelete="cascade"
    )
    api_key = fields.Char(string="CCV API key", required=True)

    def action_connect(self):
        self.ensure_one()
        self.connection_id._check_group("base.group_system")
        self.connection_id.ccv_api_key = self.api_key.strip()
        return self.connection_id.action_test_ccv()
