"""Vendor behaviours through the crons: Klarna captures, any method, local dates,
token rotation under a lock, and the request budget shared by every process."""

import datetime

from odoo.tests import tagged

from ..clients import moneybird
from ..clients.errors import RateLimitExhausted
from ..models.request_budget import DatabaseBudget
from .common import T0_MS, CcvMoneybirdCase


@tagged("post_install", "-at_install")
class TestVendorBehaviours(CcvMoneybirdCase):
    def test_klarna_authorise_and_capture_are_registered_once(self):
        self.fake_mb.add_invoice("2026-0801", "80.00")
        authorise = self.ccv_payment(
            "80.00", "2026-0801", method="klarna", type="authorise"
        )
        capture = self.fake_ccv.add(
            amount="80.00",
            method="klarna",
            type="capture",
            original_reference=authorise,
            created_ms=T0_MS + 60000,
        )
        self.fake_ccv.add(
            amount="80.00", type="refund", original_reference=capture, created_ms=T0_MS
        )
        self.env["ccv.moneybird.method.map"].create(
            {
                "connection_id": self.connection.id,
                "method": "klarna",
                "financial_account_id": self.connection.financial_account_ids[0].id,
            }
        )
        payments = self.fetch()
        self.assertEqual(payments.mapped("reference"), [capture])
        self.assertEqual(payments.state, "done")
        self.fetch()  # a second run books nothing again
        self.assertEqual(self.fake_mb.duplicates(), 0)
        self.assertEqual(len(self.moneybird_posts()), 1)

    def test_a_method_we_never_heard_of_can_be_mapped(self):
        self.fake_mb.add_invoice("2026-0802", "20.00")
        reference = self.ccv_payment("20.00", "2026-0802", method="eps")
        self.fetch()
        payment = self.payment(reference)
        self.assertEqual(
            (payment.method, payment.error_code), ("eps", "no_financial_account")
        )
        self.assertIn("eps", self.connection.unmapped_methods)
        self.env["ccv.moneybird.method.map"].create(
            {
                "connection_id": self.connection.id,
                "method": "eps",
                "financial_account_id": self.connection.financial_account_ids[0].id,
            }
        )
        payment.action_process()
        self.assertEqual(payment.state, "done")
        self.assertFalse(self.connection.unmapped_methods)

    def test_payment_date_is_the_local_date_of_the_final_status(self):
        self.fake_mb.add_invoice("2026-0803", "5.00")
        self.connection.company_id.partner_id.tz = "Europe/Amsterdam"
        # paid 2026-11-30 23:30 UTC, which is 1 December 00:30 in Amsterdam
        moment = datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC)
        reference = self.ccv_payment("5.00", "2026-0803")
        self.fake_ccv.transactions[reference]["statusFinalDate"] = int(
            moment.timestamp() * 1000
        )
        self.fetch()
        self.assertEqual(
            self.payment(reference).payment_date, datetime.date(2026, 12, 1)
        )
        [registered] = self.fake_mb.payments_with(reference)
        self.assertEqual(registered["payment_date"], "2026-12-01")


@tagged("post_install", "-at_install")
class TestSeveralWorkers(CcvMoneybirdCase):
    def test_refresh_after_another_worker_rotated_the_token_uses_the_stored_one(self):
        """Worker A rotated the refresh token; worker B, holding the old one, waits
        for the lock and then uses A's tokens instead of refreshing again."""
        with self.enter_registry_test_mode():
            stale = moneybird.OAuthTokens(
                "stale-access", self.connection.sudo().moneybird_refresh_token, None
            )
            access, refresh = self.fake_mb.issue_tokens()
            self.connection.sudo().write(
                {"moneybird_access_token": access, "moneybird_refresh_token": refresh}
            )
            self.env.flush_all()
            tokens = self.connection._refresh_tokens(stale)
        self.assertEqual((tokens.access_token, tokens.refresh_token), (access, refresh))
        self.assertEqual(self.fake_mb.refresh_count, 0, "no second refresh")

    def test_two_processes_share_one_request_budget(self):
        key = f"{self.fake_mb.url}|test-budget"
        first = DatabaseBudget(self.registry, key, 3, 60)
        second = DatabaseBudget(self.registry, key, 3, 60)
        first.acquire()
        second.acquire()
        first.acquire()
        with self.assertRaises(RateLimitExhausted) as caught:
            second.acquire()
        self.assertGreater(caught.exception.retry_after, 50)
        self.assertEqual(second.waited, 0, "no sleep of a minute in a worker")
