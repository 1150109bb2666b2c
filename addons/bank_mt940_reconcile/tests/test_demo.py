"""The demo file shows every outcome of an import."""

from odoo.tests import tagged
from odoo.tools import convert_file

from .common import Mt940Common


@tagged("post_install", "-at_install")
class TestDemo(Mt940Common):
    def test_demo_file_is_ready_and_shows_every_outcome(self):
        # setup/create_db.sh loads the addons' demo data; Odoo's runner starts
        # without it: load it here then, as an install with demo data would.
        if not self.env.ref(
            "bank_mt940_reconcile.demo_bank_journal", raise_if_not_found=False
        ):
            convert_file(
                self.env,
                "bank_mt940_reconcile",
                "demo/bank_mt940_reconcile_demo.xml",
                {},
                mode="init",
            )
        journal = self.env.ref("bank_mt940_reconcile.demo_bank_journal")
        record = self.env["bank.mt940.file"].search([("journal_id", "=", journal.id)])
        self.assertEqual(len(record), 1)
        if record.state == "waiting":
            record.action_process()
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(
            sorted(record.log_ids.mapped("status")),
            ["debit_skipped"] + ["imported"] * 5 + ["unmatched"],
        )
        ref = self.env.ref
        states = {
            name: ref(f"bank_mt940_reconcile.demo_invoice_{name}").payment_state
            for name in (
                "paid",
                "partial",
                "overpaid",
                "multi_1",
                "multi_2",
                "by_amount",
            )
        }
        self.assertEqual(states["partial"], "partial")
        self.assertEqual(
            {k: v for k, v in states.items() if k != "partial"},
            dict.fromkeys(
                ("paid", "overpaid", "multi_1", "multi_2", "by_amount"), "paid"
            ),
        )
        overpaid = ref("bank_mt940_reconcile.demo_invoice_overpaid")
        self.assertEqual(overpaid.overpaid_amount, 25)
