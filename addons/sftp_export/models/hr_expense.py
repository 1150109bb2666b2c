from odoo import api, models
from odoo.fields import Domain
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)
# Expense statuses: what waits for approval, for verification (posting), what
# is ready and what is paid.
APPROVAL_MISSING = ("draft", "submitted")
VERIFICATION_MISSING = ("approved",)
READY = ("posted", "in_payment", "paid")
PAID = ("in_payment", "paid")
PAYMENT_MODES = {
    "card_transactions": "company_account",
    "expense_claims": "own_account",
}


class HrExpense(models.Model):
    _name = "hr.expense"
    _inherit = ("hr.expense", "sftp.exported.mixin")

    @api.model
    def _sftp_datasets(self):
        # Paid by the company card, or by the employee (to be reimbursed).
        return {
            "card_transactions": _lt("Card transactions"),
            "expense_claims": _lt("Expense claims"),
        }

    @api.model
    def _sftp_dataset_domain(self, dataset, company):
        return Domain(
            [
                ("company_id", "=", company.id),
                ("payment_mode", "=", PAYMENT_MODES[dataset]),
            ]
        )

    @api.model
    def _sftp_paid_domain(self, dataset):
        return Domain("state", "in", PAID)

    @api.model
    def _sftp_status_domains(self, dataset):
        return {
            "ready": Domain("state", "in", READY),
            "approval": Domain("state", "in", APPROVAL_MISSING),
            "verification": Domain("state", "in", VERIFICATION_MISSING),
        }

    @api.model
    def _sftp_status_fields(self, dataset):
        return ("state",)

    @api.model
    def _sftp_is_ready(self, dataset, values):
        return values[0] in READY
