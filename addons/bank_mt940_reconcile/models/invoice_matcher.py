"""Which open invoices a received payment pays: by invoice number, else by amount.

One query finds every invoice the file's credits name; invoices of other
companies are looked up only to say so in the log.
"""

from odoo.tools import float_is_zero

from ..parsers import InvoiceNumberFinder
from ..parsers.matching import normalize_prefix

OPEN_STATES = ("not_paid", "partial")


class InvoiceMatcher:
    """Finds the invoices a credit pays; one query for the whole file."""

    def __init__(self, file, transactions):
        self.file = file
        self.env = file.env
        # sudo: invoices of other companies are looked up only to tell the
        # bookkeeper that the number belongs to another company.
        moves = self.env["account.move"].sudo()
        invoice_domain = [("move_type", "=", "out_invoice"), ("state", "=", "posted")]
        prefixes = [
            prefix
            for (prefix,) in moves._read_group(
                invoice_domain + [("sequence_prefix", "!=", False)],
                ["sequence_prefix"],
            )
        ]
        self.finder = InvoiceNumberFinder(prefixes)
        self.keys = {}
        numbers = set()
        for transaction in transactions:
            if not transaction.is_credit:
                continue
            keys = self.finder.find(
                transaction.remittance,
                transaction.end_to_end_reference,
                transaction.details,
                transaction.customer_reference,
            )
            self.keys[transaction.import_id] = keys
            numbers.update(number for _prefix, number in keys)
        self.invoices = {}
        if numbers:
            found = moves.search(
                invoice_domain
                + [
                    ("sequence_prefix", "in", prefixes),
                    ("sequence_number", "in", sorted(numbers)),
                ]
            )
            # Their receivable lines in one query too, not one per credit.
            found.line_ids.mapped("account_type")
            for invoice in found:
                key = (
                    normalize_prefix(invoice.sequence_prefix),
                    invoice.sequence_number,
                )
                self.invoices.setdefault(key, invoice)

    def match(self, transaction, currency):
        """The invoices in the bank account's currency that the credit pays."""
        env = self.env
        company = self.file.company_id
        keys = self.keys.get(transaction.import_id, [])
        named = [self.invoices[key] for key in keys if key in self.invoices]
        foreign = [inv for inv in named if inv.company_id != company]
        own = [inv.with_env(env) for inv in named if inv.company_id == company]
        open_invoices = [
            inv
            for inv in own
            if inv.payment_state in OPEN_STATES and inv.currency_id == currency
        ]
        if open_invoices:
            partner = open_invoices[0].commercial_partner_id
            invoices = env["account.move"].browse(
                [
                    inv.id
                    for inv in open_invoices
                    if inv.commercial_partner_id == partner
                ]
            )
            return self._matched(invoices, partner)
        if own:
            other_currency = [inv for inv in own if inv.currency_id != currency]
            if other_currency:
                reason = env._(
                    "invoice %(invoice)s is in %(currency)s, the bank account in "
                    "%(bank_currency)s",
                    invoice=other_currency[0].name,
                    currency=other_currency[0].currency_id.name,
                    bank_currency=currency.name,
                )
            else:
                reason = env._(
                    "invoice %s is already paid", ", ".join(inv.name for inv in own)
                )
            return {
                "invoices": env["account.move"],
                "reason": reason,
                "partner": own[0].commercial_partner_id,
            }
        if foreign:
            return {
                "invoices": env["account.move"],
                "reason": env._(
                    "invoice %s belongs to another company",
                    ", ".join(inv.name for inv in foreign),
                ),
            }
        if keys:
            return {
                "invoices": env["account.move"],
                "reason": env._(
                    "no invoice with number %s",
                    ", ".join("{} {}".format(*key) for key in keys),
                ),
            }
        return self._match_by_amount(transaction, currency)

    def _matched(self, invoices, partner, by_amount=False):
        account = (
            invoices[0]
            .line_ids.filtered(lambda x: x.account_type == "asset_receivable")[:1]
            .account_id
        )
        return {
            "invoices": invoices,
            "partner": partner,
            "account": account,
            "by_amount": by_amount,
        }

    def _match_by_amount(self, transaction, currency):
        env = self.env
        no_number = {
            "invoices": env["account.move"],
            "reason": env._("no invoice number found"),
        }
        account = (transaction.counterparty_account or "").replace(" ", "").upper()
        if not account:
            return no_number
        bank = env["res.partner.bank"].search(
            [
                ("sanitized_acc_number", "=", account),
                ("company_id", "in", [False, self.file.company_id.id]),
            ],
            limit=1,
        )
        if not bank:
            return no_number
        partner = bank.partner_id.commercial_partner_id
        candidates = env["account.move"].search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("company_id", "=", self.file.company_id.id),
                ("commercial_partner_id", "=", partner.id),
                ("payment_state", "in", OPEN_STATES),
                ("currency_id", "=", currency.id),
            ],
            limit=50,
        )
        amount = float(transaction.amount)
        exact = candidates.filtered(
            lambda inv: float_is_zero(
                inv.amount_residual - amount,
                precision_rounding=currency.rounding,
            )
        )
        if len(exact) == 1:
            return self._matched(exact, partner, by_amount=True)
        result = dict(no_number, partner=partner)
        if len(exact) > 1:
            result["reason"] = env._(
                "no invoice number found; several open invoices have this amount"
            )
        return result
