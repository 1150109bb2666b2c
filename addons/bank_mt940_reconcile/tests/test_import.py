"""Upload, process and reconcile MT940 files in a real database."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CUSTOMER_IBAN, Mt940Common, build_mt940

NOT_IMPORTED = "Not imported – payment already exists"


@tagged("post_install", "-at_install")
class TestUpload(Mt940Common):
    def test_file_that_is_not_mt940_is_refused_at_once(self):
        with self.assertRaisesRegex(UserError, "not an MT940 file"):
            self.upload(b"%PDF-1.4 ...", name="factuur.pdf")
        with self.assertRaisesRegex(UserError, "not an MT940 bank statement"):
            self.upload(b"Datum;Bedrag\n01-01-2026;10,00\n", name="export.sta")
        with self.assertRaisesRegex(UserError, "not an MT940 bank statement"):
            self.upload(b"", name="leeg.940")

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
        action = wizard.action_upload()
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
        self.assertIn("Partially Paid", self.logs(record, "imported").message)

    def test_overpaid_invoice_keeps_the_surplus_as_open_credit(self):
        invoice = self.create_invoice(100)
        record = self._pay({"amount": 130, "remi": invoice.name})
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(invoice.overpaid_amount, 30)
        self.assertEqual(invoice.overpaid_badge, "overpaid")
        self.assertIn("overpaid by 30.00", self.logs(record, "imported").message)
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
        self.env["account.chart.template"].try_loading(
            "nl", company=other, install_demo=False
        )
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

    def test_amounts_with_dots(self):
        data = build_mt940([{"amount": 12.5, "remi": "x"}]).replace(b"12,50", b"12.50")
        self.assertNothingImported(self.process(data), "uses a dot")

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

    def test_latin1_file_is_processed(self):
        data = build_mt940([{"amount": 10, "remi": "Café", "name": "Müller"}])
        record = self.process(data.decode().encode("cp1252"))
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(record.statement_line_ids.partner_name, "Müller")


@tagged("post_install", "-at_install")
class TestCron(Mt940Common):
    def test_cron_processes_waiting_files(self):
        invoice = self.create_invoice(42)
        record = self.upload(build_mt940([{"amount": 42, "remi": invoice.name}]))
        self.assertEqual(record.state, "waiting")
        cron = self.env.ref("bank_mt940_reconcile.ir_cron_process_mt940_files")
        # The cron runs in its own cursor, as the scheduler would run it.
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.assertEqual(record.state, "processed")
        self.assertEqual(invoice.payment_state, "paid")

    def test_interval_is_a_setting(self):
        cron = self.env.ref("bank_mt940_reconcile.ir_cron_process_mt940_files")
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.mt940_cron_interval, 15)
        settings.mt940_cron_interval = 60
        settings.execute()
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
        journal = self.env.ref(
            "bank_mt940_reconcile.demo_bank_journal", raise_if_not_found=False
        )
        if not journal:
            self.skipTest("the database was created without demo data")
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
    def test_progress_is_visible_to_other_sessions_while_processing(self):
        seen = []
        original = type(self.env["bank.mt940.file"])._report_progress

        def spy(record, done, total):
            original(record, done, total)
            # What another session reads at that moment.
            with self.env.registry.cursor() as cr:
                other = record.with_env(record.env(cr=cr))
                seen.append(other.progress)

        data = build_mt940([{"amount": n + 1, "remi": "x"} for n in range(5)])
        record = self.upload(data)
        model = "odoo.addons.bank_mt940_reconcile.models.bank_mt940_file"
        with (
            self.enter_registry_test_mode(),
            patch(f"{model}.PROGRESS_STEP", 2),
            patch.object(type(record), "_report_progress", spy),
        ):
            record.action_process()
        self.assertEqual(
            seen,
            [
                "2 of 5 transactions done",
                "4 of 5 transactions done",
                False,  # 5 of 5: done
                False,
            ],
        )
        self.assertEqual(record.state, "processed")
        self.assertEqual(len(record.statement_line_ids), 5)
