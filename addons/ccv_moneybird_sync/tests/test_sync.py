"""The day-to-day flow against the local CCV and Moneybird servers."""

import datetime
import time
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..models import connection_sync as connection_module
from .common import CcvMoneybirdCase, load_demo


@tagged("post_install", "-at_install")
class TestPaymentStatuses(CcvMoneybirdCase):
    def test_successful_payment_is_registered_once_on_the_open_invoice(self):
        invoice = self.fake_mb.add_invoice("2026-0001", "121.00")
        reference = self.ccv_payment("121.00", "2026-0001")

        payment = self.fetch()

        self.assertEqual(payment.reference, reference)
        self.assertEqual(payment.state, "done")
        self.assertEqual(payment.moneybird_invoice_number, "2026-0001")
        self.assertEqual(invoice["state"], "paid")
        [registered] = self.fake_mb.payments_with(reference)
        self.assertEqual(registered["price"], "121.00")
        self.assertEqual(registered["financial_account_id"], "400001")
        self.assertEqual(registered["payment_date"], "2026-11-20")
        self.assertEqual(payment.moneybird_payment_id, registered["id"])
        self.assertEqual(self.connection.done_count, 1)

    def test_invoice_number_found_in_the_description(self):
        self.fake_mb.add_invoice("F-2026-77", "10.00")
        reference = self.ccv_payment("10.00", "WEB-1", description="Factuur F-2026-77")
        self.fetch()
        self.assertEqual(self.payment(reference).state, "done")

    def test_pending_payment_stays_open_until_the_nightly_recheck_sees_success(self):
        self.fake_mb.add_invoice("2026-0002", "50.00")
        reference = self.ccv_payment("50.00", "2026-0002", status="pending")

        self.fetch()
        payment = self.payment(reference)
        self.assertEqual((payment.state, payment.ccv_status), ("open", "pending"))
        self.assertFalse(
            self.moneybird_posts(), "nothing goes to Moneybird while pending"
        )
        self.assertEqual(self.connection.open_count, 1)

        self.fake_ccv.set_status(reference, "success")
        self.env["ccv.moneybird.connection"]._cron_recheck_payments()
        self.assertEqual((payment.state, payment.ccv_status), ("done", "success"))
        self.assertEqual(len(self.fake_mb.payments_with(reference)), 1)

    def test_failed_payment_is_closed_with_its_failure_code(self):
        self.fake_mb.add_invoice("2026-0003", "20.00")
        reference = self.ccv_payment(
            "20.00", "2026-0003", status="failed", failure_code="expired"
        )
        self.fetch()
        payment = self.payment(reference)
        self.assertEqual(payment.state, "done")
        self.assertEqual(payment.failure_code, "expired")
        self.assertIn("expired", payment.result)
        self.assertFalse(self.moneybird_posts())

    def test_manual_intervention_goes_to_errors_with_the_reference(self):
        reference = self.ccv_payment("20.00", "2026-0004", status="manualintervention")
        self.fetch()
        payment = self.payment(reference)
        self.assertEqual(payment.state, "error")
        self.assertIn(reference, payment.error_reason)
        self.assertIn("helpdesk", payment.error_reason)


