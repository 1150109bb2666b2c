import base64
import logging
import re
import time

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError, LockError, UserError
from odoo.fields import Command
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, float_compare, float_is_zero
from odoo.tools.misc import formatLang

from ..parsers import InvoiceNumberFinder, Mt940Error, mt940_dialect
from ..parsers.matching import normalize_prefix
from ..parsers.mt940_writer import build_mt940

_logger = logging.getLogger(__name__)

STATES = [
    ("waiting", "Waiting"),
    ("processing", "Processing"),
    ("processed", "Processed"),
    ("error", "Error"),
]
EXTENSIONS = (".940", ".swi", ".sta", ".mt940")
CRON_BATCH_SIZE = 20
# Statement lines are created and reconciled in chunks of this many
# transactions, so progress can be reported between chunks.
CHUNK_SIZE = 250
# Progress is written for other sessions every so many transactions, or when
# this many seconds have passed since the last report.
PROGRESS_STEP = 1000
PROGRESS_SECONDS = 1.0
PROGRESS_STALE_MINUTES = 15
# First key of the per-journal advisory lock (the second is the journal id).
JOURNAL_LOCK_KEY = 940
OPEN_STATES = ("not_paid", "partial")
# Concurrency errors: the transaction is retried (by Odoo for a request, by
# the next cron run), never turned into an error on the file.
RETRY_ERRORS = (ConcurrencyError, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY)


