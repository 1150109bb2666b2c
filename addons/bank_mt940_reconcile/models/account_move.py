from odoo import api, fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    overpaid_amount = fields.Monetary(
        string="Overpaid",
        compute="_compute_overpaid_amount",
        store=True,
        help="What the customer paid on top of the invoice, still open as a "
        "credit on the customer's receivable account.",
    )

    amount_received = fields.Monetary(
        string="Received",
        compute="_compute_amount_received",
        help="What the customer paid on this invoice, overpayment included.",
    )

    overpaid_badge = fields.Selection(
        [("overpaid", "Overpaid")],
        string="Overpayment",
        compute="_compute_overpaid_badge",
        store=True,
    )

    @api.depends(
        "payment_state",
        "line_ids.matched_credit_ids.credit_move_id.amount_residual",
        "line_ids.matched_credit_ids.credit_move_id.matched_debit_ids",
    )
    def _compute_overpaid_amount(self):
        for move in self:
            overpaid = 0.0
            if move.move_type == "out_invoice" and move.payment_state in (
                "paid",
                "in_payment",
            ):
                receivable = move.line_ids.filtered(
                    lambda line: line.account_type == "asset_receivable"
                )
                payments = receivable.matched_credit_ids.credit_move_id
                for payment in payments:
                    # The surplus of a payment belongs to the last invoice it
                    # paid (a payment pays the invoices in the order named).
                    last = payment.matched_debit_ids.sorted("id")[-1:]
                    if last.debit_move_id.move_id == move:
                        overpaid -= payment.amount_residual_currency
            move.overpaid_amount = max(overpaid, 0.0)

    @api.depends("overpaid_amount")
    def _compute_overpaid_badge(self):
        for move in self:
            move.overpaid_badge = "overpaid" if move.overpaid_amount > 0 else False

    @api.depends("state", "amount_total", "amount_residual", "overpaid_amount")
    def _compute_amount_received(self):
        for move in self:
            received = 0.0
            if move.move_type == "out_invoice" and move.state == "posted":
                received = (
                    move.amount_total - move.amount_residual + move.overpaid_amount
                )
            move.amount_received = received
