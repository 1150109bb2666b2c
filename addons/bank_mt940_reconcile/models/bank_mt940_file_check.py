"""The checks before an MT940 file is imported: each statement's bank journal
and currency, and whether its balances add up."""

from odoo import models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang

# A refusal names this many statements that do not add up, then counts the rest.
MAX_PROBLEMS_NAMED = 5


class BalanceError(UserError):
    """A statement does not add up: an accounting manager may import it anyway."""


class BankMt940File(models.Model):
    _inherit = "bank.mt940.file"

    def _check_statements(self, statements):
        """The journal and currency of each statement, or a refusal that names
        every account without a journal and every statement that does not add
        up."""
        targets, missing = [], []
        single_account = len({statement.account for statement in statements}) == 1
        for statement in statements:
            journal = self._find_journal(statement.account, statement.currency)
            if not journal and single_account and self.journal_id:
                # The bookkeeper chose the journal on the form.
                journal = self.journal_id
            currency = journal.currency_id or self.company_id.currency_id
            if not journal:
                missing.append(f"{statement.account} ({statement.currency})")
            elif statement.currency != currency.name:
                raise UserError(
                    self.env._(
                        "Statement %(statement)s is in %(currency)s, but the "
                        "journal %(journal)s is in %(journal_currency)s.",
                        statement=statement.reference,
                        currency=statement.currency,
                        journal=journal.name,
                        journal_currency=currency.name,
                    )
                )
            targets.append((journal, currency))
        if missing:
            raise UserError(
                self.env._(
                    "No bank journal of %(company)s has the account number "
                    "%(account)s. Add this account to the bank journal, then "
                    "process the file again.",
                    company=self.company_id.name,
                    account=", ".join(dict.fromkeys(missing)),
                )
            )
        if not self.journal_id:
            self.journal_id = targets[0][0]
        problems = [
            self._statement_problem(statement, currency)
            for statement, (_journal, currency) in zip(statements, targets, strict=True)
        ]
        found = [problem for problem in problems if problem]
        if found and not self.import_anyway:
            named = "; ".join(found[:MAX_PROBLEMS_NAMED])
            if len(found) > MAX_PROBLEMS_NAMED:
                named = self.env._(
                    "%(problems)s and %(count)s more statements",
                    problems=named,
                    count=len(found) - MAX_PROBLEMS_NAMED,
                )
            raise BalanceError(
                self.env._(
                    "Not imported: %(problems)s. Download the file again from "
                    "your bank; an accounting manager can also import it as it "
                    "is (Import anyway).",
                    problems=named,
                )
            )
        if found and not self.done_count:
            user = self._import_anyway_user()
            self.message_post(
                body=self.env._(
                    "Imported as it is by %(user)s: %(problems)s.",
                    user=user.name,
                    problems="; ".join(found),
                ),
                author_id=user.partner_id.id,
            )
        return targets, problems

    def _statement_problem(self, statement, currency):
        """Why a statement does not add up, or None."""
        if statement.closing_missing:
            return self.env._(
                "statement %(statement)s has no closing balance; the "
                "transactions give %(closing)s",
                statement=statement.reference,
                closing=self._amount(statement.closing_balance, currency),
            )
        if statement.balance_difference:
            return self.env._(
                "statement %(statement)s does not add up: opening balance "
                "%(opening)s, closing balance %(closing)s, difference "
                "%(difference)s",
                statement=statement.reference,
                opening=self._amount(statement.opening_balance, currency),
                closing=self._amount(statement.closing_balance, currency),
                difference=self._amount(statement.balance_difference, currency),
            )
        return None

    def _amount(self, amount, currency):
        """An amount as the user's language writes it (25,00 in Dutch)."""
        return formatLang(self.env, float(amount), currency_obj=currency)
