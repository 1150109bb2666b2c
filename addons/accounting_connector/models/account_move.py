from odoo import models

INVOICE_TYPES = ("out_invoice", "out_refund", "in_invoice", "in_refund")


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._queue_accounting_tasks("post_proposal")
        return posted

    def button_draft(self):
        was_posted = self.filtered(lambda move: move.state == "posted")
        result = super().button_draft()
        was_posted._queue_accounting_tasks("delete_proposal")
        return result

    def _accounting_proposal(self):
        """The booking proposal sent to the accounting package (plain values)."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return {
            "ref": self.name,
            "move_type": self.move_type,
            "date": str(self.date),
            "journal_code": self.journal_id.code,
            "currency": self.company_currency_id.name,
            "partner": {"name": partner.name or "", "vat": partner.vat or ""},
            "lines": [
                {
                    "account_code": line.account_id.code,
                    "name": line.name or "",
                    "debit": line.debit,
                    "credit": line.credit,
                    "tax_names": line.tax_ids.mapped("name"),
                }
                for line in self.line_ids
            ],
        }

    def _queue_accounting_tasks(self, task_type):
        invoices = self.filtered(lambda move: move.move_type in INVOICE_TYPES)
        if not invoices:
            return
        # sudo: whoever posts an invoice queues its task, even without access
        # to the connector's dossiers
        Task = self.env["accounting.task"].sudo()
        dossiers = self.env["accounting.dossier"]._linked_to_companies(
            invoices.company_id
        )
        vals_list = []
        for move in invoices:
            dossier = dossiers.get(move.company_id)
            if not dossier:
                continue
            if task_type == "post_proposal":
                payload = move._accounting_proposal()
            else:
                posted = Task.search(
                    [
                        ("res_model", "=", move._name),
                        ("res_id", "=", move.id),
                        ("task_type", "=", "post_proposal"),
                        ("state", "!=", "cancelled"),
                    ],
                    order="id desc",
                    limit=1,
                )
                if not posted:
                    continue
                payload = {"ref": move.name, "post_key": posted.idempotency_key}
            vals_list.append(
                {
                    "dossier_id": dossier.id,
                    "task_type": task_type,
                    "res_model": move._name,
                    "res_id": move.id,
                    "record_name": move.name,
                    "payload": payload,
                }
            )
        Task.create(vals_list)
