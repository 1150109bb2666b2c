"""Every sample file of tests/data imported in Odoo, and imported only once."""

import json

from odoo.tests import tagged

from odoo.addons.bank_mt940_reconcile.parsers import mt940_dialect

from .common import SAMPLES, Mt940Common, make_iban

# The bank of the samples that give an old account number instead of an IBAN.
OLD_NUMBER_BANKS = {"0001234567": "INGB", "0762918446": "KNAB", "0666666666": "TRIO"}


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
