"""Payments a cron run is sending to Moneybird, committed before they are sent.

A worker killed after Moneybird registered a payment, and before the run committed
that outcome, leaves its mark here. The run that takes the payment over then asks
Moneybird about that invoice instead of trusting the open invoices it read earlier
(clients/sync.py keeps them for a while), so the payment is not registered twice.
"""

from odoo import api, fields, models


class CcvPaymentSending(models.Model):
    _name = "ccv.payment.sending"
    _description = "CCV payment being sent to Moneybird"
    _log_access = False

    # the CCV reference, not a link to the payment: the mark is written on a cursor
    # of its own, which may not see a payment row the run has not committed yet
    # (no unique index: an insert would then wait for a run that has not committed
    # an earlier mark of the same payment; a second row does no harm)
    reference = fields.Char(required=True, index=True)

    @api.model
    def _unsure(self, payments):
        """References of ``payments`` an earlier attempt may have sent unrecorded."""
        self.env.cr.execute(
            "SELECT DISTINCT reference FROM ccv_payment_sending"
            " WHERE reference = ANY(%s)",
            [payments.mapped("reference")],
        )
        return {reference for (reference,) in self.env.cr.fetchall()}

    @api.model
    def _mark(self, references):
        """Commit the marks on a cursor of their own, before anything is sent."""
        with self.env.registry.cursor() as cr:
            cr.execute(
                "INSERT INTO ccv_payment_sending (reference)"
                " SELECT unnest(%s::varchar[])",
                [list(references)],
            )

    @api.model
    def _unmark(self, references):
        """The outcomes are committed: the marks have done their job."""
        if references:
            with self.env.registry.cursor() as cr:
                cr.execute(
                    "DELETE FROM ccv_payment_sending WHERE reference = ANY(%s)",
                    [list(references)],
                )

    @api.model
    def _forget_finished(self):
        """Marks left by runs that stopped early, of payments that are done since."""
        self.env.cr.execute(
            "DELETE FROM ccv_payment_sending s USING ccv_payment p"
            " WHERE p.reference = s.reference AND p.state = 'done'"
        )
