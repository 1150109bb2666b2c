"""Find the open Moneybird invoice a CCV payment pays, and check the amount."""

import re
from decimal import Decimal

# An invoice number is a run of letters/digits, possibly joined by - / . _
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-/._][A-Za-z0-9]+)*")


def normalize(number):
    return (number or "").strip().upper()


def candidate_numbers(*texts):
    """Tokens of the order reference and description that could be an invoice number,
    in order of appearance, order reference first; only tokens holding a digit."""
    seen = []
    for text in texts:
        for token in _TOKEN.findall(text or ""):
            key = normalize(token)
            if any(ch.isdigit() for ch in key) and key not in seen:
                seen.append(key)
    return seen


def money(value):
    return Decimal(str(value or "0")).quantize(Decimal("0.01"))


def has_payment(invoice, transaction_identifier):
    """The payment of this CCV reference is already on the invoice in Moneybird."""
    for payment in invoice.get("payments") or []:
        if payment.get("transaction_identifier") == transaction_identifier:
            return payment
    return None


class OpenInvoiceIndex:
    """The open invoices of one run, read once in pages and kept up to date locally."""

    def __init__(self, invoices=()):
        self._by_number = {}
        for invoice in invoices:
            self.add(invoice)

    def __len__(self):
        return len(self._by_number)

    def add(self, invoice):
        number = normalize(invoice.get("invoice_id"))
        if number:
            self._by_number[number] = invoice

    def forget(self, invoice):
        self._by_number.pop(normalize(invoice.get("invoice_id")), None)

    def find(self, *texts):
        for number in candidate_numbers(*texts):
            invoice = self._by_number.get(number)
            if invoice is not None:
                return invoice
        return None

    def record_payment(self, invoice, payment):
        """Moneybird accepted ``payment``: reflect it without reading the invoice."""
        invoice.setdefault("payments", []).append(payment)
        unpaid = money(invoice.get("total_unpaid")) - money(payment.get("price"))
        invoice["total_unpaid"] = str(unpaid)
        if unpaid <= 0:
            invoice["state"] = "paid"
            self._by_number.pop(normalize(invoice.get("invoice_id")), None)
