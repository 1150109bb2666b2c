from odoo import fields, models

LOG_STATUSES = [
    ("imported", "Imported"),
    ("duplicate", "Already exists"),
    ("unmatched", "Not matched"),
    ("debit_skipped", "Debit skipped"),
    ("error", "Error"),
]


class BankMt940Log(models.Model):
    _name = "bank.mt940.log"
    _description = "MT940 file log line"
    _order = "file_id, sequence, id"
    _check_company_auto = True

    file_id = fields.Many2one(
        "bank.mt940.file", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="file_id.company_id", store=True, index=True, precompute=True
    )
    sequence = fields.Integer(default=10)
    status = fields.Selection(LOG_STATUSES, required=True)
    date = fields.Date()
    reference = fields.Char(help="The bank's reference of the transaction.")
    currency_id = fields.Many2one("res.currency")
    amount = fields.Monetary()
    counterparty = fields.Char(help="Name and account number of the other party.")
    partner_id = fields.Many2one("res.partner", string="Customer", check_company=True)
    invoice_ids = fields.Many2many(
        "account.move",
        "bank_mt940_log_invoice_rel",
        "log_id",
        "move_id",
        string="Invoices",
        check_company=True,
    )
    statement_line_id = fields.Many2one(
        "account.bank.statement.line", string="Bank line", check_company=True
    )
    message = fields.Char()