@tagged("post_install", "-at_install")
class TestPaymentErrors(CcvMoneybirdCase):
    def test_no_open_invoice(self):
        reference = self.ccv_payment("15.00", "WEB-88812")
        self.fetch()
        payment = self.payment(reference)
        self.assertEqual(payment.state, "error")
        self.assertIn("No open invoice", payment.error_reason)
        self.assertIn("WEB-88812", payment.error_reason)
        self.assertFalse(self.moneybird_posts())

    def test_partial_payment_is_registered_and_the_invoice_stays_open(self):
        invoice = self.fake_mb.add_invoice("2026-0010", "121.00")
        reference = self.ccv_payment("100.00", "2026-0010")
        self.fetch()
        payment = self.payment(reference)
        self.assertEqual(payment.state, "done")
        self.assertIn("21.00", payment.result)
        self.assertEqual(len(self.fake_mb.payments_with(reference)), 1)
        self.assertEqual((invoice["state"], invoice["total_unpaid"]), ("open", "21.00"))

    def test_payment_above_the_open_amount_goes_to_errors(self):
        self.fake_mb.add_invoice("2026-0012", "121.00")
        reference = self.ccv_payment("130.00", "2026-0012")
        self.fetch()
        payment = self.payment(reference)
        self.assertEqual(payment.state, "error")
        self.assertIn("130.00", payment.error_reason)
        self.assertIn("121.00", payment.error_reason)
        self.assertFalse(self.moneybird_posts())

    def test_no_open_invoice_is_rechecked_at_night(self):
        reference = self.ccv_payment("15.00", "2026-0013")
        self.fetch()
        self.assertEqual(self.payment(reference).error_code, "no_open_invoice")
        self.fake_mb.add_invoice("2026-0013", "15.00")  # made in Moneybird later
        self.env["ccv.moneybird.connection"]._cron_recheck_payments()
        self.assertEqual(self.payment(reference).state, "done")
        self.assertEqual(len(self.fake_mb.payments_with(reference)), 1)

    def test_currency_mismatch(self):
        self.fake_mb.add_invoice("2026-0011", "10.00", currency="USD")
        reference = self.ccv_payment("10.00", "2026-0011")
        self.fetch()
        self.assertIn("USD", self.payment(reference).error_reason)

    def test_invoice_paid_by_someone_else(self):
        self.fake_mb.add_invoice(
            "2026-0012",
            "30.00",
            state="paid",
            payments=[{"price": "30.00", "transaction_identifier": "bank-1"}],
        )
        reference = self.ccv_payment("30.00", "2026-0012")
        self.fetch()
        payment = self.payment(reference)
        self.assertEqual(payment.state, "error")
        self.assertIn("already paid", payment.error_reason)

    def test_moneybird_422_then_process_after_the_fix(self):
        self.fake_mb.add_invoice("2026-0013", "12.50")
        self.fake_mb.reject_next_payment = {"payment_date": ["is in a locked period"]}
        reference = self.ccv_payment("12.50", "2026-0013")
        self.fetch()
        payment = self.payment(reference)
        self.assertEqual(payment.state, "error")
        self.assertIn("locked period", payment.error_reason)

        # the bookkeeper opened the period in Moneybird and presses Process
        payment.with_user(self.accountant).action_process()
        self.assertEqual(payment.state, "done")
        self.assertEqual(payment.attempt_count, 2)
        self.assertEqual(len(self.fake_mb.payments_with(reference)), 1)

    def test_missing_clearing_account_then_process(self):
        self.fake_mb.add_invoice("2026-0014", "5.00")
        reference = self.ccv_payment("5.00", "2026-0014", method="bancontact")
        self.fetch()
        payment = self.payment(reference)
        self.assertEqual(payment.state, "error")
        self.assertIn("bancontact", payment.error_reason)
        self.assertIn("tussenrekening", payment.error_reason)

        self.env["ccv.moneybird.method.map"].create(
            {
                "connection_id": self.connection.id,
                "method": "bancontact",
                "financial_account_id": self.connection.financial_account_ids[1].id,
            }
        )
        payment.action_process()
        self.assertEqual(payment.state, "done")
        [registered] = self.fake_mb.payments_with(reference)
        self.assertEqual(registered["financial_account_id"], "400002")

    def test_revoked_authorization_shows_on_connection_with_activity(self):
        self.fake_mb.add_invoice("2026-0015", "8.00")
        self.fake_mb.add_invoice("2026-0016", "9.00")
        first = self.ccv_payment("8.00", "2026-0015")
        second = self.ccv_payment("9.00", "2026-0016")
        self.fake_mb.revoke_all()

        self.fetch()

        self.assertEqual(self.connection.moneybird_state, "revoked")
        for reference in (first, second):
            payment = self.payment(reference)
            self.assertEqual(payment.state, "error")
            self.assertIn("Connect Moneybird again", payment.error_reason)
        activity = self.connection.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.manager)
        self.assertIn("revoked", activity.summary)
        # a second run adds no second activity and sends nothing
        self.fetch()
        self.assertEqual(len(self.connection.activity_ids), 1)

    def test_error_reports_and_more_info_hold_no_secrets(self):
        reference = self.ccv_payment("15.00", "WEB-1")
        self.fetch()
        payment = self.payment(reference).with_user(self.accountant)
        action = payment.action_report_problem()
        body = str(action["context"]["default_body"])
        self.assertIn(reference, body)
        self.assertIn("No open invoice", body)
        for secret in (
            self.fake_ccv.api_key,
            self.connection.moneybird_access_token,
            self.connection.moneybird_refresh_token,
            self.fake_mb.client_secret,
        ):
            self.assertNotIn(secret, body)
        info = payment.action_more_info()
        self.assertEqual((info["res_id"], info["target"]), (payment.id, "new"))


