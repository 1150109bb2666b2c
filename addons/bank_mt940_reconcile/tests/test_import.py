"""Upload, process and reconcile MT940 files in a real database."""

import base64
import json
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import convert_file

from odoo.addons.bank_mt940_reconcile.models import (
    bank_mt940_file,
    bank_mt940_file_import,
)
from odoo.addons.bank_mt940_reconcile.parsers import mt940_dialect

from .common import (
    CUSTOMER_IBAN,
    DATA,
    Mt940Common,
    build_mt940,
    ensure_chart,
    make_iban,
)

SAMPLES = sorted(
    path
    for path in DATA.iterdir()
    if path.is_file() and path.suffix not in (".json", ".md")
)

NOT_IMPORTED = "Not imported – payment already exists"
# The bank of the samples that give an old account number instead of an IBAN.
OLD_NUMBER_BANKS = {"0001234567": "INGB", "0762918446": "KNAB", "0666666666": "TRIO"}


@tagged("post_install", "-at_install")
class TestUpload(Mt940Common):
    def test_file_that_is_not_mt940_is_refused_at_once(self):
        with self.assertRaisesRegex(UserError, "not an MT940 file"):
            self.upload(b"%PDF-1.4 ...", name="factuur.pdf")
        with self.assertRaisesRegex(UserError, "not an MT940 bank statement"):
            self.upload(b"Datum;Bedrag\n01-01-2026;10,00\n", name="export.sta")
        with self.assertRaisesRegex(
            UserError, "leeg.940 is refused: The file is empty"
        ):
            self.upload(b"", name="leeg.940")
        with self.assertRaisesRegex(UserError, "it is not text"):
            self.upload(bytes(range(256)) * 8, name="rommel.940")

    def test_accepted_file_waits_linked_to_the_journal_of_its_account(self):
        record = self.upload(build_mt940([{"amount": 10, "remi": "x"}]))
        self.assertEqual(record.state, "waiting")
        self.assertEqual(record.journal_id, self.journal)
        self.assertEqual(record.name, "bank.940")

    def test_old_account_number_finds_the_iban_journal(self):
        data = build_mt940([{"amount": 10, "remi": "x"}], account="0417164300")
        self.assertEqual(self.upload(data).journal_id, self.journal)

    def test_unknown_account_goes_to_error_with_the_reason(self):
        record = self.upload(
            build_mt940([{"amount": 1, "remi": "x"}], account="NL39RABO0300065264")
        )
        self.assertEqual(record.state, "error")
        self.assertIn("No bank journal", record.message)
        self.assertIn("NL39RABO0300065264", record.message)
        # Once the account is added to a journal, Process now imports it.
        self.journal.bank_account_id.acc_number = "NL39RABO0300065264"
        record.action_process()
        self.assertEqual(record.state, "processed")
        self.assertEqual(len(record.statement_line_ids), 1)

    def test_upload_wizard_creates_one_waiting_file_per_upload(self):
        attachments = self.env["ir.attachment"].create(
            [
                {"name": "a.940", "raw": build_mt940([{"amount": 1, "remi": "a"}])},
                {"name": "b.swi", "raw": build_mt940([{"amount": 2, "remi": "b"}])},
            ]
        )
        wizard = self.env["bank.mt940.upload"].create(
            {"attachment_ids": [(6, 0, attachments.ids)]}
        )
        notification = wizard.action_upload()
        # A success message first, then the list of the uploaded files.
        self.assertEqual(notification["params"]["type"], "success")
        self.assertIn("2 MT940 file(s) uploaded", notification["params"]["message"])
        action = notification["params"]["next"]
        files = self.env["bank.mt940.file"].search(action["domain"])
        self.assertEqual(sorted(files.mapped("file_name")), ["a.940", "b.swi"])
        self.assertEqual(set(files.mapped("state")), {"waiting"})


