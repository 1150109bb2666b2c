"""CCV in the reliability run (issue 15 point 7): payments through the cron.

The ccv_moneybird_sync addon's own local CCV and Moneybird servers
(``addons/ccv_moneybird_sync/tests/fake_ccv.py``, ``fake_moneybird.py``: they
answer as developer.myccv.eu and developer.moneybird.com document), loaded
without Odoo, with a latency per request as a real Moneybird has, and a gate
(gate.py) in front of each. The run adds ~300 successful CCV payments, each for
an open Moneybird invoice of the same number, and the fetch cron registers them
on whichever server runs it. Figures: payments registered in Moneybird,
registered twice (one CCV reference on two Moneybird payments), left open or in
error in Odoo.
"""

import importlib
import sys
import time
import types
from datetime import UTC, datetime, timedelta

from odoo_server import REPO

FAKES = REPO / "addons" / "ccv_moneybird_sync" / "tests"
CCV_CRON = "ccv_moneybird_sync.ir_cron_fetch_payments"
# Moneybird allows 150 requests per 5 minutes (developer.moneybird.com); the run
# keeps the count but over a window of a few seconds, so that the rate limit
# paces the work without making it last an hour.
RATE_WINDOW = 5.0


def _fakes():
    """The addon's test fakes as plain modules (its tests package imports Odoo)."""
    if "ccv_fakes" not in sys.modules:
        package = types.ModuleType("ccv_fakes")
        package.__path__ = [str(FAKES)]
        sys.modules["ccv_fakes"] = package
    return (
        importlib.import_module("ccv_fakes.fake_http"),
        importlib.import_module("ccv_fakes.fake_ccv"),
        importlib.import_module("ccv_fakes.fake_moneybird"),
    )


def _slow_handler(base, gate, latency):
    class SlowHandler(base):
        def _dispatch(self, method):
            with gate.passing(self.client_address[1], f"{method} {self.path}"):
                time.sleep(latency)  # a vendor on the internet
                super()._dispatch(method)

    return SlowHandler


class CcvScenario:
    def __init__(self, ccv_gate, moneybird_gate, latency):
        fake_http, fake_ccv, fake_moneybird = _fakes()
        self.admin_id = fake_moneybird.ADMIN_ID
        self.ccv = fake_ccv.FakeCcv().start()
        self.moneybird = fake_moneybird.FakeMoneybird(window=RATE_WINDOW).start()
        for fake, gate in ((self.ccv, ccv_gate), (self.moneybird, moneybird_gate)):
            fake._server.RequestHandlerClass = _slow_handler(
                fake_http.JsonHandler, gate, latency
            )
            gate.port = fake._server.server_address[1]
        self.connection_id = None
        self.references = []

    def stop(self):
        self.ccv.stop()
        self.moneybird.stop()

    def setup(self, rpc, payment_count):
        """A connected connection as the administrator; the payments and invoices."""
        now = datetime.now(UTC).replace(tzinfo=None)
        access, refresh = self.moneybird.issue_tokens()
        # other connections (demo data) would compete for the cron
        others = rpc("ccv.moneybird.connection", "search", [])
        if others:
            rpc(
                "ccv.moneybird.connection",
                "write",
                others,
                {"ccv_state": "not_connected"},
            )
        self.connection_id = rpc(
            "ccv.moneybird.connection",
            "create",
            {
                "name": "Webshop betrouwbaarheid",
                "ccv_api_key": self.ccv.api_key,
                "ccv_base_url": self.ccv.url,
                "ccv_state": "connected",
                "ccv_fetched_until": (now - timedelta(hours=1)).strftime(
                    "%Y-%m-%d %H:%M:%S"
                ),
                "moneybird_base_url": self.moneybird.url,
                "moneybird_client_id": self.moneybird.client_id,
                "moneybird_client_secret": self.moneybird.client_secret,
                "moneybird_access_token": access,
                "moneybird_refresh_token": refresh,
                "moneybird_state": "connected",
                "moneybird_administration_id": self.admin_id,
                "moneybird_rate_window": RATE_WINDOW,
                "user_id": rpc.uid,
            },
        )
        accounts = rpc(
            "ccv.moneybird.financial.account",
            "create",
            [
                {
                    "connection_id": self.connection_id,
                    "name": account["name"],
                    "moneybird_id": account["id"],
                }
                for account in self.moneybird.financial_accounts
            ],
        )
        rpc(
            "ccv.moneybird.method.map",
            "create",
            [
                {
                    "connection_id": self.connection_id,
                    "method": method,
                    "financial_account_id": account,
                }
                for method, account in zip(("ideal", "card"), accounts, strict=True)
            ],
        )
        start_ms = int((now - timedelta(minutes=30)).replace(tzinfo=UTC).timestamp())
        start_ms *= 1000
        for index in range(payment_count):
            number = f"REL-{index + 1:05d}"
            amount = f"{10 + index % 90}.{index % 100:02d}"
            self.moneybird.add_invoice(number, amount)
            self.references.append(
                self.ccv.add(
                    amount=amount,
                    method=("ideal", "card")[index % 2],
                    merchant_order_reference=number,
                    description=f"Bestelling {number}",
                    created_ms=start_ms + index * 1000,
                )
            )
        return rpc.ref(CCV_CRON)

    def status(self, rpc):
        """(Odoo's payments by state, registered in Moneybird, registered twice)."""
        rows = rpc(
            "ccv.payment",
            "search_read",
            [("connection_id", "=", self.connection_id)],
            fields=["state", "error_code"],
        )
        states = {}
        for row in rows:
            key = row["state"] + (
                f" ({row['error_code']})" if row["error_code"] else ""
            )
            states[key] = states.get(key, 0) + 1
        with self.moneybird.lock:
            registered = {
                payment["transaction_identifier"]
                for invoice in self.moneybird.invoices.values()
                for payment in invoice["payments"]
                if payment.get("transaction_identifier")
            }
            twice = self.moneybird.duplicates()
        return {
            "states": states,
            "fetched": len(rows),
            "done": sum(1 for row in rows if row["state"] == "done"),
            "registered": len(registered & set(self.references)),
            "twice": twice,
            "api_requests": self.moneybird.api_requests,
            "rate_limited": self.moneybird.rate_limited,
        }
