from odoo import api, fields, models


class CcvMoneybirdRemoteRecord(models.AbstractModel):
    """A record read from Moneybird for one connection, offered as a choice in forms."""

    _name = "ccv.moneybird.remote.record"
    _description = "Record read from Moneybird"
    _order = "name"

    connection_id = fields.Many2one(
        "ccv.moneybird.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    name = fields.Char(required=True)
    moneybird_id = fields.Char(string="Moneybird ID", required=True)


class CcvMoneybirdAdministration(models.Model):
    _name = "ccv.moneybird.administration"
    _inherit = "ccv.moneybird.remote.record"
    _description = "Moneybird administration"


class CcvMoneybirdFinancialAccount(models.Model):
    _name = "ccv.moneybird.financial.account"
    _inherit = "ccv.moneybird.remote.record"
    _description = "Moneybird financial account"

    @api.depends("name", "moneybird_id")
    def _compute_display_name(self):
        for account in self:
            account.display_name = f"{account.name} ({account.moneybird_id})"


class CcvMoneybirdMethodMap(models.Model):
    _name = "ccv.moneybird.method.map"
    _description = "CCV payment method to Moneybird clearing account"
    _check_company_auto = True

    connection_id = fields.Many2one(
        "ccv.moneybird.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    # a code as CCV reports it (GET /api/v1/method), e.g. ideal, card, klarna, eps
    method = fields.Char(string="CCV payment method", required=True)
    financial_account_id = fields.Many2one(
        "ccv.moneybird.financial.account",
        string="Clearing account",
        check_company=True,
        help="The Moneybird financial account (tussenrekening) the payments of this "
        "method are booked on.",
        domain="[('connection_id', '=', connection_id)]",
        ondelete="restrict",
    )
    ledger_account_id = fields.Char(
        string="Ledger account ID",
        help="Optional: the Moneybird ledger account (grootboekrekening) to book on.",
    )

    _method_uniq = models.Constraint(
        "UNIQUE(connection_id, method)",
        "Each CCV payment method can be mapped only once per connection.",
    )


class CcvWebhookReference(models.Model):
    """A reference CCV announced on the webhook, waiting for the next cron run."""

    _name = "ccv.webhook.reference"
    _description = "CCV webhook announcement"

    connection_id = fields.Many2one(
        "ccv.moneybird.connection", required=True, ondelete="cascade", index=True
    )
    reference = fields.Char(required=True)