@tagged("post_install", "-at_install")
class TestDuplicatesAndReruns(CcvMoneybirdCase):
    def test_payment_already_on_the_invoice_is_not_sent_again(self):
        reference = self.ccv_payment("40.00", "2026-0020")
        self.fake_mb.add_invoice(
            "2026-0020",
            "80.00",
            payments=[{"price": "40.00", "transaction_identifier": reference}],
        )
        self.fetch()
        payment = self.payment(reference)
        self.assertEqual(payment.state, "done")
        self.assertIn("not sent again", payment.result)
        self.assertFalse(self.moneybird_posts())
        self.assertTrue(
            any("not sent again" in str(m.body) for m in payment.message_ids),
            "the skipped duplicate is logged on the payment",
        )

    def test_payment_that_paid_the_invoice_earlier_is_recognised(self):
        """A run that registered the payment but rolled back locally."""
        reference = self.ccv_payment("60.00", "2026-0021")
        self.fake_mb.add_invoice(
            "2026-0021",
            "60.00",
            state="paid",
            payments=[{"price": "60.00", "transaction_identifier": reference}],
        )
        self.fetch()
        self.assertEqual(self.payment(reference).state, "done")
        self.assertFalse(self.moneybird_posts())

    def test_running_the_same_day_twice(self):
        for number in range(1, 6):
            self.fake_mb.add_invoice(f"2026-01{number:02d}", "10.00")
            self.ccv_payment("10.00", f"2026-01{number:02d}")
        first = self.fetch()
        self.assertEqual(set(first.mapped("state")), {"done"})
        posts = len(self.moneybird_posts())

        second = self.fetch()
        self.env["ccv.moneybird.connection"]._cron_recheck_payments()

        self.assertEqual(first, second, "no payment is created twice")
        self.assertEqual(len(self.moneybird_posts()), posts, "nothing is sent twice")
        self.assertEqual(self.fake_mb.duplicates(), 0)
        self.assertEqual(self.connection.done_count, 5)

    def test_a_big_backlog_makes_the_cron_run_again(self):
        for number in range(1, 4):
            self.fake_mb.add_invoice(f"2026-05{number:02d}", "1.00")
            self.ccv_payment("1.00", f"2026-05{number:02d}")
        cron = self.env["ccv.moneybird.connection"]
        with patch.object(connection_module, "CRON_PAYMENTS", 2):
            self.assertEqual(cron._cron_fetch_payments(), 1, "one payment left")
            self.assertEqual(self.connection.done_count, 2)
            self.assertEqual(cron._cron_fetch_payments(), 0)
        self.assertEqual(self.connection.done_count, 3)

    def test_webhook_and_cron_for_the_same_payment(self):
        self.fake_mb.add_invoice("2026-0022", "7.00")
        reference = self.ccv_payment("7.00", "2026-0022")
        self.connection._record_webhook(reference)
        self.fetch()
        self.assertEqual(self.payment(reference).state, "done")
        self.assertEqual(self.fake_mb.duplicates(), 0)
        self.assertEqual(len(self.fake_mb.payments_with(reference)), 1)


@tagged("post_install", "-at_install")
class TestRateLimiting(CcvMoneybirdCase):
    def _twelve_payments(self):
        for number in range(1, 13):
            self.fake_mb.add_invoice(f"2026-02{number:02d}", "2.00")
            self.ccv_payment("2.00", f"2026-02{number:02d}")

    def test_client_side_limit_keeps_moneybird_from_answering_429(self):
        self.fake_mb.max_requests, self.fake_mb.window = 5, 0.5
        self.connection.write({"moneybird_rate_limit": 5, "moneybird_rate_window": 0.5})
        self._twelve_payments()
        payments = self.fetch()
        self.assertEqual(set(payments.mapped("state")), {"done"})
        self.assertEqual(self.fake_mb.rate_limited, 0)
        self.assertEqual(self.fake_mb.duplicates(), 0)

    def _cron_triggers(self):
        cron = self.env.ref("ccv_moneybird_sync.ir_cron_fetch_payments")
        return self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])

    def test_429_with_an_epoch_retry_after_gives_the_work_back_to_the_cron(self):
        """Another app uses the same account: Moneybird answers 429 anyway, with
        Retry-After as an epoch second. No long sleep: the cron comes back then."""
        self.fake_mb.max_requests, self.fake_mb.window = 5, 2.0
        self._twelve_payments()
        before = self._cron_triggers()
        started = time.monotonic()
        payments = self.fetch()
        self.assertLess(time.monotonic() - started, 10, "no long sleep in a run")
        self.assertGreater(self.fake_mb.rate_limited, 0)
        self.assertIn("open", payments.mapped("state"), "the rest waits, no error")
        self.assertNotIn("error", payments.mapped("state"))
        trigger = self._cron_triggers() - before
        self.assertTrue(trigger, "the cron is triggered again when Moneybird allows")
        self.assertGreater(trigger[-1].call_at, datetime.datetime.now())
        for _run in range(6):  # later runs finish the work (bounded)
            if set(payments.mapped("state")) == {"done"}:
                break
            time.sleep(2.1)
            self.fetch()
        self.assertEqual(set(payments.mapped("state")), {"done"})
        self.assertEqual(self.fake_mb.duplicates(), 0)

    def test_429_that_does_not_stop_leaves_the_payment_open_for_the_next_run(self):
        self.fake_mb.add_invoice("2026-0301", "2.00")
        reference = self.ccv_payment("2.00", "2026-0301")
        self.fake_mb.max_requests = 0  # Moneybird refuses everything for now
        self.fake_mb.window = 0.05
        self.fetch()
        payment = self.payment(reference)
        self.assertEqual(payment.state, "open")
        self.assertTrue(self._cron_triggers())

        self.fake_mb.max_requests = 150
        self.fetch()
        self.assertEqual(payment.state, "done")


