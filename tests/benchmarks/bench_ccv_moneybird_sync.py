"""CCV → Moneybird: 1,000 successful payments, sent by two Odoo workers at once,
against a local Moneybird that enforces 150 requests per (scaled-down) window.

Ours: two threads, each with its own database connection as two Odoo workers have, run
the sending step of the cron on committed data (row locks share the payments, the
request budget in the database is shared, a used-up budget gives the work back and
the "cron" runs again at the announced moment). Baseline, same run: a naive sync that
looks each invoice up and then posts, honouring Retry-After without a budget or cache.
Prints requests per payment (goal ≤ 1.05), 429s that exhausted retries (goal 0) and
duplicates (goal 0), and the ratios ours / baseline.
"""

import collections
import datetime
import threading
import time

import requests

from odoo import SUPERUSER_ID, api
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


WORKERS = 2


def _per_endpoint(fake_mb):
    """Requests to the Moneybird API by endpoint: where the requests go."""
    counts = collections.Counter()
    for method, path, _query in fake_mb.log:
        if not path.startswith("/api/"):
            continue
        if path.endswith("/sales_invoices.json"):
            counts["list open invoices"] += 1
        elif "/find_by_invoice_id/" in path:
            counts["find by number"] += 1
        elif path.endswith("/payments.json") and method == "POST":
            counts["register payment"] += 1
        else:
            counts[f"{method} {path}"] += 1
    return ", ".join(f"{name} {n}" for name, n in counts.most_common())


def _worker(registry, connection_id, stats, lock):
    """One Odoo worker: runs the sending step until nothing is left to send."""
    for _run in range(200):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            connection = env["ccv.moneybird.connection"].browse(connection_id)
            client = connection._process_ready_payments()
            left = connection._backlog_count()
        with lock:
            stats["runs"] += 1
            if client is not None:
                stats["requests"] += client.request_count
        if not left:
            return
        if getattr(client, "postponed", False) or client is None:
            time.sleep(0.2)  # Odoo's cron would run again at the triggered moment


@tagged("post_install", "-at_install")
class BenchCcvMoneybirdSync(TransactionCase):
    def _committed_connection(self, fake_ccv, ours_mb):
        access, refresh = ours_mb.issue_tokens()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            connection = env["ccv.moneybird.connection"].create(
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
            account = env["ccv.moneybird.financial.account"].create(
                {
                    "connection_id": connection.id,
                    "name": "iDEAL",
                    "moneybird_id": "400001",
                }
            )
            env["ccv.moneybird.method.map"].create(
                {
                    "connection_id": connection.id,
                    "method": "ideal",
                    "financial_account_id": account.id,
                }
            )
            connection._fetch_new_payments()
            return connection.id

    def _drop(self, connection_id):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ccv.moneybird.connection"].browse(connection_id).unlink()

    def test_thousand_payments_two_workers(self):
        with (
            FakeCcv() as fake_ccv,
            FakeMoneybird(max_requests=MAX_REQUESTS, window=WINDOW) as ours_mb,
            FakeMoneybird(max_requests=MAX_REQUESTS, window=WINDOW) as base_mb,
        ):
            fake_ccv.page_size = 100
            _fill(ours_mb, fake_ccv)
            _fill(base_mb)
            connection_id = self._committed_connection(fake_ccv, ours_mb)
            try:
                stats = {"runs": 0, "requests": 0}
                lock = threading.Lock()
                started = time.perf_counter()
                workers = [
                    threading.Thread(
                        target=_worker, args=(self.registry, connection_id, stats, lock)
                    )
                    for _ in range(WORKERS)
                ]
                for worker in workers:
                    worker.start()
                for worker in workers:
                    worker.join(timeout=600)
                ours_seconds = time.perf_counter() - started
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    payments = env["ccv.payment"].search(
                        [("connection_id", "=", connection_id)]
                    )
                    ours_done = len(payments.filtered(lambda p: p.state == "done"))
                    errors = payments.filtered(lambda p: p.state == "error")
                    ours_errors = len(errors)
                    reasons = [
                        (p.reference, p.error_code, p.error_reason, p.details)
                        for p in errors
                    ]
            finally:
                self._drop(connection_id)
            ours_requests = ours_mb.api_requests + ours_mb.rate_limited

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
            f"ccv_moneybird_sync: {PAYMENTS} payments, {WORKERS} workers, Moneybird "
            f"limit {MAX_REQUESTS} per {WINDOW}s, {stats['runs']} runs"
        )
        print(
            f"  ours:     {ours_done} done, {ours_requests} Moneybird requests "
            f"({per_payment:.3f}/payment), {ours_mb.rate_limited} answered 429, "
            f"{ours_errors} in errors, {ours_mb.duplicates()} duplicates, "
            f"{ours_seconds:.1f}s"
        )
        print(f"  ours per endpoint: {_per_endpoint(ours_mb)}")
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
        for reason in reasons:
            print("  in errors:", *reason)
        # every payment has its open invoice: any payment in Errors is a bug
        self.assertFalse(reasons, "payments in Errors without a real reason")
        self.assertEqual(ours_done, PAYMENTS)
        # each worker reads the open invoices once (10 pages) and keeps them for
        # its next runs; what its snapshot misses is looked up by number
        self.assertLessEqual(per_payment, 1.05)
        self.assertEqual(ours_mb.rate_limited, 0)
        self.assertEqual(ours_mb.duplicates(), 0)
