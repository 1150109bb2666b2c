"""Bad files: refused with a Dutch message, nothing imported; Import anyway."""

import base64

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import Mt940Common, build_mt940


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
