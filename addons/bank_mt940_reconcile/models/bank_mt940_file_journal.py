"""Which bank journal an MT940 file's accounts belong to: account numbers
compared as banks write them over the years (IBAN, old dotted, zero-padded,
BBAN), per currency when an account has a journal per currency."""

import re

from odoo import models

from ..parsers import mt940_dialect
from ..parsers.matching import same_account


class BankMt940File(models.Model):
    _inherit = "bank.mt940.file"

    def _file_accounts(self, text):
        accounts = []
        for raw in re.findall(r"(?m)^:25:(.*)$", text):
            account = mt940_dialect.statement_account(raw)
            if account not in accounts:
                accounts.append(account)
        return accounts

    def _match_journal(self, text):
        """The journal of the file's first account; an error naming every
        account of the file that no bank journal has."""
        accounts = self._file_accounts(text)
        missing = [account for account in accounts if not self._find_journal(account)]
        if accounts and not missing:
            self.journal_id = self._find_journal(accounts[0])
            return
        self.write(
            {
                "state": "error",
                "message": self.env._(
                    "No bank journal of %(company)s has the account number "
                    "%(account)s. Add this account to the bank journal, "
                    "then process the file again.",
                    company=self.company_id.name,
                    account=", ".join(missing) or "-",
                ),
            }
        )

    def _find_journal(self, account, currency=None):
        """The bank journal of an account number as banks write it (IBAN, old
        dotted or zero-padded number, BBAN), in the statement's currency when
        the account has a journal per currency."""
        journals = self.env["account.journal"].search(
            [
                ("type", "=", "bank"),
                ("company_id", "=", self.company_id.id),
                ("bank_account_id", "!=", False),
            ]
        )
        journals = journals.filtered(
            lambda j: same_account(j.bank_account_id.sanitized_acc_number, account)
        )
        if currency:
            company_currency = self.company_id.currency_id
            journals = journals.filtered(
                lambda j: (j.currency_id or company_currency).name == currency
            ) or journals.filtered(lambda j: not j.currency_id)
        return journals[:1]
