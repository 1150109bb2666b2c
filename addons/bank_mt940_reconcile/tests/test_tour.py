"""The bookkeeper in the web client (headless Chromium): upload the bank's
MT940 file, process it, open the invoice that became paid."""

from odoo.tests import HttpCase, tagged

from .common import Mt940Common, build_mt940


@tagged("post_install", "-at_install")
class TestMt940Tour(Mt940Common, HttpCase):
    # On a busy 2-core machine the first requests compile the asset bundles while
    # the others wait for the test cursor longer than Odoo's 20 s default.
    test_cursor_lock_timeout = 120

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.create_users()
        cls.bookkeeper.lang = "nl_NL"
        cls.invoice = cls.create_invoice(125.5)
        # The file the bookkeeper downloaded from the bank: the tour reads it
        # from this attachment of the invoice and uploads it.
        cls.env["ir.attachment"].create(
            {
                "name": "afschrift-tour.940",
                "raw": build_mt940(
                    [{"amount": 125.5, "remi": f"Factuur {cls.invoice.name}"}]
                ),
                "res_model": "account.move",
                "res_id": cls.invoice.id,
            }
        )

    def test_bookkeeper_uploads_processes_and_opens_the_paid_invoice(self):
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self.start_tour(
            "/odoo/action-bank_mt940_reconcile.bank_mt940_file_action",
            "bank_mt940_reconcile_tour",
            login=self.bookkeeper.login,
            timeout=300,  # a shared 2-core machine is slow to load the web client
        )
        record = self.env["bank.mt940.file"].search(
            [("file_name", "=", "afschrift-tour.940")]
        )
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(record.create_uid, self.bookkeeper)
        self.assertEqual(self.invoice.payment_state, "paid")