@tagged("post_install", "-at_install")
class TestProcessing(Mt940Common):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The OCA ING sample's account, so the real file can be processed.
        cls.ing_bank = cls.env["res.partner.bank"].create(
            {
                "acc_number": "NL77INGB0574908765",
                "partner_id": cls.company.partner_id.id,
            }
        )
        cls.ing_journal = cls.env["account.journal"].create(
            {
                "name": "ING",
                "code": "TING",
                "type": "bank",
                "bank_account_id": cls.ing_bank.id,
            }
        )
        cls.rabo_bank = cls.env["res.partner.bank"].create(
            {
                "acc_number": "NL34RABO0142623393",
                "partner_id": cls.company.partner_id.id,
            }
        )
        cls.rabo_journal = cls.env["account.journal"].create(
            {
                "name": "Rabo",
                "code": "TRAB",
                "type": "bank",
                "bank_account_id": cls.rabo_bank.id,
            }
        )

    def test_file_with_several_accounts_fills_each_journal(self):
        usd = self.env.ref("base.USD")
        usd.active = True
        usd_journal = self.env["account.journal"].create(
            {
                "name": "ING USD",
                "code": "TUSD",
                "type": "bank",
                "currency_id": usd.id,
                # One account, a journal per currency.
                "bank_account_id": self.ing_bank.id,
            }
        )
        data = (
            build_mt940([{"amount": 10, "remi": "eur"}], account="NL77INGB0574908765")
            + build_mt940(
                [{"amount": 20, "remi": "usd"}],
                account="NL77INGB0574908765",
                currency="USD",
                reference="P260101000000002",
                header=False,
            )
            # The old dotted account number of the Rabobank account.
            + build_mt940(
                [{"amount": 30, "remi": "rabo"}],
                account="142.623.393",
                reference="P260101000000003",
                header=False,
            )
        )
        record = self.process(data, "drie-rekeningen.940")
        self.assertEqual(record.state, "processed", record.message)
        by_journal = {
            line.journal_id: line.amount for line in record.statement_line_ids
        }
        self.assertEqual(
            by_journal,
            {self.ing_journal: 10, usd_journal: 20, self.rabo_journal: 30},
        )
        self.assertEqual(
            [log.currency_id.name for log in record.log_ids], ["EUR", "USD", "EUR"]
        )
        again = self.process(data, "nog-eens.940")
        self.assertFalse(again.statement_line_ids)
        self.assertEqual(len(self.logs(again, "duplicate")), 3)

    def test_file_refused_names_every_account_without_a_journal(self):
        data = (
            build_mt940([{"amount": 10, "remi": "a"}], account="NL77INGB0574908765")
            + build_mt940(
                [{"amount": 20, "remi": "b"}],
                account="NL39RABO0300065264",
                reference="P260101000000002",
                header=False,
            )
            + build_mt940(
                [{"amount": 30, "remi": "c"}],
                account="NL44RABO0123456789",
                reference="P260101000000003",
                header=False,
            )
        )
        record = self.upload(data)
        self.assertEqual(record.state, "error")
        self.assertIn("NL39RABO0300065264, NL44RABO0123456789", record.message)
        self.assertNotIn("NL77INGB0574908765", record.message)
        record.action_process()
        self.assertEqual(record.state, "error")
        self.assertIn("NL39RABO0300065264 (EUR), NL44RABO0123456789", record.message)
        self.assertFalse(record.statement_line_ids)

    def test_real_ing_file_imports_credits_only(self):
        record = self.process(self.fixture("oca-ing.940"))
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(record.journal_id, self.ing_journal)
        lines = record.statement_line_ids
        self.assertEqual(sorted(lines.mapped("amount")), [1.45, 1.56, 1.57, 32.0])
        self.assertTrue(all(lines.mapped("unique_import_id")))
        self.assertEqual(len(self.logs(record, "debit_skipped")), 4)
        self.assertEqual(len(self.logs(record, "unmatched")), 4)
        self.assertEqual(
            set(self.logs(record, "unmatched").mapped("message")),
            {"no invoice number found"},
        )
        line = lines.filtered(lambda x: x.amount == 32.0)
        self.assertEqual(line.partner_name, "J.Janssen")
        self.assertEqual(line.account_number, "NL32INGB0000012345")
        self.assertIn("4 bank statement lines created", record.message)

    def test_same_file_twice_imports_nothing_new(self):
        first = self.process(self.fixture("oca-ing.940"))
        second = self.process(self.fixture("oca-ing.940"), name="again.940")
        self.assertEqual(second.state, "processed")
        self.assertFalse(second.statement_line_ids)
        duplicates = self.logs(second, "duplicate")
        self.assertEqual(len(duplicates), 4)
        self.assertEqual(set(duplicates.mapped("message")), {NOT_IMPORTED})
        self.assertEqual(
            self.env["account.bank.statement.line"].search_count(
                [("journal_id", "=", self.ing_journal.id)]
            ),
            len(first.statement_line_ids),
        )

    def test_fin_block_and_old_ing_formats_are_the_same_payments(self):
        first = self.process(self.fixture("oca-ing.940"))
        again = self.process(self.fixture("oca-ing-fin-blocks.940"), name="fin.940")
        self.assertEqual(len(first.statement_line_ids), 4)
        self.assertFalse(again.statement_line_ids)
        self.assertEqual(len(self.logs(again, "duplicate")), 4)

    def test_header_9401_file_after_rabobank_file_imports_nothing_twice(self):
        rabo = self.process(self.fixture("oca-rabo.swi"), name="rabo.swi")
        self.assertEqual(rabo.state, "processed", rabo.message)
        self.assertEqual(rabo.statement_line_ids.mapped("amount"), [400.0])
        wrong = self.process(self.fixture("oca-wrong-file.940"), name="wrong.940")
        self.assertEqual(wrong.state, "processed", wrong.message)
        self.assertFalse(wrong.statement_line_ids)
        self.assertEqual(self.logs(wrong, "duplicate").message, NOT_IMPORTED)

    def test_overlapping_day_and_month_files(self):
        invoice = self.create_invoice(100)
        payment = {"amount": 100, "remi": invoice.name, "ref": "00000000000077"}
        other = {"amount": 20, "remi": "gift", "ref": "00000000000078"}
        day = self.process(build_mt940([payment], reference="DAY"), "day.940")
        month = self.process(
            build_mt940([other, payment], reference="MONTH"), "month.940"
        )
        self.assertEqual(len(day.statement_line_ids), 1)
        self.assertEqual(month.statement_line_ids.mapped("amount"), [20.0])
        self.assertEqual(self.logs(month, "duplicate").message, NOT_IMPORTED)
        self.assertEqual(invoice.payment_state, "paid")

    def test_debits_on_make_real_bank_statements_with_the_banks_balances(self):
        self.company.mt940_import_debits = True
        data = build_mt940(
            [{"amount": 100, "remi": "a"}, {"amount": -30, "remi": "huur"}],
            opening=500,
        ) + build_mt940(
            [{"amount": 5, "remi": "b"}],
            opening=570,
            reference="P260101000000002",
            header=False,
        )
        record = self.process(data)
        self.assertEqual(record.state, "processed", record.message)
        statements = record.statement_line_ids.statement_id.sorted("balance_start")
        self.assertEqual(len(statements), 2)
        self.assertEqual(
            [
                (s.balance_start, s.balance_end_real, len(s.line_ids))
                for s in statements
            ],
            [(500, 570, 2), (570, 575, 1)],
        )
        self.assertTrue(all(statements.mapped("is_complete")))
        self.assertEqual(statements.journal_id, self.journal)

    def test_credits_only_make_lines_without_a_statement(self):
        record = self.process(build_mt940([{"amount": 100, "remi": "a"}]))
        self.assertEqual(len(record.statement_line_ids), 1)
        self.assertFalse(record.statement_line_ids.statement_id)

    def test_debits_imported_as_open_lines_when_the_setting_is_on(self):
        self.company.mt940_import_debits = True
        record = self.process(self.fixture("oca-ing.940"))
        self.assertEqual(len(record.statement_line_ids), 8)
        self.assertFalse(self.logs(record, "debit_skipped"))
        debit_lines = record.statement_line_ids.filtered(lambda x: x.amount < 0)
        self.assertEqual(len(debit_lines), 4)
        self.assertFalse(any(debit_lines.mapped("is_reconciled")))


