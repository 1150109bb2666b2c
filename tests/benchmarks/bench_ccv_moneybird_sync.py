"""CCV → Moneybird: 1,000 successful payments against a local Moneybird that enforces
150 requests per (scaled-down) window.

Ours: the hourly cron (read CCV, read open invoices in pages once, one POST per payment,
client-side limiter). Baseline, same run and same servers: a naive sync that looks each
invoice up and then posts, honouring Retry-After but without a limiter or a cache.
Prints requests per payment (goal ≤ 1.1), 429s that exhausted retries (goal 0) and
duplicates (goal 0), and the ratios ours / baseline.
"""

import datetime
import time

import requests

from odoo.tests import TransactionCase, tagged

from odoo.addons.ccv_moneybird_sync.clients.http import retry_after_seconds
from odoo.addons.ccv_moneybird_sync.tests.fake_ccv import FakeCcv
from odoo.addons.ccv_moneybird_sync.tests.fake_moneybird import ADMIN_ID, FakeMoneybird

PAYMENTS = 1000
MAX_REQUESTS = 150
WINDOW = 2.0  # seconds instead of 300: same limit, scaled-down time
T0_MS = 1795168800000  # 2026-11-20 10:00 UTC


def _fill(fake_mb, fake_ccv=None):
    for n in range(1, PAYMENTS + 1):
        fake_mb.add_invoice(f"2026-{n:05d}", "25.00")
        if fake_ccv is not None:
            fake_ccv.add(
                amount="25.00",
                merchant_order_reference=f"2026-{n:05d}",
                description=f"Order 2026-{n:05d}",
                created_ms=T0_MS + n,
            )


def _baseline(fake_mb, payments, max_retries=4):
    """Look the invoice up, then post the payment; 429 → wait Retry-After."""
    session = requests.Session()
    access, _refresh = fake_mb.issue_tokens()
    headers = {"Authorization": f"Bearer {access}"}
    base = f"{fake_mb.url}/api/v2/{ADMIN_ID}"
    exhausted = 0

    def call(method, url, **kwargs):
        nonlocal exhausted
        for _attempt in range(max_retries + 1):
            response = session.request(
                method, url, headers=headers, timeout=20, **kwargs
            )
            if response.status_code != 429:
                return response
            time.sleep(retry_after_seconds(response))
        exhausted += 1
        return None

    for number, reference in payments:
        found = call("GET", f"{base}/sales_invoices/find_by_invoice_id/{number}.json")
        if found is None or found.status_code != 200:
            continue
        invoice = found.json()
        payment = {
            "payment_date": "2026-11-20",
            "price": "25.00",
            "transaction_identifier": reference,
            "financial_account_id": "400001",
        }
        call(
            "POST",
            f"{base}/sales_invoices/{invoice['id']}/payments.json",
            json={"payment": payment},
        )
    return exhausted


@tagged("post_install", "-at_install")
class BenchCcvMoneybirdSync(TransactionCase):
    def test_thousand_payments(self):
        with (
            FakeCcv() as fake_ccv,
            FakeMoneybird(max_requests=MAX_REQUESTS, window=WINDOW) as ours_mb,
            FakeMoneybird(max_requests=MAX_REQUESTS, window=WINDOW) as base_mb,
        ):
            fake_ccv.page_size = 100
            _fill(ours_mb, fake_ccv)
            _fill(base_mb)
            access, refresh = ours_mb.issue_tokens()
            connection = self.env["ccv.moneybird.connection"].create(
                {
                    "name": "Benchmark shop",
                    "ccv_api_key": fake_ccv.api_key,
                    "ccv_base_url": fake_ccv.url,
                    "ccv_state": "connected",
                    "ccv_fetched_until": datetime.datetime(2026, 11, 20, 9, 0),
                    "moneybird_base_url": ours_mb.url,
                    "moneybird_access_token": access,
                    "moneybird_refresh_token": refresh,
                    "moneybird_state": "connected",
                    "moneybird_administration_id": ADMIN_ID,
                    "moneybird_rate_limit": MAX_REQUESTS,
                    "moneybird_rate_window": WINDOW,
                }
            )
            account = self.env["ccv.moneybird.financial.account"].create(
                {
                    "connection_id": connection.id,
                    "name": "iDEAL",
                    "moneybird_id": "400001",
                }
            )
            self.env["ccv.moneybird.method.map"].create(
                {
                    "connection_id": connection.id,
                    "method": "ideal",
                    "financial_account_id": account.id,
                }
            )

            started = time.perf_counter()
            # the hourly cron sends one window's worth per run and asks to run
            # again while paid payments wait
            cron = self.env["ccv.moneybird.connection"]
            runs = 1
            while cron._cron_fetch_payments() and runs < 20:
                runs += 1
            ours_seconds = time.perf_counter() - started
            payments = self.env["ccv.payment"].search(
                [("connection_id", "=", connection.id)]
            )
            ours_requests = ours_mb.api_requests + ours_mb.rate_limited
            ours_exhausted = len(
                payments.filtered(lambda p: p.error_code == "temporary")
            )
            ours_done = len(payments.filtered(lambda p: p.state == "done"))

            started = time.perf_counter()
            base_exhausted = _baseline(
                base_mb, [(f"2026-{n:05d}", f"B{n}") for n in range(1, PAYMENTS + 1)]
            )
            base_seconds = time.perf_counter() - started
            base_requests = base_mb.api_requests + base_mb.rate_limited

        per_payment = ours_requests / PAYMENTS
        base_per_payment = base_requests / PAYMENTS
        print()
        print(
            f"ccv_moneybird_sync: {PAYMENTS} payments, "
            f"Moneybird limit {MAX_REQUESTS} per {WINDOW}s, {runs} cron runs"
        )
        print(
            f"  ours:     {ours_done} done, {ours_requests} Moneybird requests "
            f"({per_payment:.3f}/payment), {ours_mb.rate_limited} answered 429, "
            f"{ours_exhausted} exhausted, {ours_mb.duplicates()} duplicates, "
            f"{ours_seconds:.1f}s"
        )
        print(
            f"  baseline: {base_requests} Moneybird requests "
            f"({base_per_payment:.3f}/payment), "
            f"{base_mb.rate_limited} answered 429, {base_exhausted} exhausted, "
            f"{base_mb.duplicates()} duplicates, {base_seconds:.1f}s"
        )
        print(
            f"  ratio ours/baseline: requests {per_payment / base_per_payment:.2f}, "
            f"time {ours_seconds / base_seconds:.2f}"
        )
        self.assertEqual(ours_done, PAYMENTS)
        self.assertLessEqual(per_payment, 1.1)
        self.assertEqual(ours_exhausted, 0)
        self.assertEqual(ours_mb.duplicates(), 0)
