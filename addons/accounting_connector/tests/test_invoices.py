from odoo import Command
from odoo.tests import tagged

from .common import ConnectorCase, ScriptedClient


@tagged("post_install", "-at_install")
class TestInvoiceTasks(ConnectorCase):
    """Posting an invoice, or resetting it to draft, queues a task by itself."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dossier_main = cls._dossier("Hoofdkantoor", "MAIN-1", cls.env.company)
        cls.partner = cls.env["res.partner"].create(
            {"name": "Klant Peters BV", "vat": "NL000099998B57"}
        )

    def _invoice(self, move_type="out_invoice", company=None):
        return self.env["account.move"].create(
            {
                "move_type": move_type,
                "company_id": (company or self.env.company).id,
                "partner_id": self.partner.id,
                "invoice_date": "2026-11-02",
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Advies", "quantity": 2, "price_unit": 100.0}
                    )
                ],
            }
        )

    def _tasks(self, move):
        return self.env["accounting.task"].search(
            [("res_model", "=", "account.move"), ("res_id", "=", move.id)], order="id"
        )

    def test_posting_and_reset_queue_proposal_tasks(self):
        invoice = self._invoice()
        self.assertFalse(self._tasks(invoice), "a draft is not sent")
        invoice.action_post()
        post = self._tasks(invoice)
        self.assertEqual(post.task_type, "post_proposal")
        self.assertEqual(post.dossier_id, self.dossier_main)
        self.assertEqual(post.record_name, invoice.name)
        proposal = post.payload
        self.assertEqual(proposal["ref"], invoice.name)
        self.assertEqual(proposal["journal_code"], invoice.journal_id.code)
        self.assertEqual(proposal["partner"]["vat"], "NL000099998B57")
        self.assertAlmostEqual(
            sum(line["debit"] for line in proposal["lines"]), 200.0 + invoice.amount_tax
        )
        self.assertAlmostEqual(
            sum(line["debit"] for line in proposal["lines"]),
            sum(line["credit"] for line in proposal["lines"]),
        )
        self.assertIn(
            invoice.line_ids.account_id[0].code,
            [line["account_code"] for line in proposal["lines"]],
        )

        invoice.button_draft()
        post, delete = self._tasks(invoice)
        self.assertEqual(delete.task_type, "delete_proposal")
        self.assertEqual(delete.payload["post_key"], post.idempotency_key)

        client = ScriptedClient()
        self._run(client)
        self.assertEqual(
            [call[0] for call in client.calls], ["post_proposal", "delete_proposal"]
        )
        self.assertEqual((post.state, delete.state), ("done", "done"))

    def test_vendor_bill_is_sent_too(self):
        bill = self._invoice("in_invoice")
        bill.action_post()
        self.assertEqual(self._tasks(bill).task_type, "post_proposal")

    def test_no_task_without_a_dossier_in_use(self):
        self.dossier_main.state = "draft"
        invoice = self._invoice()
        invoice.action_post()
        self.assertFalse(self._tasks(invoice))

    def test_blocked_dossier_still_queues_but_waits(self):
        self.dossier_main.state = "blocked"
        invoice = self._invoice()
        invoice.action_post()
        self.assertEqual(self._tasks(invoice).state, "pending")
