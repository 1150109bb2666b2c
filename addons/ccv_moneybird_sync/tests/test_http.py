"""Browser-facing routes: the Moneybird OAuth callback and CCV's webhook."""

import json
import urllib.parse

import requests

from odoo.tests import HttpCase, tagged

from ..clients.sync import forget_snapshots
from .common import T0_MS, start_fakes
from .fake_moneybird import ADMIN_ID


@tagged("post_install", "-at_install")
class TestRoutes(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake_ccv, cls.fake_mb = start_fakes(cls)

    def setUp(self):
        super().setUp()
        self.fake_ccv.log.clear()
        self.fake_mb.log.clear()
        forget_snapshots()
        self.connection = self.env["ccv.moneybird.connection"].create(
            {
                "name": "Webshop",
                "ccv_api_key": self.fake_ccv.api_key,
                "ccv_base_url": self.fake_ccv.url,
                "moneybird_base_url": self.fake_mb.url,
                "moneybird_client_id": self.fake_mb.client_id,
                "moneybird_client_secret": self.fake_mb.client_secret,
            }
        )

    def test_connect_moneybird_through_oauth(self):
        # an earlier authorization was revoked: the responsible user has a reminder
        self.connection._authorization_lost(Exception("revoked"))
        self.assertEqual(len(self.connection.activity_ids), 1)
        self.authenticate("admin", "admin")
        action = self.connection.action_connect_moneybird()
        # the user allows the link at Moneybird, which sends the browser back to us
        consent = requests.get(action["url"], allow_redirects=False, timeout=10)
        self.assertEqual(consent.status_code, 302)
        callback = consent.headers["Location"]
        self.assertTrue(
            callback.startswith(self.base_url() + "/ccv_moneybird_sync/oauth/callback")
        )
        path = urllib.parse.urlsplit(callback)
        response = self.url_open(f"{path.path}?{path.query}", allow_redirects=False)
        self.assertEqual(response.status_code, 303)

        self.assertEqual(self.connection.moneybird_state, "connected")
        self.assertEqual(self.connection.moneybird_administration_id, ADMIN_ID)
        self.assertEqual(self.connection.administration_choice_id.name, "Webshop BV")
        self.assertEqual(
            self.connection.financial_account_ids.mapped("name"),
            ["Tussenrekening creditcard", "Tussenrekening iDEAL"],
        )
        self.assertIn(
            self.connection.moneybird_access_token, self.fake_mb.access_tokens
        )
        self.assertFalse(self.connection.moneybird_oauth_state, "a state is used once")
        self.assertFalse(self.connection.activity_ids, "the reminder is done")

    def test_callback_that_fails_halfway_ends_on_the_form_and_keeps_the_tokens(self):
        self.fake_mb.broken["/financial_accounts.json"] = 500
        self.addCleanup(self.fake_mb.broken.clear)
        self.authenticate("admin", "admin")
        action = self.connection.action_connect_moneybird()
        self.assertIn("scope=sales_invoices+settings&", action["url"])
        consent = requests.get(action["url"], allow_redirects=False, timeout=10)
        path = urllib.parse.urlsplit(consent.headers["Location"])
        response = self.url_open(f"{path.path}?{path.query}", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn(f"/{self.connection.id}", response.headers["Location"])
        self.assertEqual(self.connection.moneybird_state, "connected")
        self.assertIn(
            self.connection.moneybird_access_token, self.fake_mb.access_tokens
        )
        self.assertIn("HTTP 500", self.connection.message_ids[0].body)
        self.assertIn("Read Moneybird accounts", self.connection.message_ids[0].body)

    def test_callback_with_a_foreign_state_is_refused(self):
        self.authenticate("admin", "admin")
        self.connection.action_connect_moneybird()
        response = self.url_open(
            "/ccv_moneybird_sync/oauth/callback?code=abc&state=forged",
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.connection.moneybird_state, "not_connected")

    def test_user_who_does_not_allow_the_link_stays_disconnected(self):
        self.authenticate("admin", "admin")
        self.connection.action_connect_moneybird()
        state = self.connection.moneybird_oauth_state
        response = self.url_open(
            f"/ccv_moneybird_sync/oauth/callback?error=access_denied&state={state}",
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.connection.moneybird_state, "not_connected")
        self.assertIn("access_denied", self.connection.message_ids[0].body)

    def test_webhook_reads_the_payment_from_ccv_not_from_the_body(self):
        access, refresh = self.fake_mb.issue_tokens()
        self.connection.write(
            {
                "moneybird_access_token": access,
                "moneybird_refresh_token": refresh,
                "moneybird_state": "connected",
                "moneybird_administration_id": ADMIN_ID,
                "ccv_state": "connected",
            }
        )
        account = self.env["ccv.moneybird.financial.account"].create(
            {
                "connection_id": self.connection.id,
                "name": "iDEAL",
                "moneybird_id": "400001",
            }
        )
        self.env["ccv.moneybird.method.map"].create(
            {
                "connection_id": self.connection.id,
                "method": "ideal",
                "financial_account_id": account.id,
            }
        )
        self.fake_mb.add_invoice("2026-0500", "75.00")
        reference = self.fake_ccv.add(
            amount="75.00", merchant_order_reference="2026-0500", created_ms=T0_MS
        )
        body = {"id": reference, "amount": 1.0, "status": "failed"}  # lies are ignored

        response = self.url_open(
            self.connection.webhook_url.replace(self.base_url(), ""),
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )

        self.assertEqual(response.status_code, 204)
        # the request only recorded the reference and woke the cron: no remote call
        self.assertFalse(self.fake_ccv.log, "CCV is not called inside the request")
        self.assertFalse(self.fake_mb.requests_to("/api/"))
        cron = self.env.ref("ccv_moneybird_sync.ir_cron_fetch_payments")
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]),
            "the cron is triggered",
        )
        self.env["ccv.moneybird.connection"]._cron_fetch_payments()
        payment = self.env["ccv.payment"].search([("reference", "=", reference)])
        self.assertEqual((payment.amount, payment.ccv_status), (75.0, "success"))
        self.assertEqual(payment.state, "done")
        self.assertEqual(len(self.fake_mb.payments_with(reference)), 1)

    def test_webhook_with_unknown_token_is_forbidden(self):
        response = self.url_open(
            "/ccv_moneybird_sync/webhook/not-a-token", data=json.dumps({"id": "C1"})
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.env["ccv.payment"].search([("reference", "=", "C1")]))
