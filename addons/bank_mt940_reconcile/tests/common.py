"""Shared test data: a bank journal, customers, invoices and MT940 files."""

import base64
from pathlib import Path

from odoo import fields
from odoo.tests import TransactionCase

from ..parsers.mt940_writer import build_mt940  # noqa: F401 (used by the tests)

DATA = Path(__file__).parent / "data"
BANK_IBAN = "NL91ABNA0417164300"
CUSTOMER_IBAN = "NL02RABO0300065264"  # the default counterparty of build_mt940


def make_iban(bban, country="NL"):
    """A valid IBAN around a bank code and account number (ISO 13616 check)."""
    digits = "".join(str(int(char, 36)) for char in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


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
