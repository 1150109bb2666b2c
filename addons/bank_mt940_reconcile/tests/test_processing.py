"""Process real and built files: a journal per account, statements, no duplicates."""

from odoo.tests import tagged

from .common import (
    NOT_IMPORTED,
    Mt940Common,
    build_mt940,
    build_several_statements,
)


@tagged("post_install", "-at_install")
class TestProcessing(Mt940Common):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The OCA ING sample's account, so the real file can be processed.
        cls.ing_journal = cls.create_bank_journal(
            "NL77INGB0574908765", "TING", name="ING"
        )
        cls.rabo_journal = cls.create_bank_journal(
            "NL34RABO0142623393", "TRAB", name="Rabo"
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
                "bank_account_id": self.ing_journal.bank_account_id.id,
            }
        )
        ing = "NL77INGB0574908765"
        data = build_several_statements(
            {"account": ing, "payment": {"amount": 10, "remi": "eur"}},
            {
                "account": ing,
                "payment": {"amount": 20, "remi": "usd"},
                "currency": "USD",
            },
            # The old dotted account number of the Rabobank account.
            {"account": "142.623.393", "payment": {"amount": 30, "remi": "rabo"}},
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
        data = build_several_statements(
            {"account": "NL77INGB0574908765", "payment": {"amount": 10, "remi": "a"}},
            {"account": "NL39RABO0300065264", "payment": {"amount": 20, "remi": "b"}},
            {"account": "NL44RABO0123456789", "payment": {"amount": 30, "remi": "c"}},
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
