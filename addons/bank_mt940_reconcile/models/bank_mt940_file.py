import base64
import logging
import re

from odoo import api, fields, models
from odoo.exceptions import AccessError, ConcurrencyError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools.misc import formatLang

from ..parsers import Mt940Error, mt940_dialect

_logger = logging.getLogger(__name__)

STATES = [
    ("waiting", "Waiting"),
    ("processing", "Processing"),
    ("processed", "Processed"),
    ("error", "Error"),
]
EXTENSIONS = (".940", ".swi", ".sta", ".mt940")
CRON_BATCH_SIZE = 20
CRON_XMLID = "bank_mt940_reconcile.ir_cron_process_mt940_files"
# "Process now" imports a file of at most this many transactions in the
# request; a larger one (or its rest) is handed to the cron, which commits it
# by chunk and shows its progress.
INLINE_LIMIT = 500
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
    transaction_count = fields.Integer(string="Transactions", readonly=True)
    done_count = fields.Integer(
        string="Transactions done",
        readonly=True,
        help="Transactions imported and committed so far; a run that stopped "
        "goes on from here.",
    )
    progress = fields.Char(compute="_compute_progress")
    can_import_anyway = fields.Boolean(
        readonly=True,
        copy=False,
        help="The file was refused because a statement does not add up or has "
        "no closing balance: an accounting manager may import it as it is.",
    )
    import_anyway = fields.Boolean(readonly=True, copy=False)
    import_anyway_user_id = fields.Many2one(
        "res.users", string="Imported as it is by", readonly=True, copy=False
    )

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

    @api.depends("state", "done_count", "transaction_count")
    @api.depends_context("lang")
    def _compute_progress(self):
        for record in self:
            if record.state == "processing" and record.transaction_count:
                record.progress = self.env._(
                    "%(done)s / %(total)s transactions",
                    done=formatLang(self.env, record.done_count, digits=0),
                    total=formatLang(self.env, record.transaction_count, digits=0),
                )
            else:
                record.progress = False

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        for record in records:
            record._check_upload()
        return records

    def write(self, vals):
        # A file in error because its journal was missing waits again once the
        # bookkeeper chooses the journal: the next cron run (or Process now)
        # imports it.
        if vals.get("journal_id") and "state" not in vals:
            retried = self.filtered(lambda f: f.state == "error")
            if retried:
                super(BankMt940File, retried).write({"state": "waiting"})
        return super().write(vals)

    def action_process(self):
        """Process now: small files at once, large ones through the cron."""
        self._check_may_process()
        files = self.filtered(lambda f: f.state != "processed")
        if not files:
            raise UserError(
                self.env._("Only waiting files or files in error can be processed.")
            )
        to_cron = self.browse()
        for record in files:
            record._lock_for_processing()
            if record.transaction_count - record.done_count > INLINE_LIMIT:
                to_cron |= record
                continue
            # sudo: a bookkeeper with Invoicing rights may process the file (checked
            # above) but may not create bank statement lines nor reconcile them
            # without "full accounting features"; the import does that for them.
            record.sudo().with_company(record.company_id)._process_file()
        if not to_cron:
            return True
        # A large file would keep the browser waiting: the cron imports it in
        # committed chunks, starting now; the list and form show its progress.
        to_cron.filtered(lambda f: f.state == "error").write({"state": "waiting"})
        self.env.ref(CRON_XMLID).sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "%s is large: it is being processed in the background. "
                    "Refresh the page to see how far it is.",
                    ", ".join(to_cron.mapped("name")),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_import_anyway(self):
        """Import a file whose statements do not add up, as it is: for
        accounting managers, written in the file's chatter with who did it."""
        if not self.env.user.has_group("account.group_account_manager"):
            raise AccessError(
                self.env._(
                    "Only an accounting manager can import a file whose balances "
                    "do not add up; ask your accounting manager."
                )
            )
        if self.filtered(lambda f: not (f.state == "error" and f.can_import_anyway)):
            raise UserError(
                self.env._(
                    "Only files refused because their balances do not add up can "
                    "be imported as they are."
                )
            )
        # Remembered for the cron too: a large file is imported by OdooBot, but
        # the chatter and the statements name the manager who decided.
        self.write(
            {
                "import_anyway": True,
                "import_anyway_user_id": self.env.user.id,
                "state": "waiting",
            }
        )
        return self.action_process()

    def _check_may_process(self):
        """Processing a file is for bookkeepers (Invoicing) and accountants."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(
                self.env._(
                    "Only users with Invoicing or Accounting rights can process "
                    "MT940 files; ask your accountant."
                )
            )
        self.check_access("write")

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
        self.transaction_count = len(re.findall(r"(?m)^:61:", text))
        if not self.journal_id:
            self._match_journal(text)

    def _get_bytes(self):
        return base64.b64decode(self.file_data or b"")

    @api.model
    def _cron_process_waiting_files(self, batch_size=CRON_BATCH_SIZE):
        """Waiting files, and files whose import stopped halfway, a chunk at a
        time; Odoo calls this again (and reschedules the cron at once) while
        work remains and stops when the run's time is up."""
        cron = self.env["ir.cron"]
        self._retry_files_without_journal(batch_size)
        domain = [("state", "in", ("waiting", "processing"))]
        remaining = self.search_count(domain)
        if cron._commit_progress(remaining=remaining) <= 0:
            return
        for record in self.search(domain, limit=batch_size, order="id"):
            # Odoo runs crons without a language: the file's log and messages are
            # written in the language of the company the file belongs to.
            lang = record.company_id.partner_id.lang or self.env.user.lang
            if record.with_context(lang=lang)._cron_process_file() is False:
                return

    def _retry_files_without_journal(self, batch_size):
        """Files in error because no journal had their account wait again as
        soon as a journal has it (the bookkeeper added the bank account)."""
        stuck = self.search(
            [("state", "=", "error"), ("journal_id", "=", False)],
            limit=batch_size,
            order="write_date",
        )
        for record in stuck:
            text = mt940_dialect.decode(record._get_bytes())
            accounts = record._file_accounts(text)
            if accounts and all(record._find_journal(a) for a in accounts):
                journal = record._find_journal(accounts[0])
                record.write({"journal_id": journal.id, "message": False})
            else:
                # Touched, so the files looked at longest ago come first next run.
                record.write({"message": record.message})

    def _cron_process_file(self):
        """Cron: take the file unless a session has it, import (the rest of) it.

        Returns False when the run's time is up with the file unfinished.
        """
        cron = self.env["ir.cron"]
        record = self.try_lock_for_update().filtered(
            lambda f: f.state in ("waiting", "processing")
        )
        if not record:
            return None
        if record.state == "waiting":
            # Committed, so everyone sees the file is being processed.
            record.state = "processing"
            cron._commit_progress(0)
            record = record.try_lock_for_update()
            if not record:
                return None
        try:
            finished = record.with_company(record.company_id)._process_file(cron=True)
        except RETRY_ERRORS as error:
            # Another file of the same journal was imported meanwhile: the
            # next run takes this one again, with fresh data, where it stopped.
            _logger.info("MT940 file %s postponed: %s", record.id, error)
            record.state = "waiting"
            cron._commit_progress(0)
            return None
        cron._commit_progress(1 if finished else 0)
        return finished
