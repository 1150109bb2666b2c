"""Moneybird's outcome → payment: the state, the reason in the user's language."""

import json

from markupsafe import escape

from odoo import fields, models
from odoo.tools.misc import format_amount
from odoo.tools.translate import LazyGettext

from ..clients import sync


class CcvPayment(models.Model):
    _inherit = "ccv.payment"

    def _reason_text(self, outcome):
        invoice = outcome.invoice_number or ""
        details = outcome.details
        amount = format_amount(self.env, self.amount, self.currency_id)

        def money(key):
            value = details.get(key)
            if value in (None, ""):
                return "?"
            return format_amount(self.env, float(value), self.currency_id)

        # what Moneybird said: our sentence in the user's language, or its own words
        moneybird = outcome.error
        if isinstance(moneybird, LazyGettext):
            moneybird = self.env._(moneybird)
        messages = {
            sync.REGISTERED: self.env._("Registered on Moneybird invoice %s.", invoice),
            sync.PARTIALLY_REGISTERED: self.env._(
                "Registered on Moneybird invoice %(invoice)s; %(rest)s is still open "
                "there.",
                invoice=invoice,
                rest=money("still_open"),
            ),
            sync.ALREADY_REGISTERED: self.env._(
                "Already registered on Moneybird invoice %s; not sent again.", invoice
            ),
            sync.NO_OPEN_INVOICE: self.env._(
                "No open invoice in Moneybird matches order reference '%(ref)s' or "
                "description '%(desc)s'.",
                ref=self.merchant_order_reference or "",
                desc=self.description or "",
            ),
            sync.INVOICE_ALREADY_PAID: self.env._(
                "Invoice %s is already paid in Moneybird by another payment.", invoice
            ),
            sync.AMOUNT_MISMATCH: self.env._(
                "The payment of %(amount)s is more than the %(open)s still open on "
                "invoice %(invoice)s. Check the invoice in Moneybird.",
                amount=amount,
                open=money("open_amount"),
                invoice=invoice,
            ),
            sync.CURRENCY_MISMATCH: self.env._(
                "The payment is in %(ours)s but invoice %(invoice)s is in %(theirs)s.",
                ours=self.currency_id.name,
                invoice=invoice,
                theirs=details.get("invoice_currency", "?"),
            ),
            sync.NO_FINANCIAL_ACCOUNT: self.env._(
                "No Moneybird clearing account (tussenrekening) is set for payment "
                "method %s. Set it on the connection, then press Process.",
                self.method or "?",
            ),
            sync.MONEYBIRD_REFUSED: self.env._(
                "Moneybird refused the payment: %s", moneybird
            ),
            sync.TEMPORARY: self.env._(
                "Moneybird could not be reached (%s). It is tried again tonight, or "
                "press Process.",
                moneybird,
            ),
        }
        return messages.get(outcome.reason, outcome.reason)

    def _apply_outcome(self, outcome):
        self.ensure_one()
        text = self._reason_text(outcome)
        vals = {
            "state": outcome.state,
            "error_code": outcome.reason if outcome.state == sync.ERROR else False,
            "error_reason": text if outcome.state == sync.ERROR else False,
            "result": text if outcome.state == sync.DONE else False,
            "moneybird_invoice_id": outcome.invoice_id or False,
            "moneybird_invoice_number": outcome.invoice_number or False,
            "moneybird_payment_id": outcome.payment_id or False,
            "details": json.dumps(outcome.details, default=str, indent=1)
            if outcome.details
            else False,
            "attempt_count": self.attempt_count + 1,
            "last_attempt": fields.Datetime.now(),
        }
        self.write(vals)
        if outcome.reason == sync.ALREADY_REGISTERED:
            self.message_post(body=escape(text))

    def _set_error_authorization(self):
        self.write(
            {
                "state": "error",
                "error_code": sync.AUTHORIZATION_REVOKED,
                "error_reason": self.env._(
                    "Moneybird no longer accepts the authorization (revoked or "
                    "expired). "
                    "Connect Moneybird again on the connection, then press Process."
                ),
                "last_attempt": fields.Datetime.now(),
            }
        )