@tagged("post_install", "-at_install")
class TestReconcile(Mt940Common):
    def _pay(self, *payments):
        return self.process(build_mt940(list(payments)))

    def test_exact_payment_makes_the_invoice_paid(self):
        invoice = self.create_invoice(121)
        record = self._pay({"amount": 121, "remi": f"Betaling {invoice.name}"})
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(invoice.amount_residual, 0)
        self.assertEqual(invoice.overpaid_amount, 0)
        log = self.logs(record, "imported")
        self.assertEqual(log.invoice_ids, invoice)
        self.assertEqual(log.partner_id, self.customer)
        self.assertIn(invoice.name, log.message)
        self.assertTrue(record.statement_line_ids.is_reconciled)
        self.assertEqual(record.statement_line_ids.mt940_message, log.message)
        self.assertEqual(record.invoice_ids, invoice)
        action = record.action_open_statement_lines()
        lines = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(lines, record.statement_line_ids)
        action = record.action_open_invoices()
        self.assertEqual(
            self.env[action["res_model"]].search(action["domain"]), invoice
        )

    def test_number_written_differently_still_matches(self):
        invoice = self.create_invoice(50)
        prefix = invoice.sequence_prefix.replace("/", " ").lower()
        text = f"factuur {prefix}{invoice.sequence_number}"
        self._pay({"amount": 50, "remi": text})
        self.assertEqual(invoice.payment_state, "paid")

    def test_number_in_end_to_end_reference(self):
        invoice = self.create_invoice(75)
        self._pay(
            {"amount": 75, "remi": "bedankt", "eref": invoice.name.replace("/", "")}
        )
        self.assertEqual(invoice.payment_state, "paid")

    def test_partial_payment(self):
        invoice = self.create_invoice(200)
        record = self._pay({"amount": 80, "remi": invoice.name})
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(invoice.amount_residual, 120)
        self.assertIn(": Partly paid", self.logs(record, "imported").message)

    def test_invoice_shows_received_next_to_outstanding(self):
        partial = self.create_invoice(200)
        self._pay({"amount": 80, "remi": partial.name})
        self.assertEqual((partial.amount_received, partial.amount_residual), (80, 120))
        over = self.create_invoice(100)
        self._pay({"amount": 130, "remi": over.name})
        self.assertEqual((over.amount_received, over.amount_residual), (130, 0))
        form = self.env.ref("account.view_move_form")
        arch = self.env["account.move"].get_view(form.id, "form")["arch"]
        self.assertIn('name="amount_received"', arch)
        dutch = self.env["account.move"].with_context(lang="nl_NL")
        self.assertEqual(
            dutch.fields_get(["amount_received"])["amount_received"]["string"],
            "Ontvangen",
        )

    def test_dutch_log_uses_the_products_words_and_decimal_commas(self):
        partial = self.create_invoice(200)
        over = self.create_invoice(100)
        record = self.upload(
            build_mt940(
                [
                    {"amount": 80, "remi": partial.name},
                    {"amount": 125.5, "remi": over.name},
                ]
            )
        ).with_context(lang="nl_NL")
        record.action_process()
        messages = record.log_ids.mapped("message")
        self.assertEqual(messages[0], f"{partial.name}: Deels betaald")
        self.assertEqual(
            messages[1],
            f"{over.name}: Betaald; 25,50 te veel betaald, blijft open als tegoed "
            "van de klant",
        )

    def test_overpaid_invoice_keeps_the_surplus_as_open_credit(self):
        invoice = self.create_invoice(100)
        record = self._pay({"amount": 130, "remi": invoice.name})
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(invoice.overpaid_amount, 30)
        self.assertEqual(invoice.overpaid_badge, "overpaid")
        self.assertIn("30.00 overpaid", self.logs(record, "imported").message)
        receivable = record.statement_line_ids.move_id.line_ids.filtered(
            lambda x: x.account_type == "asset_receivable"
        )
        self.assertEqual(receivable.amount_residual, -30)
        self.assertEqual(receivable.partner_id, self.customer)
        overpaid = self.env["account.move"].search([("overpaid_amount", ">", 0)])
        self.assertIn(invoice, overpaid)
        # The open credit pays the next invoice; the surplus is then used up.
        second = self.create_invoice(30)
        (
            receivable
            + second.line_ids.filtered(lambda x: x.account_type == "asset_receivable")
        ).reconcile()
        self.assertEqual(second.payment_state, "paid")
        self.assertEqual(invoice.overpaid_amount, 0)
        self.assertFalse(invoice.overpaid_badge)
        search = self.env.ref("account.view_account_invoice_filter")
        arch = self.env["account.move"].get_view(search.id, "search")["arch"]
        self.assertIn('name="overpaid"', arch)
        invoice_list = self.env.ref("account.view_invoice_tree")
        arch = self.env["account.move"].get_view(invoice_list.id, "list")["arch"]
        self.assertIn('name="overpaid_badge"', arch)

    def test_one_payment_pays_several_invoices_in_the_order_named(self):
        first = self.create_invoice(100)
        second = self.create_invoice(50)
        third = self.create_invoice(80)
        text = f"{third.name} {first.name} {second.name}"
        record = self._pay({"amount": 150, "remi": text})
        self.assertEqual(third.payment_state, "paid")
        self.assertEqual(first.payment_state, "partial")
        self.assertEqual(first.amount_residual, 30)
        self.assertEqual(second.payment_state, "not_paid")
        log = self.logs(record, "imported")
        self.assertEqual(log.invoice_ids, third | first)
        self.assertIn("nothing left of the payment", log.message)

    def test_several_invoices_fully_paid_and_overpaid(self):
        first = self.create_invoice(100)
        second = self.create_invoice(50)
        self._pay({"amount": 170, "remi": f"{first.name}, {second.name}"})
        self.assertEqual((first | second).mapped("payment_state"), ["paid", "paid"])
        self.assertEqual(first.overpaid_amount, 0)
        self.assertEqual(second.overpaid_amount, 20)

    def test_match_by_amount_for_the_counterparty_account(self):
        invoice = self.create_invoice(64.5)
        self.create_invoice(99)
        record = self._pay(
            {"amount": 64.5, "remi": "bestelling", "iban": CUSTOMER_IBAN}
        )
        self.assertEqual(invoice.payment_state, "paid")
        self.assertIn("matched by amount", self.logs(record, "imported").message)

    def test_no_match_by_amount_when_two_invoices_have_that_amount(self):
        self.create_invoice(40)
        self.create_invoice(40)
        record = self._pay({"amount": 40, "remi": "bestelling"})
        log = self.logs(record, "unmatched")
        self.assertIn("several open invoices", log.message)
        self.assertEqual(log.partner_id, self.customer)
        self.assertFalse(record.statement_line_ids.is_reconciled)

    def test_no_number_and_unknown_account(self):
        self.create_invoice(10)
        record = self._pay(
            {"amount": 10, "remi": "zomaar", "iban": "NL44ABNA0548041814"}
        )
        self.assertEqual(
            self.logs(record, "unmatched").message, "no invoice number found"
        )
        line = record.statement_line_ids
        self.assertFalse(line.is_reconciled)
        self.assertEqual(line.amount, 10)

    def test_already_paid_invoice_is_reported(self):
        invoice = self.create_invoice(25)
        self._pay({"amount": 25, "remi": invoice.name, "ref": "00000000000101"})
        record = self._pay(
            {"amount": 25, "remi": invoice.name, "ref": "00000000000102"}
        )
        log = self.logs(record, "unmatched")
        self.assertEqual(log.message, f"invoice {invoice.name} is already paid")
        self.assertFalse(record.statement_line_ids.is_reconciled)

    def test_invoice_of_another_company_is_not_touched(self):
        other = self.env["res.company"].create(
            {"name": "Zuster BV", "country_id": self.env.ref("base.nl").id}
        )
        # Odoo's generic chart: Odoo's runner has no l10n_nl to load.
        ensure_chart(self.env, other)
        invoice = (
            self.env["account.move"]
            .with_company(other)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [
                        (0, 0, {"name": "x", "price_unit": 30, "tax_ids": []})
                    ],
                }
            )
        )
        invoice.action_post()
        record = self._pay({"amount": 30, "remi": invoice.name})
        self.assertEqual(
            self.logs(record, "unmatched").message,
            f"invoice {invoice.name} belongs to another company",
        )
        self.assertEqual(invoice.payment_state, "not_paid")


