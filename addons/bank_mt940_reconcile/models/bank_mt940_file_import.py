"""Processing an MT940 file: parse → check → values → create lines → reconcile → log.

The file is imported in chunks (see ``_chunk_size``). "Process now" on a
small file runs every chunk in its own request, in one transaction: the file
is imported whole or not at all. The cron commits each chunk together with the
file's ``done_count``, so a run that stops (its time is up, or the worker was
killed) is resumed where it stopped by the next run; every line carries its
``unique_import_id``, so a resumed import adds each line once.
"""

import logging
import math
import time
from contextlib import nullcontext

from odoo import fields, models
from odoo.exceptions import ConcurrencyError, LockError, UserError
from odoo.fields import Command
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ..parsers import Mt940Error, mt940_dialect
from .bank_mt940_file import RETRY_ERRORS
from .bank_mt940_file_check import BalanceError
from .invoice_matcher import InvoiceMatcher

_logger = logging.getLogger(__name__)

# Statement lines are created, reconciled and (in the cron) committed in
# chunks. The first chunk of a run is small: its speed is not known yet. Later
# chunks take up to CHUNK_SIZE transactions (measured: chunks of 250 import
# faster than chunks of 50, as Odoo's create and reconciliation do part of
# their work once per call; larger chunks gain nothing more).
FIRST_CHUNK_SIZE = 50
CHUNK_SIZE = 250
# In the cron a chunk is also bounded by time, so that a run ends near the end
# Odoo grants it and a cron pass (all due jobs share Odoo's 120 s watchdog)
# never dies mid-chunk on a busy server: after the first chunk of a run, a
# chunk takes as many transactions as the speed of the chunk before fits in
# the seconds left (at least MIN_CHUNK_SIZE).
MIN_CHUNK_SIZE = 10
# First key of the per-journal advisory lock (the second is the journal id).
JOURNAL_LOCK_KEY = 940
LOG_COUNTS = ("imported", "duplicate", "unmatched", "debit_skipped")


def _chunk_size(speed, seconds_left):
    """How many transactions the next chunk takes: FIRST_CHUNK_SIZE while
    ``speed`` (transactions per second of the chunk before) is unknown, then
    CHUNK_SIZE, or fewer when that speed does not fit them in
    ``seconds_left``."""
    if speed is None:
        return min(FIRST_CHUNK_SIZE, CHUNK_SIZE)
    if seconds_left == math.inf:
        return CHUNK_SIZE
    return max(MIN_CHUNK_SIZE, min(CHUNK_SIZE, int(speed * seconds_left)))