@tagged("post_install", "-at_install")
class TestConnection(CcvMoneybirdCase):
    def test_ccv_test_call_turns_the_dot_green(self):
        self.connection.ccv_state = "not_connected"
        self.connection.action_test_ccv()
        self.assertEqual(self.connection.ccv_state, "connected")
        self.assertEqual(self.connection.ccv_mode, "test")

    def test_wrong_ccv_key_is_explained(self):
        self.connection.ccv_api_key = "l_wrongkey"
        self.assertEqual(self.connection.ccv_state, "not_connected", "untested key")
        with self.assertRaisesRegex(UserError, "CCV did not accept"):
            self.connection.action_test_ccv()
        self.assertEqual(self.connection.ccv_state, "error")
        self.assertEqual(self.connection.ccv_mode, "live")

    def test_secrets_only_for_system_administrators(self):
        for user in (self.accountant, self.manager):
            with self.assertRaises(AccessError):
                self.connection.with_user(user).read(["ccv_api_key"])
            with self.assertRaises(AccessError):
                self.connection.with_user(user).read(["moneybird_access_token"])
        # the manager still sees the dashboard and the dots
        data = self.connection.with_user(self.manager).read(
            ["moneybird_state", "open_count"]
        )
        self.assertEqual(data[0]["moneybird_state"], "connected")

    def test_expired_token_is_refreshed_and_stored(self):
        old_access = self.connection.moneybird_access_token
        old_refresh = self.connection.moneybird_refresh_token
        self.fake_mb.access_tokens.pop(old_access)  # Moneybird expired it
        self.fake_mb.add_invoice("2026-0030", "3.00")
        reference = self.ccv_payment("3.00", "2026-0030")

        self.fetch()

        self.assertEqual(self.payment(reference).state, "done")
        self.assertNotEqual(self.connection.moneybird_access_token, old_access)
        self.assertNotEqual(self.connection.moneybird_refresh_token, old_refresh)
        self.assertEqual(self.connection.moneybird_state, "connected")

    def test_authorization_about_to_expire_is_shown(self):
        self.connection.write(
            {
                "moneybird_refresh_token": False,
                "moneybird_token_expires": datetime.datetime.now()
                + datetime.timedelta(days=2),
            }
        )
        self.fetch()
        self.assertEqual(self.connection.moneybird_state, "expiring")
        self.assertIn("expires soon", self.connection.activity_ids.summary)

    def test_unreadable_row_is_logged_and_never_blocks_the_others(self):
        self.fake_mb.add_invoice("2026-0040", "1.00")
        good = self.ccv_payment("1.00", "2026-0040")
        bad = self.ccv_payment("2.00", "2026-0041")
        self.fake_ccv.transactions[bad]["status"] = "refundedish"
        nothing = self.ccv_payment(None, "2026-0042")  # a null amount
        self.fetch()
        self.assertEqual(self.payment(good).state, "done")
        self.assertFalse(self.payment(bad) | self.payment(nothing))
        bodies = " ".join(self.connection.message_ids.mapped("body"))
        self.assertIn(f"{bad}: unknown status", bodies)
        self.assertIn(f"{nothing}: no valid amount", bodies)
        self.assertGreater(
            self.connection.ccv_fetched_until, datetime.datetime(2026, 11, 20, 0, 0)
        )

    def test_demo_data_fills_the_three_tabs(self):
        demo = load_demo(self.env)
        self.assertGreater(demo.open_count, 0)
        self.assertGreater(demo.done_count, 0)
        self.assertGreater(demo.error_count, 0)
