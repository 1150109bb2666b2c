"""Shared test data: a bank journal, customers, invoices and MT940 files."""

import base64
from datetime import date
from decimal import Decimal
from pathlib import Path

from odoo import fields
from odoo.tests import TransactionCase

DATA = Path(__file__).parent / "data"
BANK_IBAN = "NL91ABNA0417164300"
CUSTOMER_IBAN = "NL02RABO0300065264"


def _amount(value):
    return (f"{value:.2f}").replace(".", ",")


def _wrap_86(text):
    """Cut an :86: text at 65 characters as banks do (tag included)."""
    line = ":86:" + text
    lines = [line[:65]]
    rest = line[65:]
    while rest:
        lines.append(rest[:65])
        rest = rest[65:]
    return lines


def build_mt940(
    transactions,
    account=BANK_IBAN,
    opening=0.0,
    day=None,
    reference="P260101000000001",
    currency="EUR",
    header=True,
):
    """An ING-style MT940 file whose balances add up.

    ``transactions``: dicts with ``amount`` (negative for a debit), ``remi``
    and optionally ``eref``, ``iban``, ``name``, ``ref`` (bank reference) and
    ``date``.
    """
    day = day or date.today()
    lines = []
    if header:
        lines += ["0000 01INGBNL2AXXXX00001", "0000 01INGBNL2AXXXX00001", "940 00"]
    lines += [
        f":20:{reference}",
        f":25:{account}{currency}",
        ":28C:00001",
        ":60F:C{}{}{}".format(day.strftime("%y%m%d"), currency, _amount(opening)),
    ]
    balance = Decimal(str(opening))
    for index, tx in enumerate(transactions):
        amount = Decimal(str(tx["amount"]))
        balance += amount
        when = tx.get("date", day)
        lines.append(
            ":61:{}{}{}{}NTRFEREF//{}".format(
                when.strftime("%y%m%d"),
                when.strftime("%m%d"),
                "C" if amount > 0 else "D",
                _amount(abs(amount)),
                tx.get("ref", f"{index + 1:014d}"),
            )
        )
        lines.append("/TRCD/00100/")
        lines += _wrap_86(
            "/EREF/{}//CNTP/{}/RABONL2U/{}///REMI/USTD//{}/".format(
                tx.get("eref", "NOTPROVIDED"),
                tx.get("iban", CUSTOMER_IBAN),
                tx.get("name", "Klant BV"),
                tx["remi"],
            )
        )
    lines.append(
        ":62F:{}{}{}{}".format(
            "C" if balance >= 0 else "D",
            day.strftime("%y%m%d"),
            currency,
            _amount(abs(balance)),
        )
    )
    if header:
        lines.append("-XXX")
    return ("\n".join(lines) + "\n").encode()


class Mt940Common(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.eur = cls.env.ref("base.EUR")
        cls.bank_account = cls.env["res.partner.bank"].create(
            {"acc_number": BANK_IBAN, "partner_id": cls.company.partner_id.id}
        )
        cls.journal = cls.env["account.journal"].create(
            {
                "name": "Test bank",
                "code": "TBNK",
                "type": "bank",
                "bank_account_id": cls.bank_account.id,
            }
        )
        cls.customer = cls.env["res.partner"].create({"name": "Klant BV"})
        cls.customer_bank = cls.env["res.partner.bank"].create(
            {"acc_number": CUSTOMER_IBAN, "partner_id": cls.customer.id}
        )
        cls.other_customer = cls.env["res.partner"].create({"name": "Andere Klant"})

    @classmethod
    def create_invoice(cls, amount, partner=None, post=True):
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or cls.customer).id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [
                    (0, 0, {"name": "Advies", "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        if post:
            invoice.action_post()
        return invoice

    def upload(self, data, name="bank.940", **values):
        return self.env["bank.mt940.file"].create(
            {"file_name": name, "file_data": base64.b64encode(data), **values}
        )

    def process(self, data, name="bank.940"):
        record = self.upload(data, name)
        record.action_process()
        return record

    def fixture(self, name):
        return (DATA / name).read_bytes()

    def logs(self, record, status):
        return record.log_ids.filtered(lambda log: log.status == status)