class BankMt940File(models.Model):
    _inherit = "bank.mt940.file"

    def _lock_for_processing(self):
        """Take the file for this transaction, or say who has it.

        The state is checked again under the row lock: another session may
        have processed the file since this one read it. A file left in
        "processing" by a worker that died is not locked: it is taken again.
        """
        self.ensure_one()
        try:
            self.lock_for_update()
        except LockError:
            raise UserError(
                self.env._(
                    "%s is being processed right now. Refresh the page in a "
                    "moment to see the result.",
                    self.name,
                )
            ) from None
        self.invalidate_recordset(["state", "done_count"])
        if self.state == "processed":
            raise UserError(self.env._("%s has already been processed.", self.name))

    def _process_file(self, cron=False):
        """Import the file, or the rest of it; True when it is finished.

        Finished means processed, or in error with the reason. False: the cron
        committed some chunks and stopped in time; its next run goes on.
        """
        self.ensure_one()
        if not self.done_count:
            self.log_ids.unlink()
        self.write({"state": "processing", "message": False})
        try:
            if cron:
                if not self._import_chunks(cron=True):
                    return False
            else:
                with self.env.cr.savepoint():
                    self._import_chunks()
        except RETRY_ERRORS:
            raise
        except (Mt940Error, UserError) as error:
            self._set_error(self._error_text(error))
            self.can_import_anyway = isinstance(error, BalanceError) or (
                isinstance(error, Mt940Error) and error.code == "no_closing"
            )
        except Exception as error:
            _logger.exception("MT940 file %s could not be processed", self.id)
            self._set_error(
                self.env._(
                    "The file could not be processed (%s). Contact your "
                    "administrator if this happens again.",
                    type(error).__name__,
                )
            )
        else:
            self.write(
                {
                    "state": "processed",
                    "message": self._summary(),
                    "processed_date": fields.Datetime.now(),
                }
            )
        return True

    def _set_error(self, message):
        if self.done_count:
            message = self.env._(
                "%(message)s %(done)s of %(total)s transactions were imported "
                "before this; Process now goes on with the rest.",
                message=message,
                done=formatLang(self.env, self.done_count, digits=0),
                total=formatLang(self.env, self.transaction_count, digits=0),
            )
        self.write(
            {
                "state": "error",
                "message": message,
                "processed_date": fields.Datetime.now(),
                "log_ids": [
                    Command.create(
                        {
                            "status": "error",
                            "message": message,
                            "sequence": self.transaction_count + 1,
                        }
                    )
                ],
            }
        )

    def _error_text(self, error):
        if isinstance(error, Mt940Error):
            return error.translated(self.env)
        return error.args[0]

    def _summary(self):
        counts = dict.fromkeys(LOG_COUNTS, 0)
        for status, count in self.env["bank.mt940.log"]._read_group(
            [("file_id", "=", self.id)], ["status"], ["__count"]
        ):
            counts[status] = count
        return self.env._(
            "%(lines)s bank statement lines created: %(imported)s reconciled with "
            "invoices, %(unmatched)s not matched. %(duplicate)s payments already "
            "existed, %(debit_skipped)s debits skipped.",
            lines=len(self.statement_line_ids),
            **counts,
        )

    def _import_chunks(self, cron=False):
        """Parse and check the whole file, then import what is left, by chunk."""
        statements = mt940_dialect.parse(
            self._get_bytes(), complete=not self.import_anyway
        )
        targets, problems = self._check_statements(statements)
        # (transaction, journal, currency): each statement to its own journal.
        items = [
            (transaction, *target, statement)
            for statement, target in zip(statements, targets, strict=True)
            for transaction in statement.transactions
        ]
        if self.transaction_count != len(items):
            self.transaction_count = len(items)
        context = {
            "import_debits": self.company_id.mt940_import_debits,
            # Statements imported as they are, by position in the file: each
            # becomes a bank statement that says so, credits-only or not.
            "problems": {
                id(statement): problem
                for statement, problem in zip(statements, problems, strict=True)
                if problem
            },
        }
        Cron = self.env["ir.cron"]
        speed, seconds_left = None, math.inf
        while self.done_count < len(items):
            start = self.done_count
            chunk = items[start : start + _chunk_size(speed, seconds_left)]
            started = time.monotonic()
            # In the cron a failing chunk is undone alone (the chunks before
            # it are committed); in a request the caller undoes the whole file.
            with self.env.cr.savepoint() if cron else nullcontext():
                self._import_chunk(chunk, start, context)
            speed = len(chunk) / max(time.monotonic() - started, 0.001)
            if not cron:
                continue
            # Committed: the chunk stays imported whatever happens to this run.
            seconds_left = Cron._commit_progress(
                1, remaining=1 if self.done_count < len(items) else 0
            )
            if self.done_count < len(items) and (
                seconds_left <= 0 or not self.try_lock_for_update()
            ):
                return False
        return True

    def _import_chunk(self, chunk, start, context):
        journals = self.env["account.journal"].union(*(item[1] for item in chunk))
        for journal in journals.sorted("id"):
            self._lock_journal(journal)
        existing = self._existing_import_ids([item[0] for item in chunk])
        # The invoices the chunk's credits name, found in one query.
        context = {**context, "matcher": InvoiceMatcher(self, [i[0] for i in chunk])}
        logs, line_vals, plans = [], [], []
        for index, item in enumerate(chunk, start):
            log = self._log_vals(index, item[0], item[2])
            logs.append(log)
            planned = self._plan_transaction(item, log, existing, context)
            if planned:
                line_vals.append(planned[0])
                plans.append(planned[1])
        if context["import_debits"] or context["problems"]:
            self._link_statements(chunk, line_vals, context)
        lines = self.env["account.bank.statement.line"].create(line_vals)
        self._reconcile_all(lines, plans)
        self.write(
            {
                "log_ids": [Command.create(vals) for vals in logs],
                "done_count": start + len(chunk),
            }
        )

    def _link_statements(self, chunk, line_vals, context):
        """With debits imported too, the lines belong to real bank statements
        with the bank's balances, as Odoo's own statement import makes them
        (found again by reference when a statement spans several chunks).

        A statement imported as it is always becomes a bank statement, whose
        name says who imported it and what does not add up.
        """
        Statement = self.env["account.bank.statement"]
        by_import_id = {vals["unique_import_id"]: vals for vals in line_vals}
        found = {}
        for transaction, _journal, _currency, statement in chunk:
            vals = by_import_id.get(transaction.import_id)
            problem = context["problems"].get(id(statement))
            if not vals or not (problem or context["import_debits"]):
                continue
            # Old Rabobank files repeat one :20: for every account and currency.
            reference = (
                f"MT940 {self.id}: {statement.account} {statement.currency} "
                f"{statement.reference} {statement.number}"
            )
            if reference not in found:
                # Old Rabobank files number every statement 00000/00.
                name = statement.number.strip("0/") and statement.number
                name = name or statement.reference
                if problem:
                    name = self.env._(
                        "%(name)s (imported as it is by %(user)s: %(problem)s)",
                        name=name,
                        user=self._import_anyway_user().name,
                        problem=problem,
                    )
                found[reference] = Statement.search(
                    [("reference", "=", reference)], limit=1
                ) or Statement.create(
                    {
                        "name": name,
                        "reference": reference,
                        "date": statement.closing_date,
                        "balance_start": float(statement.opening_balance),
                        "balance_end_real": float(statement.closing_balance),
                    }
                )
            vals["statement_id"] = found[reference].id

    def _import_anyway_user(self):
        return self.import_anyway_user_id or self.env.user

    def _lock_journal(self, journal):
        """One file per bank journal at a time, until this transaction ends.

        A file that had to wait starts over: its snapshot of the database was
        taken before the other file's statement lines were committed.
        """
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", JOURNAL_LOCK_KEY, journal.id
            )
        )
        if cr.fetchone()[0]:
            return
        _logger.info("MT940 file %s waits for another file of %s", self.id, journal)
        cr.execute(
            SQL("SELECT pg_advisory_xact_lock(%s, %s)", JOURNAL_LOCK_KEY, journal.id)
        )
        raise ConcurrencyError(f"MT940 file {self.id}: journal {journal.id} was busy")

    def _existing_import_ids(self, transactions):
        """The transactions already imported, committed or in this transaction."""
        import_ids = [t.import_id for t in transactions]
        if not import_ids:
            return set()
        # sudo: a line of another company with the same id is a duplicate too,
        # and the unique index would refuse it anyway.
        existing = set(
            self.env["account.bank.statement.line"]
            .sudo()
            .with_context(active_test=False)
            .search([("unique_import_id", "in", import_ids)])
            .mapped("unique_import_id")
        )
        # A snapshot taken before another file of this journal was committed
        # does not see that file's lines: a fresh cursor does.
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT unique_import_id FROM account_bank_statement_line "
                    "WHERE unique_import_id = ANY(%s)",
                    import_ids,
                )
            )
            committed = {import_id for (import_id,) in cr.fetchall()}
        if committed - existing:
            raise ConcurrencyError(f"MT940 file {self.id}: snapshot is out of date")
        return existing