@tagged("post_install", "-at_install")
class TestEveryFixture(Mt940Common):
    """Every sample file, processed in Odoo: one line per credit, never twice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        accounts = {
            statement["account"]
            for path in SAMPLES
            for statement in json.loads(path.with_name(path.name + ".json").read_text())
        }
        Bank = cls.env["res.partner.bank"]
        for number, account in enumerate(sorted(accounts)):
            if not account.startswith("NL"):
                # An old account number: the journal has the IBAN around it.
                bban = OLD_NUMBER_BANKS.get(account, "ABNA") + account.zfill(10)
                account = make_iban(bban)
            bank = Bank.search([("sanitized_acc_number", "=", account)], limit=1)
            bank = bank or Bank.create(
                {"acc_number": account, "partner_id": cls.company.partner_id.id}
            )
            if not cls.env["account.journal"].search(
                [("bank_account_id", "=", bank.id)], limit=1
            ):
                cls.env["account.journal"].create(
                    {
                        "name": account,
                        "code": f"FX{number}",
                        "type": "bank",
                        "bank_account_id": bank.id,
                    }
                )

    def test_every_sample_file(self):
        Line = self.env["account.bank.statement.line"]
        for path in SAMPLES:
            statements = mt940_dialect.parse(path.read_bytes())
            transactions = [t for s in statements for t in s.transactions]
            credits = [t for t in transactions if t.is_credit]
            balanced = not any(s.balance_difference for s in statements)
            with self.subTest(sample=path.name), self.env.cr.savepoint() as savepoint:
                before = Line.search_count([])
                record = self.process(path.read_bytes(), path.name)
                if not balanced:
                    self.assertEqual(record.state, "error")
                    self.assertIn("does not add up", record.message)
                    self.assertEqual(Line.search_count([]), before)
                    savepoint.rollback()
                    continue
                self.assertEqual(record.state, "processed", record.message)
                self.assertTrue(record.journal_id)
                self.assertEqual(Line.search_count([]) - before, len(credits))
                self.assertEqual(
                    sorted(record.statement_line_ids.mapped("amount")),
                    sorted(float(t.amount) for t in credits),
                )
                self.assertEqual(len(record.log_ids), len(transactions))
                self.assertEqual(
                    len(self.logs(record, "debit_skipped")),
                    len(transactions) - len(credits),
                )
                again = self.process(path.read_bytes(), "again-" + path.name)
                self.assertEqual(again.state, "processed", again.message)
                self.assertFalse(again.statement_line_ids)
                self.assertEqual(len(self.logs(again, "duplicate")), len(credits))
                savepoint.rollback()


@tagged("post_install", "-at_install")
class TestBadFiles(Mt940Common):
    def assertNothingImported(self, record, text):
        self.assertEqual(record.state, "error")
        self.assertIn(text, record.message)
        self.assertFalse(record.statement_line_ids)
        self.assertEqual(record.log_ids.mapped("status"), ["error"])
        self.assertEqual(
            self.env["account.bank.statement.line"].search_count(
                [("journal_id", "=", self.journal.id)]
            ),
            0,
        )

    def test_unbalanced_statement(self):
        data = build_mt940([{"amount": 10, "remi": "x"}]).replace(
            b":62F:C", b":62F:D", 1
        )
        self.assertNothingImported(self.process(data), "does not add up")

    def test_real_sample_whose_balances_do_not_add_up(self):
        self.journal.bank_account_id.acc_number = "NL12ABNA0555555555"
        record = self.process(self.fixture("abnamro.sta"), "abn.sta")
        self.assertNothingImported(record, "does not add up")

    def test_wrong_currency_for_the_journal(self):
        data = build_mt940([{"amount": 10, "remi": "x"}], currency="USD")
        record = self.process(data)
        self.assertNothingImported(record, "is in USD")

    def test_accounting_manager_imports_an_unbalanced_file_anyway(self):
        self.create_users()
        data = build_mt940([{"amount": 10, "remi": "x"}]).replace(
            b":62F:C", b":62F:D", 1
        )
        record = self.process(data)
        self.assertEqual(record.state, "error")
        self.assertIn("opening balance", record.message)
        self.assertIn("difference", record.message)
        self.assertIn("Import anyway", record.message)
        self.assertTrue(record.can_import_anyway)
        with self.assertRaisesRegex(AccessError, "accounting manager"):
            record.with_user(self.bookkeeper).action_import_anyway()
        self.assertEqual(record.state, "error")
        record.with_user(self.manager).action_import_anyway()
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(record.statement_line_ids.amount, 10)
        (note,) = [
            message
            for message in record.message_ids
            if "Imported as it is" in str(message.body)
        ]
        self.assertIn(self.manager.name, str(note.body))
        self.assertIn("20.00", str(note.body))
        self.assertEqual(note.author_id, self.manager.partner_id)
        # The statement itself says it was imported as it is, by whom, and the
        # difference, also when only credits are imported.
        statement = record.statement_line_ids.statement_id
        self.assertEqual(len(statement), 1)
        self.assertIn("imported as it is by " + self.manager.name, statement.name)
        self.assertIn("difference", statement.name)
        self.assertIn("20.00", statement.name)
        self.assertFalse(statement.is_complete)

    def test_bookkeeper_is_refused_import_anyway_in_one_dutch_sentence(self):
        self.create_users()
        data = build_mt940([{"amount": 10, "remi": "x"}]).replace(
            b":62F:C", b":62F:D", 1
        )
        record = self.process(data)
        with self.assertRaises(AccessError) as refusal:
            record.with_user(self.bookkeeper).with_context(
                lang="nl_NL"
            ).action_import_anyway()
        self.assertEqual(
            str(refusal.exception),
            "Alleen een boekhoudmanager kan een bestand importeren waarvan de "
            "saldi niet kloppen; vraag het je boekhoudmanager.",
        )
        self.assertEqual(record.state, "error")
        self.assertFalse(record.statement_line_ids)

    def test_statement_imported_anyway_with_debits_names_the_manager(self):
        self.create_users()
        self.company.mt940_import_debits = True
        data = build_mt940(
            [{"amount": 10, "remi": "x"}, {"amount": -4, "remi": "kosten"}]
        ).replace(b":62F:C", b":62F:D", 1)
        record = self.process(data)
        record.with_user(self.manager).with_context(lang="nl_NL").action_import_anyway()
        self.assertEqual(record.state, "processed", record.message)
        statement = record.statement_line_ids.statement_id
        self.assertEqual(len(statement), 1)
        self.assertEqual(len(statement.line_ids), 2)
        self.assertIn(
            "geïmporteerd zoals het is door " + self.manager.name, statement.name
        )
        self.assertIn("verschil", statement.name)

    def test_last_statement_without_closing_balance_imported_anyway(self):
        self.create_users()
        data = build_mt940([{"amount": 12.5, "remi": "x"}])
        record = self.process(data[: data.index(b":62F:")])
        self.assertEqual(record.state, "error")
        self.assertIn("incomplete", record.message)
        record.with_user(self.manager).action_import_anyway()
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(record.statement_line_ids.amount, 12.5)
        self.assertTrue(
            record.message_ids.filtered(lambda m: "no closing balance" in str(m.body))
        )

    def test_a_file_refused_for_another_reason_cannot_be_imported_anyway(self):
        self.create_users()
        record = self.process(
            build_mt940([{"amount": 10, "remi": "x"}], currency="USD")
        )
        self.assertEqual(record.state, "error")
        self.assertFalse(record.can_import_anyway)
        with self.assertRaisesRegex(UserError, "balances do not add up"):
            record.with_user(self.manager).action_import_anyway()

    def test_ambiguous_amounts_with_dots(self):
        data = build_mt940([{"amount": 1012.5, "remi": "x"}])
        data = data.replace(b"1012,50", b"1.012,50")
        self.assertNothingImported(self.process(data), "uses a dot")

    def test_old_rabobank_amounts_with_a_dot_import(self):
        invoice = self.create_invoice(1000.12)
        data = build_mt940([{"amount": 1000.12, "remi": invoice.name}])
        record = self.process(data.replace(b"1000,12", b"000000001000.12"))
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(record.statement_line_ids.amount, 1000.12)
        self.assertEqual(invoice.payment_state, "paid")

    def test_truncated_file(self):
        data = build_mt940([{"amount": 10, "remi": "x"}])
        record = self.process(data[: data.index(b":62F:")])
        self.assertNothingImported(record, "incomplete")

    def test_second_statement_broken_means_nothing_of_the_first(self):
        good = build_mt940([{"amount": 10, "remi": "x"}], header=False)
        bad = build_mt940([{"amount": 5, "remi": "y"}], header=False, reference="B")
        bad = bad.replace(b":62F:C", b":62F:D")
        record = self.process(good + bad)
        self.assertNothingImported(record, "does not add up")

    def test_every_bad_input_has_a_dutch_message(self):
        good = build_mt940([{"amount": 10, "remi": "x"}])
        refused = {
            "leeg.940": (b"", "leeg.940 is geweigerd: Het bestand is leeg"),
            "rommel.940": (bytes(range(256)) * 8, r"\(het is geen tekst\)"),
            "export.sta": (b"Datum;Bedrag\n", "geen MT940-bankbestand"),
            "factuur.pdf": (b"%PDF-1.4", "geen MT940-bestand"),
        }
        Files = self.env["bank.mt940.file"].with_context(lang="nl_NL")
        for name, (data, dutch) in refused.items():
            with self.subTest(name=name), self.assertRaisesRegex(UserError, dutch):
                Files.create({"file_name": name, "file_data": base64.b64encode(data)})
        failing = {
            "afgekapt": (good[: good.index(b":62F:")], "onvolledig"),
            "valuta": (
                build_mt940([{"amount": 10, "remi": "x"}], currency="USD"),
                "is in USD, maar het dagboek",
            ),
            "saldo": (good.replace(b":62F:C", b":62F:D", 1), "klopt niet"),
            "punt": (good.replace(b"10,00", b"1.010,00"), "gebruikt een punt"),
            "rekening": (
                build_mt940([{"amount": 1, "remi": "x"}], account="NL39RABO0300065264"),
                "Geen bankdagboek",
            ),
        }
        for name, (data, dutch) in failing.items():
            with self.subTest(name=name):
                record = Files.create(
                    {"file_name": f"{name}.940", "file_data": base64.b64encode(data)}
                )
                if record.state == "waiting":
                    record.action_process()
                self.assertEqual(record.state, "error")
                self.assertIn(dutch, record.message)
                self.assertFalse(record.statement_line_ids)

    def test_files_in_other_code_pages_keep_their_letters(self):
        text = build_mt940(
            [{"amount": 10, "remi": "Café Hüsken ËLAN", "name": "Zoë Müller"}]
        ).decode()
        for encoding in ("latin-1", "cp1252", "cp852"):
            with self.subTest(encoding=encoding), self.env.cr.savepoint() as sp:
                record = self.process(text.encode(encoding))
                self.assertEqual(record.state, "processed", record.message)
                line = record.statement_line_ids
                self.assertEqual(line.partner_name, "Zoë Müller")
                self.assertEqual(line.payment_ref, "Café Hüsken ËLAN")
                sp.rollback()


@tagged("post_install", "-at_install")
class TestCron(Mt940Common):
    def test_cron_processes_waiting_files(self):
        invoice = self.create_invoice(42)
        record = self.upload(build_mt940([{"amount": 42, "remi": invoice.name}]))
        self.assertEqual(record.state, "waiting")
        # The cron runs in its own cursor, as the scheduler would run it.
        self.run_cron()
        self.assertEqual(record.state, "processed")
        self.assertEqual(invoice.payment_state, "paid")

    def test_cron_writes_in_the_language_of_the_company(self):
        self.env.company.partner_id.lang = "nl_NL"
        record = self.upload(build_mt940([{"amount": 5, "remi": "zonder nummer"}]))
        self.run_cron(lang=None)
        self.assertEqual(record.state, "processed")
        self.assertEqual(record.log_ids.message, "geen factuurnummer gevonden")

    def test_interval_is_a_setting(self):
        cron = self.env.ref("bank_mt940_reconcile.ir_cron_process_mt940_files")
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.mt940_cron_interval, 15)
        settings.mt940_cron_interval = 60
        settings.execute()
        self.assertEqual((cron.interval_number, cron.interval_type), (60, "minutes"))

    def test_upgrade_keeps_the_interval(self):
        cron = self.env.ref("bank_mt940_reconcile.ir_cron_process_mt940_files")
        cron.interval_number = 60
        # What "Upgrade" of the addon does with its data file.
        convert_file(
            self.env, "bank_mt940_reconcile", "data/ir_cron.xml", {}, mode="update"
        )
        cron.invalidate_recordset()
        self.assertEqual((cron.interval_number, cron.interval_type), (60, "minutes"))

    def test_processed_file_cannot_be_processed_again(self):
        record = self.process(build_mt940([{"amount": 1, "remi": "x"}]))
        with self.assertRaises(UserError):
            record.action_process()
        self.assertEqual(record.processed_date.date(), fields.Date.today())
        self.assertLess(
            record.processed_date - record.create_date, timedelta(minutes=5)
        )


@tagged("post_install", "-at_install")
class TestDemo(Mt940Common):
    def test_demo_file_is_ready_and_shows_every_outcome(self):
        # setup/create_db.sh loads the addons' demo data; Odoo's runner starts
        # without it: load it here then, as an install with demo data would.
        if not self.env.ref(
            "bank_mt940_reconcile.demo_bank_journal", raise_if_not_found=False
        ):
            convert_file(
                self.env,
                "bank_mt940_reconcile",
                "demo/bank_mt940_reconcile_demo.xml",
                {},
                mode="init",
            )
        journal = self.env.ref("bank_mt940_reconcile.demo_bank_journal")
        record = self.env["bank.mt940.file"].search([("journal_id", "=", journal.id)])
        self.assertEqual(len(record), 1)
        if record.state == "waiting":
            record.action_process()
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(
            sorted(record.log_ids.mapped("status")),
            ["debit_skipped"] + ["imported"] * 5 + ["unmatched"],
        )
        ref = self.env.ref
        states = {
            name: ref(f"bank_mt940_reconcile.demo_invoice_{name}").payment_state
            for name in (
                "paid",
                "partial",
                "overpaid",
                "multi_1",
                "multi_2",
                "by_amount",
            )
        }
        self.assertEqual(states["partial"], "partial")
        self.assertEqual(
            {k: v for k, v in states.items() if k != "partial"},
            dict.fromkeys(
                ("paid", "overpaid", "multi_1", "multi_2", "by_amount"), "paid"
            ),
        )
        overpaid = ref("bank_mt940_reconcile.demo_invoice_overpaid")
        self.assertEqual(overpaid.overpaid_amount, 25)


@tagged("post_install", "-at_install")
class TestProgress(Mt940Common):
    """Large files: the cron imports them in committed chunks and resumes."""

    def test_progress_shows_how_far_the_file_is(self):
        record = self.upload(build_mt940([{"amount": 1, "remi": "x"}]))
        self.assertFalse(record.progress)
        record.write({"state": "processing", "transaction_count": 4000})
        record.done_count = 1200
        self.assertEqual(record.progress, "1,200 / 4,000 transactions")
        self.assertEqual(
            record.with_context(lang="nl_NL").progress, "1.200 / 4.000 transacties"
        )

    def test_file_that_fails_halfway_imports_nothing(self):
        data = build_mt940([{"amount": n + 1, "remi": "x"} for n in range(5)])
        record = self.upload(data)
        model = type(record)
        reconcile_all = model._reconcile_all
        calls = []

        def second_chunk_fails(file, lines, plans):
            calls.append(lines)
            if len(calls) == 2:
                raise UserError("Rekening geblokkeerd")  # pylint: disable=translation-required
            return reconcile_all(file, lines, plans)

        with (
            patch.object(bank_mt940_file_import, "CHUNK_SIZE", 2),
            patch.object(model, "_reconcile_all", second_chunk_fails),
        ):
            record.action_process()
        self.assertEqual(record.state, "error")
        self.assertEqual(record.message, "Rekening geblokkeerd")
        self.assertFalse(record.statement_line_ids)
        self.assertEqual(record.done_count, 0)

    def test_process_now_hands_a_large_file_to_the_cron(self):
        invoice = self.create_invoice(3)
        payments = [{"amount": n + 1, "remi": f"betaling {n}"} for n in range(5)]
        payments[2]["remi"] = invoice.name
        record = self.upload(build_mt940(payments))
        self.assertEqual(record.transaction_count, 5)
        cron = self.env.ref("bank_mt940_reconcile.ir_cron_process_mt940_files")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        with patch.object(bank_mt940_file, "INLINE_LIMIT", 2):
            action = record.action_process()
        # The browser is not kept waiting: the cron is started now.
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("processed in the background", action["params"]["message"])
        self.assertEqual(record.state, "waiting")
        self.assertFalse(record.statement_line_ids)
        new_triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.assertTrue(new_triggers - triggers)
        with patch.object(bank_mt940_file_import, "CHUNK_SIZE", 2):
            self.run_cron()
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual((record.done_count, record.transaction_count), (5, 5))
        self.assertEqual(len(record.statement_line_ids), 5)
        self.assertEqual(record.log_ids.mapped("sequence"), [0, 1, 2, 3, 4])
        self.assertEqual(invoice.payment_state, "paid")

    def test_stuck_file_is_resumed_where_it_stopped(self):
        """A worker killed after two committed chunks: Process now goes on."""
        payments = [{"amount": n + 1, "remi": f"betaling {n}"} for n in range(5)]
        record = self.upload(build_mt940(payments))
        with patch.object(bank_mt940_file_import, "CHUNK_SIZE", 2):
            record.sudo()._process_file()
        lines = record.statement_line_ids
        # What a killed run leaves: the first two chunks, "processing".
        keep = record.log_ids.filtered(lambda log: log.sequence < 4)
        (record.log_ids - keep).unlink()
        lines.filtered(lambda line: line.amount == 5).unlink()
        record.write({"state": "processing", "done_count": 4, "message": False})
        self.assertEqual(record.progress, "4 / 5 transactions")
        record.action_process()
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(len(record.statement_line_ids), 5)
        self.assertEqual(record.log_ids.mapped("sequence"), [0, 1, 2, 3, 4])
        self.assertFalse(self.logs(record, "duplicate"))
