from odoo import fields, models


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    unique_import_id = fields.Char(
        string="Import ID",
        readonly=True,
        copy=False,
        help="Identifies the bank transaction this line was imported from; "
        "the same transaction is never imported twice.",
    )
    mt940_file_id = fields.Many2one(
        "bank.mt940.file",
        string="MT940 file",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )

    mt940_log_ids = fields.One2many(
        "bank.mt940.log", "statement_line_id", string="MT940 log lines"
    )
    mt940_message = fields.Char(
        string="System message",
        compute="_compute_mt940_message",
        help="What the MT940 import did with this payment: the invoices it was "
        "reconciled with, or why it was not.",
    )

    _unique_import_id = models.UniqueIndex(
        "(unique_import_id) WHERE unique_import_id IS NOT NULL",
        "This bank transaction has already been imported.",
    )

    def _compute_mt940_message(self):
        for line in self:
            line.mt940_message = line.mt940_log_ids[:1].message