class BankMt940File(models.Model):
    _name = "bank.mt940.file"
    _description = "MT940 file"
    _inherit = "mail.thread"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(
        compute="_compute_name", store=True, readonly=False, precompute=True
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    file_data = fields.Binary(string="File", required=True, attachment=True)
    file_name = fields.Char(required=True)
    journal_id = fields.Many2one(
        "account.journal",
        string="Bank journal",
        check_company=True,
        domain="[('type', '=', 'bank')]",
        tracking=True,
    )
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", string="Currency"
    )
    state = fields.Selection(
        STATES, required=True, default="waiting", readonly=True, tracking=True
    )
    message = fields.Text(readonly=True)
    processed_date = fields.Datetime(readonly=True)
    log_ids = fields.One2many("bank.mt940.log", "file_id", string="Log", readonly=True)
    statement_line_ids = fields.One2many(
        "account.bank.statement.line",
        "mt940_file_id",
        string="Bank statement lines",
        readonly=True,
    )
    invoice_ids = fields.Many2many(
        "account.move", compute="_compute_counts", string="Invoices"
    )
    statement_line_count = fields.Integer(compute="_compute_counts")
    invoice_count = fields.Integer(compute="_compute_counts")
    imported_count = fields.Integer(compute="_compute_counts", string="Imported")
    duplicate_count = fields.Integer(
        compute="_compute_counts", string="Already existed"
    )
    unmatched_count = fields.Integer(compute="_compute_counts", string="Not matched")
    progress = fields.Char(compute="_compute_progress")

    @api.depends("file_name")
    def _compute_name(self):
        for record in self:
            record.name = record.name or record.file_name

    @api.depends("journal_id", "company_id")
    def _compute_currency_id(self):
        for record in self:
            record.currency_id = (
                record.journal_id.currency_id or record.company_id.currency_id
            )

    @api.depends("log_ids.status", "log_ids.invoice_ids", "statement_line_ids")
    def _compute_counts(self):
        for record in self:
            logs = record.log_ids
            record.invoice_ids = logs.invoice_ids
            record.invoice_count = len(logs.invoice_ids)
            record.statement_line_count = len(record.statement_line_ids)
            record.imported_count = len(logs.filtered(lambda x: x.status == "imported"))
            record.duplicate_count = len(
                logs.filtered(lambda x: x.status == "duplicate")
            )
            record.unmatched_count = len(
                logs.filtered(lambda x: x.status == "unmatched")
            )

    def _compute_progress(self):
        # A session that died while processing leaves its last report behind:
        # a report older than PROGRESS_STALE_MINUTES is not shown.
        recent = fields.Datetime.subtract(
            fields.Datetime.now(), minutes=PROGRESS_STALE_MINUTES
        )
        rows = self.env["bank.mt940.progress"].search(
            [("file_id", "in", self.ids), ("reported_at", ">=", recent)]
        )
        by_file = {row.file_id: row for row in rows}
        for record in self:
            row = by_file.get(record.id)
            # While "Process now" runs, other sessions still see "waiting".
            if row and record.state in ("waiting", "processing"):
                record.progress = self.env._(
                    "%(done)s / %(total)s transactions",
                    done=formatLang(self.env, row.done, digits=0),
                    total=formatLang(self.env, row.total, digits=0),
                )
            else:
                record.progress = False

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        for record in records:
            record._check_upload()
        return records

    def action_process(self):
        """Process now: the chosen files, each in its own savepoint."""
        self.env["account.bank.statement.line"].check_access("create")
        files = self.filtered(lambda f: f.state in ("waiting", "error"))
        if not files:
            raise UserError(
                self.env._("Only waiting files or files in error can be processed.")
            )
        for record in files:
            record._lock_for_processing()
            record._process_file()
        return True

    def action_open_statement_lines(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Bank statement lines"),
            "res_model": "account.bank.statement.line",
            "view_mode": "list,form",
            "views": [
                (
                    self.env.ref(
                        "bank_mt940_reconcile.bank_mt940_statement_line_view_list"
                    ).id,
                    "list",
                ),
                (False, "form"),
            ],
            "domain": [("mt940_file_id", "=", self.id)],
            "context": {"create": False},
        }

    def action_open_invoices(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Invoices"),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("id", "in", self.invoice_ids.ids)],
            "context": {"create": False, "default_move_type": "out_invoice"},
        }

    def _check_upload(self):
        """Refuse what is not MT940 at once; link the bank journal of :25:."""
        self.ensure_one()
        name = self.file_name or ""
        if not name.lower().endswith(EXTENSIONS):
            raise UserError(
                self.env._(
                    "%s is not an MT940 file: upload a file ending in .940, .swi, "
                    ".sta or .mt940.",
                    name,
                )
            )
        data = self._get_bytes()
        try:
            text = mt940_dialect.decode(data)
        except Mt940Error as error:
            # Empty, not text, too large: say which.
            raise UserError(
                self.env._(
                    "%(name)s is refused: %(reason)s",
                    name=name,
                    reason=self._error_text(error),
                )
            ) from None
        if not mt940_dialect.looks_like_mt940(text):
            raise UserError(
                self.env._(
                    "%s is not an MT940 bank statement: it has no statement "
                    "fields (:20:, :25:, :60F:). Download the MT940 format from "
                    "your bank.",
                    name,
                )
            )
        if not self.journal_id:
            self._match_journal(text)

    def _get_bytes(self):
        return base64.b64decode(self.file_data or b"")

    def _match_journal(self, text):
        accounts = []
        for raw in re.findall(r"(?m)^:25:(.*)$", text):
            account = mt940_dialect.statement_account(raw)
            if account not in accounts:
                accounts.append(account)
        journal = self._find_journal(accounts[0]) if accounts else False
        if journal:
            self.journal_id = journal
        else:
            self.write(
                {
                    "state": "error",
                    "message": self.env._(
                        "No bank journal of %(company)s has the account number "
                        "%(account)s. Add this account to the bank journal, "
                        "then process the file again.",
                        company=self.company_id.name,
                        account=", ".join(accounts) or "-",
                    ),
                }
            )

    def _find_journal(self, account):
        journals = self.env["account.journal"].search(
            [
                ("type", "=", "bank"),
                ("company_id", "=", self.company_id.id),
                ("bank_account_id", "!=", False),
            ]
        )
        return journals.filtered(
            lambda j: same_account(j.bank_account_id.sanitized_acc_number, account)
        )[:1]

    def _lock_for_processing(self):
        """Take the file for this transaction, or say who has it.

        The state is checked again under the row lock: another session may
        have processed the file since this one read it.
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
        self.invalidate_recordset(["state"])
        if self.state not in ("waiting", "error"):
            raise UserError(self.env._("%s has already been processed.", self.name))

    def _process_file(self):
        """One file, all or nothing: processed, or error with the reason."""
        self.ensure_one()
        self.write({"state": "processing", "message": False})
        self.log_ids.unlink()
        try:
            with self.env.cr.savepoint():
                summary = self._import_file()
        except RETRY_ERRORS:
            raise
        except (Mt940Error, UserError) as error:
            self._set_error(self._error_text(error))
        except Exception as error:
            _logger.exception("MT940 file %s could not be processed", self.id)
            self._set_error(
                self.env._(
                    "The file could not be processed (%s). Nothing was imported; "
                    "contact your administrator if this happens again.",
                    type(error).__name__,
                )
            )
        else:
            self.write(
                {
                    "state": "processed",
                    "message": summary,
                    "processed_date": fields.Datetime.now(),
                }
            )
        finally:
            self.env["bank.mt940.progress"].sudo()._clear(self)

    def _set_error(self, message):
        self.write(
            {
                "state": "error",
                "message": message,
                "processed_date": fields.Datetime.now(),
                "log_ids": [Command.create({"status": "error", "message": message})],
            }
        )

    def _error_text(self, error):
        if isinstance(error, UserError):
            return error.args[0]
        templates = {
            "empty": lambda: self.env._("The file is empty."),
            "binary": lambda: self.env._(
                "The file is not an MT940 bank statement (it is not text)."
            ),
            "too_large": lambda: self.env._(
                "The file is larger than %(limit)s MB.", **error.params
            ),
            "not_mt940": lambda: self.env._(
                "The file is not an MT940 bank statement: no :20:, :25: and :60F: "
                "statement fields were found."
            ),
            "no_account": lambda: self.env._(
                "Statement %(statement)s has no account number (:25:).",
                **error.params,
            ),
            "no_opening": lambda: self.env._(
                "Statement %(statement)s has no opening balance (:60F:): the file "
                "is incomplete.",
                **error.params,
            ),
            "no_closing": lambda: self.env._(
                "Statement %(statement)s has no closing balance (:62F:): the file "
                "is incomplete.",
                **error.params,
            ),
            "dot_amount": lambda: self.env._(
                "Line %(line)s: the amount %(amount)s uses a dot; MT940 amounts "
                "use a comma as decimal separator. Download the file again from "
                "your bank without editing it.",
                **error.params,
            ),
            "bad_line": lambda: self.env._(
                "Statement %(statement)s: this line cannot be read: %(text)s",
                **error.params,
            ),
            "currency_mix": lambda: self.env._(
                "Statement %(statement)s mixes the currencies %(currencies)s.",
                **error.params,
            ),
        }
        template = templates.get(error.code)
        return template() if template else str(error)

    def _check_statements(self, statements):
        journal = self.journal_id
        if not journal:
            self._match_journal(mt940_dialect.decode(self._get_bytes()))
            journal = self.journal_id
            if not journal:
                raise UserError(self.message)
        currency = journal.currency_id or journal.company_id.currency_id
        for statement in statements:
            if not same_account(
                journal.bank_account_id.sanitized_acc_number, statement.account
            ):
                raise UserError(
                    self.env._(
                        "Statement %(statement)s is for account %(account)s, but "
                        "the journal %(journal)s has account %(journal_account)s.",
                        statement=statement.reference,
                        account=statement.account,
                        journal=journal.name,
                        journal_account=journal.bank_account_id.acc_number or "-",
                    )
                )
            if statement.currency != currency.name:
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
            if statement.balance_difference:
                raise UserError(
                    self.env._(
                        "Statement %(statement)s does not add up: the opening "
                        "balance %(opening)s plus the transactions is %(total)s, "
                        "but the closing balance is %(closing)s. Download the "
                        "file again from your bank.",
                        statement=statement.reference,
                        opening=statement.opening_balance,
                        total=statement.closing_balance - statement.balance_difference,
                        closing=statement.closing_balance,
                    )
                )
        return journal, currency

    def _import_file(self):
        statements = mt940_dialect.parse(self._get_bytes())
        journal, currency = self._check_statements(statements)
        self._lock_journal(journal)
        transactions = [t for statement in statements for t in statement.transactions]
        progress = _Progress(self, len(transactions))
        existing = self._existing_import_ids(transactions)
        context = {
            "journal": journal,
            "currency": currency,
            "existing": existing,
            "matcher": _InvoiceMatcher(self, transactions, currency),
            "import_debits": self.company_id.mt940_import_debits,
        }
        Line = self.env["account.bank.statement.line"]
        lines = Line
        logs = []
        # Chunks: progress is reported between them, and a chunk's lines are
        # reconciled in one batch.
        for start in range(0, len(transactions), CHUNK_SIZE):
            line_vals, plans = [], []
            chunk = transactions[start : start + CHUNK_SIZE]
            for index, transaction in enumerate(chunk, start):
                log = self._log_vals(index, transaction, currency)
                logs.append(log)
                planned = self._plan_transaction(transaction, log, context)
                if planned:
                    line_vals.append(planned[0])
                    plans.append(planned[1])
            chunk_lines = Line.create(line_vals)
            self._reconcile_all(chunk_lines, plans)
            lines += chunk_lines
            progress.advance(len(chunk))
        self.write({"log_ids": [Command.create(vals) for vals in logs]})
        counts = {
            status: 0
            for status in ("imported", "duplicate", "unmatched", "debit_skipped")
        }
        for log in logs:
            counts[log["status"]] += 1
        return self.env._(
            "%(lines)s bank statement lines created: %(imported)s reconciled with "
            "invoices, %(unmatched)s not matched. %(duplicate)s payments already "
            "existed, %(debit_skipped)s debits skipped.",
            lines=len(lines),
            **counts,
        )

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

    def _log_vals(self, index, transaction, currency):
        return {
            "sequence": index,
            "date": transaction.date,
            "reference": transaction.bank_reference
            or transaction.end_to_end_reference
            or transaction.customer_reference,
            "currency_id": currency.id,
            "amount": float(transaction.amount),
            "counterparty": " ".join(
                x
                for x in (
                    transaction.counterparty_name,
                    transaction.counterparty_account,
                )
                if x
            ),
        }

    def _plan_transaction(self, transaction, log, context):
        """Statement line values and reconciliation plan, or None when skipped."""
        existing = context["existing"]
        if transaction.import_id in existing:
            log.update(
                status="duplicate",
                message=self.env._("Not imported – payment already exists"),
            )
            return None
        existing.add(transaction.import_id)
        if not transaction.is_credit and not context["import_debits"]:
            log.update(
                status="debit_skipped",
                message=self.env._(
                    "Debit skipped: only received payments are imported."
                ),
            )
            return None
        vals = self._statement_line_vals(context["journal"], transaction)
        plan = {"log": log, "invoices": self.env["account.move"]}
        if transaction.is_credit:
            match = context["matcher"].match(transaction)
            plan.update(match)
            if match["invoices"]:
                vals["partner_id"] = match["partner"].id
                vals["counterpart_account_id"] = match["account"].id
            elif match.get("partner"):
                vals["partner_id"] = match["partner"].id
            log["partner_id"] = vals.get("partner_id", False)
        else:
            plan["reason"] = self.env._(
                "Debit imported as an open bank statement line."
            )
        return vals, plan

    def _statement_line_vals(self, journal, transaction):
        label = (
            transaction.remittance
            or transaction.details
            or transaction.customer_reference
            or "/"
        )
        return {
            "journal_id": journal.id,
            "date": transaction.date,
            "amount": float(transaction.amount),
            "payment_ref": label[:500],
            "partner_name": transaction.counterparty_name or False,
            "account_number": transaction.counterparty_account or False,
            "transaction_type": transaction.type_code or False,
            "unique_import_id": transaction.import_id,
            "mt940_file_id": self.id,
            "narration": transaction.details or False,
        }

    def _reconcile_all(self, lines, plans):
        """Reconcile every matched credit in one batch, then log the outcome.

        Each credit pays its invoices in the order named: one step per
        invoice, in Odoo's reconciliation plan.
        """
        steps = []
        for line, plan in zip(lines, plans, strict=True):
            plan["log"]["statement_line_id"] = line.id
            if not plan["invoices"]:
                continue
            account = plan["account"]
            plan["counterpart"] = line.move_id.line_ids.filtered(
                lambda x, account=account: x.account_id == account
            )
            plan["steps"] = [
                plan["counterpart"]
                + invoice.line_ids.filtered(
                    lambda x, account=account: (
                        x.account_id == account and not x.reconciled
                    )
                )
                for invoice in plan["invoices"]
            ]
            steps.append(plan["steps"] if len(plan["steps"]) > 1 else plan["steps"][0])
        if steps:
            self.env["account.move.line"]._reconcile_plan(steps)
        states = dict(
            self.env["account.move"]
            ._fields["payment_state"]
            ._description_selection(self.env)
        )
        for plan in plans:
            self._log_outcome(plan, states)

    def _log_outcome(self, plan, states):
        log = plan["log"]
        invoices = plan["invoices"]
        if not invoices:
            log.update(status="unmatched", message=plan.get("reason"))
            return
        counterpart = plan["counterpart"]
        paid_moves = counterpart.matched_debit_ids.debit_move_id.move_id
        paid = invoices.filtered(lambda inv: inv in paid_moves)
        notes = [
            self.env._("%s not paid: nothing left of the payment.", invoice.name)
            for invoice in invoices - paid
        ]
        parts = [
            self.env._(
                "%(invoice)s: %(state)s",
                invoice=invoice.name,
                state=states.get(invoice.payment_state, invoice.payment_state),
            )
            for invoice in paid
        ]
        surplus = -counterpart.amount_residual
        rounding = counterpart.company_currency_id.rounding
        if paid and float_compare(surplus, 0.0, precision_rounding=rounding) > 0:
            parts.append(
                self.env._(
                    "overpaid by %(amount)s, kept as an open credit for the customer",
                    amount=f"{surplus:.2f}",
                )
            )
        if plan.get("by_amount"):
            parts.append(self.env._("matched by amount"))
        log.update(
            status="imported" if paid else "unmatched",
            message="; ".join(parts + notes),
            invoice_ids=[Command.set(paid.ids or invoices.ids)],
        )

    @api.model
    def _demo_create_sample_file(self, journal_id, invoice_ids):
        """Demo data: an ING file paying the demo invoices in every way."""
        journal = self.env["account.journal"].browse(journal_id)
        paid, partial, over, first, second, by_amount = self.env["account.move"].browse(
            invoice_ids
        )
        by_amount_iban = by_amount.partner_id.bank_ids[:1].acc_number
        data = build_mt940(
            [
                {"amount": paid.amount_total, "remi": f"Factuur {paid.name}"},
                {"amount": 100.0, "remi": f"Deelbetaling {partial.name}"},
                {"amount": over.amount_total + 25, "remi": over.name.lower()},
                {
                    "amount": first.amount_total + second.amount_total,
                    "remi": f"{first.name} en {second.name}",
                },
                {
                    "amount": by_amount.amount_total,
                    "remi": "bestelling april",
                    "iban": by_amount_iban,
                },
                {"amount": 19.95, "remi": "Factuur INV/1999/00001"},
                {"amount": -54.45, "remi": "Huur kantoor", "name": "Verhuur BV"},
            ],
            account=journal.bank_account_id.acc_number.replace(" ", ""),
            opening=1000.0,
            reference="DEMO000000000001",
        )
        return self.create(
            {
                "file_name": "ING-demo.940",
                "file_data": base64.b64encode(data),
                "journal_id": journal.id,
            }
        )

    @api.model
    def _cron_process_waiting_files(self, batch_size=CRON_BATCH_SIZE):
        # A file left in "processing" for an hour by a worker that died is
        # taken again.
        stale = fields.Datetime.subtract(fields.Datetime.now(), hours=1)
        domain = [
            "|",
            ("state", "=", "waiting"),
            "&",
            ("state", "=", "processing"),
            ("write_date", "<", stale),
        ]
        files = self.search(domain, limit=batch_size, order="id")
        remaining = len(files) if len(files) < batch_size else self.search_count(domain)
        self.env["ir.cron"]._commit_progress(remaining=remaining)
        for record in files:
            # Odoo runs crons without a language: the file's log and messages are
            # written in the language of the company the file belongs to.
            lang = record.company_id.partner_id.lang or self.env.user.lang
            record.with_context(lang=lang)._cron_process_file(domain)

    def _cron_process_file(self, domain):
        """Cron: take the file if it is still to do, process it, commit."""
        cron = self.env["ir.cron"]
        record = self.try_lock_for_update().filtered_domain(domain)
        if not record:
            return
        # Committed, so everyone sees the file is being processed.
        record.state = "processing"
        cron._commit_progress(0)
        record = record.try_lock_for_update()
        if not record:
            return
        try:
            record.with_company(record.company_id)._process_file()
        except RETRY_ERRORS as error:
            # Another file of the same journal was imported meanwhile: the
            # next run takes this one again, with fresh data.
            _logger.info("MT940 file %s postponed: %s", record.id, error)
            record.state = "waiting"
            cron._commit_progress(0)
            return
        cron._commit_progress(1)


def same_account(iban, account):
    """An IBAN and the account of :25: (an IBAN, or the old Dutch number)."""
    iban = (iban or "").replace(" ", "").upper()
    account = (account or "").replace(" ", "").upper()
    if not iban or not account:
        return False
    if iban == account:
        return True
    return (
        account.isdigit()
        and iban.startswith("NL")
        and (iban[-10:] == account.zfill(10)[-10:])
    )


class _Progress:
    """Progress of one file for other sessions: every PROGRESS_STEP
    transactions or PROGRESS_SECONDS, through a cursor of its own."""

    def __init__(self, file, total):
        self.file = file
        self.total = total
        self.done = 0
        self._report()

    def advance(self, count):
        self.done = min(self.done + count, self.total)
        if (
            self.done - self.reported >= PROGRESS_STEP
            or time.monotonic() - self.reported_at >= PROGRESS_SECONDS
        ):
            self._report()

    def _report(self):
        self.file.env["bank.mt940.progress"].sudo()._report(
            self.file, self.done, self.total
        )
        self.reported = self.done
        self.reported_at = time.monotonic()


class _InvoiceMatcher:
    """Finds the invoices a credit pays; one query for the whole file."""

    def __init__(self, file, transactions, currency):
        self.file = file
        self.env = file.env
        self.currency = currency
        # sudo: invoices of other companies are looked up only to tell the
        # bookkeeper that the number belongs to another company.
        moves = self.env["account.move"].sudo()
        invoice_domain = [("move_type", "=", "out_invoice"), ("state", "=", "posted")]
        prefixes = [
            prefix
            for (prefix,) in moves._read_group(
                invoice_domain + [("sequence_prefix", "!=", False)],
                ["sequence_prefix"],
            )
        ]
        self.finder = InvoiceNumberFinder(prefixes)
        self.keys = {}
        numbers = set()
        for transaction in transactions:
            if not transaction.is_credit:
                continue
            keys = self.finder.find(
                transaction.remittance,
                transaction.end_to_end_reference,
                transaction.details,
                transaction.customer_reference,
            )
            self.keys[transaction.import_id] = keys
            numbers.update(number for _prefix, number in keys)
        self.invoices = {}
        if numbers:
            found = moves.search(
                invoice_domain
                + [
                    ("sequence_prefix", "in", prefixes),
                    ("sequence_number", "in", sorted(numbers)),
                ]
            )
            for invoice in found:
                key = (
                    normalize_prefix(invoice.sequence_prefix),
                    invoice.sequence_number,
                )
                self.invoices.setdefault(key, invoice)

    def match(self, transaction):
        env = self.env
        company = self.file.company_id
        keys = self.keys.get(transaction.import_id, [])
        named = [self.invoices[key] for key in keys if key in self.invoices]
        foreign = [inv for inv in named if inv.company_id != company]
        own = [inv.sudo(False) for inv in named if inv.company_id == company]
        open_invoices = [
            inv
            for inv in own
            if inv.payment_state in OPEN_STATES and inv.currency_id == self.currency
        ]
        if open_invoices:
            partner = open_invoices[0].commercial_partner_id
            invoices = env["account.move"].browse(
                [
                    inv.id
                    for inv in open_invoices
                    if inv.commercial_partner_id == partner
                ]
            )
            return self._matched(invoices, partner)
        if own:
            other_currency = [inv for inv in own if inv.currency_id != self.currency]
            if other_currency:
                reason = env._(
                    "invoice %(invoice)s is in %(currency)s, the bank account in "
                    "%(bank_currency)s",
                    invoice=other_currency[0].name,
                    currency=other_currency[0].currency_id.name,
                    bank_currency=self.currency.name,
                )
            else:
                reason = env._(
                    "invoice %s is already paid", ", ".join(inv.name for inv in own)
                )
            return {
                "invoices": env["account.move"],
                "reason": reason,
                "partner": own[0].commercial_partner_id,
            }
        if foreign:
            return {
                "invoices": env["account.move"],
                "reason": env._(
                    "invoice %s belongs to another company",
                    ", ".join(inv.name for inv in foreign),
                ),
            }
        if keys:
            return {
                "invoices": env["account.move"],
                "reason": env._(
                    "no invoice with number %s",
                    ", ".join("{} {}".format(*key) for key in keys),
                ),
            }
        return self._match_by_amount(transaction)

    def _matched(self, invoices, partner, by_amount=False):
        account = (
            invoices[0]
            .line_ids.filtered(lambda x: x.account_type == "asset_receivable")[:1]
            .account_id
        )
        return {
            "invoices": invoices,
            "partner": partner,
            "account": account,
            "by_amount": by_amount,
        }

    def _match_by_amount(self, transaction):
        env = self.env
        no_number = {
            "invoices": env["account.move"],
            "reason": env._("no invoice number found"),
        }
        account = (transaction.counterparty_account or "").replace(" ", "").upper()
        if not account:
            return no_number
        bank = env["res.partner.bank"].search(
            [
                ("sanitized_acc_number", "=", account),
                ("company_id", "in", [False, self.file.company_id.id]),
            ],
            limit=1,
        )
        if not bank:
            return no_number
        partner = bank.partner_id.commercial_partner_id
        candidates = env["account.move"].search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("company_id", "=", self.file.company_id.id),
                ("commercial_partner_id", "=", partner.id),
                ("payment_state", "in", OPEN_STATES),
                ("currency_id", "=", self.currency.id),
            ],
            limit=50,
        )
        amount = float(transaction.amount)
        exact = candidates.filtered(
            lambda inv: float_is_zero(
                inv.amount_residual - amount,
                precision_rounding=self.currency.rounding,
            )
        )
        if len(exact) == 1:
            return self._matched(exact, partner, by_amount=True)
        result = dict(no_number, partner=partner)
        if len(exact) > 1:
            result["reason"] = env._(
                "no invoice number found; several open invoices have this amount"
            )
        return result
