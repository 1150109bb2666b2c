"""Every action of the addon as the user who does it, or a plain Dutch refusal."""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CcvMoneybirdCase, load_dutch, office_users


@tagged("post_install", "-at_install")
class TestActionsAsTheirUsers(CcvMoneybirdCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_dutch(cls.env)
        users = office_users(cls.env)
        cls.bookkeeper = users["bookkeeper"]
        cls.accounting_manager = users["manager"]
        cls.admin = users["admin"]

    def test_bookkeeper_processes_a_payment_after_the_fix(self):
        reference = self.ccv_payment("12.00", "2026-0901")
        self.fetch()  # no invoice yet: an error
        self.fake_mb.add_invoice("2026-0901", "12.00")
        payment = self.payment(reference).with_user(self.bookkeeper)
        self.assertEqual(payment.state, "error")
        payment.action_process()  # the blue Verwerk button
        self.assertEqual(payment.state, "done")
        info = payment.action_more_info()
        self.assertEqual(info["res_id"], payment.id)
        self.assertEqual(len(self.fake_mb.payments_with(reference)), 1)

    def test_bookkeeper_opens_the_three_tabs(self):
        connection = self.connection.with_user(self.bookkeeper)
        for action in (
            connection.action_open_payments(),
            connection.action_report_payments(),
            connection.action_error_payments(),
        ):
            self.env["ccv.payment"].with_user(self.bookkeeper).search(action["domain"])

    def test_bookkeeper_is_told_who_fetches_and_who_connects(self):
        connection = self.connection.with_user(
            self.bookkeeper.with_context(lang="nl_NL")
        )
        connection = connection.with_context(lang="nl_NL")
        with self.assertRaisesRegex(AccessError, "Alleen een boekhoudmanager"):
            connection.action_fetch_now()
        with self.assertRaisesRegex(AccessError, "Alleen een systeembeheerder"):
            connection.action_connect_moneybird()
        with self.assertRaisesRegex(AccessError, "Alleen een systeembeheerder"):
            connection.action_test_ccv()

    def test_accounting_manager_fetches_now(self):
        self.fake_mb.add_invoice("2026-0902", "3.00")
        reference = self.ccv_payment("3.00", "2026-0902")
        self.connection.with_user(self.accounting_manager).action_fetch_now()
        self.assertEqual(self.payment(reference).state, "done")
        with self.assertRaises(AccessError):
            self.connection.with_user(self.accounting_manager).action_test_ccv()

    def test_administrator_enters_the_ccv_key_in_the_dialog(self):
        self.connection.write({"ccv_api_key": False, "ccv_state": "not_connected"})
        wizard = (
            self.env["ccv.key.wizard"]
            .with_user(self.admin)
            .create(
                {
                    "connection_id": self.connection.id,
                    "api_key": f" {self.fake_ccv.api_key} ",
                }
            )
        )
        result = wizard.action_connect()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(self.connection.ccv_state, "connected")
        # every method CCV reports gets a line; the form warns about those
        # without a clearing account
        self.assertIn("bancontact", self.connection.method_map_ids.mapped("method"))
        self.assertIn("bancontact", self.connection.unmapped_methods)
        self.assertNotIn("ideal", self.connection.unmapped_methods)
