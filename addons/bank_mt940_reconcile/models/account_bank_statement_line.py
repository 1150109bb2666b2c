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

    _unique_import_id = models.UniqueIndex(
        "(unique_import_id) WHERE unique_import_id IS NOT NULL",
        "This bank transaction has already been imported.",
    )
