"""Real-world MT940 files from public projects (tests/data/public, sources in
tests/data/README.md), imported as a new user would: into a company made in
the same transaction, each statement in the journal of its account and currency.
"""

import base64
import re

from odoo.tests import tagged

from ..parsers import Mt940Error, mt940_dialect
from .common import DATA, Mt940Common, ensure_chart

PUBLIC = DATA / "public"
# What a refusal must tell the bookkeeper to do (one of these, in English).
NEXT_STEPS = (
    "Download the file again from your bank",
    "Download the MT940 format from your bank",
    "import it as it is (Import anyway)",
)


@tagged("post_install", "-at_install")
class TestPublicCorpus(Mt940Common):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env["res.company"].create({"name": "Nieuw Bedrijf BV"})
        cls.env.user.company_ids |= company
        cls.env = cls.env(
            context=dict(cls.env.context, allowed_company_ids=[company.id])
        )
        ensure_chart(cls.env, company)
        cls.company = company
        cls.create_users()
        cls.files = sorted(PUBLIC.iterdir())
        cls.statements = {}
        for path in cls.files:
            try:
                cls.statements[path.name] = mt940_dialect.parse(
                    path.read_bytes(), complete=False
                )
            except Mt940Error:
                cls.statements[path.name] = []
        cls.journal_count = 0
        for path in cls.files:
            accounts = {(s.account, s.currency) for s in cls.statements[path.name]}
            if not accounts:
                # Unreadable: the journals of its :25: accounts, so that the
                # refusal is about the file itself.
                text = mt940_dialect.decode(path.read_bytes())
                accounts = {
                    (mt940_dialect.statement_account(raw), "EUR")
                    for raw in re.findall(r"(?m)^:25:(.*)$", text)
                }
            for account, currency in sorted(accounts):
                cls._ensure_journal(account, currency)

    @classmethod
    def _ensure_journal(cls, account, currency_name):
        """The bank journal a bookkeeper adds for this account and currency,
        unless the company has it already (an account written another way)."""
        found = (
            cls.env["bank.mt940.file"]
            .new({"company_id": cls.company.id})
            ._find_journal(account, currency_name)
        )
        company_currency = cls.company.currency_id
        if found and (found.currency_id or company_currency).name == currency_name:
            return
        currency = (
            cls.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", currency_name)])
        )
        currency.active = True
        Bank = cls.env["res.partner.bank"]
        bank = Bank.search(
            [
                ("acc_number", "=", account),
                ("partner_id", "=", cls.company.partner_id.id),
            ]
        ) or Bank.create(
            {"acc_number": account, "partner_id": cls.company.partner_id.id}
        )
        cls.journal_count += 1
        cls.env["account.journal"].create(
            {
                "name": f"{account} {currency_name}",
                "code": f"P{cls.journal_count}",
                "type": "bank",
                "bank_account_id": bank.id,
                "currency_id": currency != company_currency and currency.id,
            }
        )

    def _upload(self, path, user, name=None):
        """The file as the bookkeeper uploads it, or the refusal's message."""
        vals = {
            "file_name": name or path.name,
            "file_data": base64.b64encode(path.read_bytes()),
        }
        return self.env["bank.mt940.file"].with_user(user).create(vals)

    def assertActionable(self, message, name):
        self.assertTrue(
            any(step in message for step in NEXT_STEPS),
            f"{name}: the refusal does not say what to do: {message}",
        )

    def assertInOwnJournals(self, record, statements):
        """Each line in the journal of its statement's account and currency."""
        by_import_id = {
            transaction.import_id: statement
            for statement in statements
            for transaction in statement.transactions
        }
        finder = self.env["bank.mt940.file"].new({"company_id": self.company.id})
        for line in record.statement_line_ids:
            statement = by_import_id[line.unique_import_id]
            self.assertEqual(
                line.journal_id,
                finder._find_journal(statement.account, statement.currency),
            )
            self.assertEqual(line.currency_id.name, statement.currency)

    def test_every_public_file_imports_once(self):
        self.assertGreaterEqual(len(self.files), 80)
        outcomes = {"imported": 0, "imported_anyway": 0, "refused": 0}
        for path in self.files:
            with self.subTest(file=path.name):
                outcomes[self._import_file(path)] += 1
        # The corpus reaches every outcome, or the test proves little.
        self.assertTrue(all(outcomes.values()), outcomes)

    def _import_file(self, path):
        statements = self.statements[path.name]
        record = self._upload(path, self.bookkeeper)
        if record.state == "waiting":
            record.with_user(self.bookkeeper).action_process()
        if record.state == "error" and not record.can_import_anyway:
            # Refused for good: nothing imported, and the message says what to do.
            self.assertActionable(record.message, path.name)
            self.assertFalse(record.statement_line_ids)
            self.assertFalse(statements, f"{path.name} was readable")
            return "refused"
        anyway = record.state == "error"
        if anyway:
            self.assertActionable(record.message, path.name)
            self.assertFalse(record.statement_line_ids)
            record.with_user(self.manager).action_import_anyway()
        self.assertEqual(record.state, "processed", f"{path.name}: {record.message}")
        transactions = [t for s in statements for t in s.transactions]
        credits = [t for t in transactions if t.is_credit]
        self.assertEqual(
            len(record.statement_line_ids) + len(self.logs(record, "duplicate")),
            len(credits),
            path.name,
        )
        self.assertEqual(
            len(self.logs(record, "debit_skipped")), len(transactions) - len(credits)
        )
        self.assertInOwnJournals(record, statements)
        # The same file again adds nothing.
        again = self._upload(path, self.bookkeeper, name="again-" + path.name)
        again.with_user(self.bookkeeper).action_process()
        if anyway:
            again.with_user(self.manager).action_import_anyway()
        self.assertEqual(again.state, "processed", again.message)
        self.assertFalse(again.statement_line_ids, path.name)
        self.assertEqual(len(self.logs(again, "duplicate")), len(credits))
        return "imported_anyway" if anyway else "imported"
