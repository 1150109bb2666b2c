"""Demo data: an ING file that pays the demo invoices in every way."""

import base64

from odoo import api, models

from ..parsers.mt940_writer import build_mt940


class BankMt940File(models.Model):
    _inherit = "bank.mt940.file"

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
