from odoo import api, models
from odoo.fields import Domain
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)
BILL_PAID = ("paid", "in_payment", "reversed")


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ("account.move", "sftp.exported.mixin")

    @api.model
    def _sftp_datasets(self):
        return {"vendor_bills": _lt("Vendor bills")}

    @api.model
    def _sftp_dataset_domain(self, dataset, company):
        return Domain(
            [
                ("company_id", "=", company.id),
                ("move_type", "in", ("in_invoice", "in_refund")),
            ]
        )

    @api.model
    def _sftp_paid_domain(self, dataset):
        return Domain("payment_state", "in", BILL_PAID)

    @api.model
    def _sftp_status_domains(self, dataset):
        # A posted bill is verified once it is marked "checked" (reviewed).
        return {
            "ready": Domain([("state", "=", "posted"), ("checked", "=", True)]),
            "approval": Domain("state", "=", "draft"),
            "verification": Domain([("state", "=", "posted"), ("checked", "=", False)]),
        }

    @api.model
    def _sftp_status_fields(self, dataset):
        return ("state", "checked")

    @api.model
    def _sftp_is_ready(self, dataset, values):
        state, checked = values
        return state == "posted" and bool(checked)
