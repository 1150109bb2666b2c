"""Shared test data: a bank journal, customers, invoices and MT940 files."""

import base64
from pathlib import Path

from odoo import fields
from odoo.tests import TransactionCase, new_test_user

from ..parsers.mt940_writer import build_mt940

DATA = Path(__file__).parent / "data"
BANK_IBAN = "NL91ABNA0417164300"
CUSTOMER_IBAN = "NL02RABO0300065264"  # the default counterparty of build_mt940
# The real sample files, each with its expected statements beside it (.json).
SAMPLES = sorted(
    path
    for path in DATA.iterdir()
    if path.is_file() and path.suffix not in (".json", ".md")
)
# The log of a payment that was imported before.
NOT_IMPORTED = "Not imported – payment already exists"


def make_iban(bban, country="NL"):
    """A valid IBAN around a bank code and account number (ISO 13616 check)."""
    digits = "".join(str(int(char, 36)) for char in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def build_several_statements(*statements):
    """One file of several statements, as banks send several accounts (and
    currencies of one account) together: each statement a dict of
    ``build_mt940``'s arguments with its one ``payment``."""
    return b"".join(
        build_mt940(
            [values.pop("payment")],
            reference=f"P26010100000000{number}",
            header=number == 1,
            **values,
        )
        for number, values in enumerate(map(dict, statements), 1)
    )


def ensure_chart(env, company):
    """Odoo's runner starts from a database without a chart of accounts (and
    without l10n_nl): give the company Odoo's generic one when it has none."""
    if not company.chart_template:
        env["account.chart.template"].try_loading(
            "generic_coa", company=company, install_demo=False
        )
    eur = env.ref("base.EUR")
    if company.currency_id != eur and not company._existing_accounting():
        # The generic chart is in USD; Dutch bank files are in euros.
        eur.active = True
        company.currency_id = eur


def activate_dutch(env):
    """The bookkeepers' language with this addon's Dutch; Odoo's runner starts
    without it (activating a language alone loads no translations)."""
    env["res.lang"]._activate_lang("nl_NL")
    env["ir.module.module"].search(
        [("name", "=", "bank_mt940_reconcile")]
    )._update_translations(["nl_NL"])


class Mt940Common(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        ensure_chart(cls.env, cls.company)
        activate_dutch(cls.env)
        cls.eur = cls.env.ref("base.EUR")
        cls.journal = cls.create_bank_journal(BANK_IBAN, "TBNK", name="Test bank")
        cls.customer = cls.env["res.partner"].create({"name": "Klant BV"})
        cls.customer_bank = cls.env["res.partner.bank"].create(
            {"acc_number": CUSTOMER_IBAN, "partner_id": cls.customer.id}
        )
        cls.other_customer = cls.env["res.partner"].create({"name": "Andere Klant"})

    @classmethod
    def create_bank_journal(cls, acc_number, code, name=None, **values):
        """A bank journal of the company, on a new bank account of its own."""
        bank = cls.env["res.partner.bank"].create(
            {"acc_number": acc_number, "partner_id": cls.company.partner_id.id}
        )
        return cls.env["account.journal"].create(
            {
                "name": name or acc_number,
                "code": code,
                "type": "bank",
                "bank_account_id": bank.id,
                **values,
            }
        )

    @classmethod
    def create_users(cls):
        """The users of a plain Community install (no "full accounting features")."""
        company = cls.company
        common = {"company_id": company.id, "company_ids": [(6, 0, company.ids)]}
        cls.bookkeeper = new_test_user(
            cls.env,
            login="mt940_bookkeeper",
            groups="base.group_user,account.group_account_invoice",
            **common,
        )
        cls.manager = new_test_user(
            cls.env,
            login="mt940_manager",
            groups="account.group_account_manager",
            **common,
        )
        cls.admin = new_test_user(
            cls.env,
            login="mt940_admin",
            groups="base.group_system,account.group_account_manager",
            **common,
        )

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

    def run_cron(self, **context):
        """Run the cron in its own cursor, as the scheduler does, until no file
        waits: a run stops after about ten seconds of work and Odoo starts it
        again at once (a loaded test machine may need several runs)."""
        cron = self.env.ref("bank_mt940_reconcile.ir_cron_process_mt940_files")
        Files = self.env["bank.mt940.file"]
        for _run in range(10):
            with self.enter_registry_test_mode():
                cron.with_context(**context).method_direct_trigger()
            if not Files.search_count([("state", "in", ("waiting", "processing"))]):
                break

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
