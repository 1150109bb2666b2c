"""The plain-Python clients, limiter and matcher, against the local vendor servers."""

import dataclasses
import datetime
import email.utils
import json
from pathlib import Path

import requests

from odoo.tests import BaseCase, tagged

from ..clients import ccv, http, matcher, moneybird, sync
from ..clients.errors import (
    AuthorizationRevoked,
    CcvAuthError,
    NotFound,
    RateLimitExhausted,
    TransportError,
)
from ..clients.ratelimit import SlidingWindowLimiter
from .fake_ccv import FakeCcv
from .fake_moneybird import ADMIN_ID, FakeMoneybird

DATA = Path(__file__).parent / "data"


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@tagged("post_install", "-at_install")
class TestRateLimiter(BaseCase):
    def test_150_requests_pass_then_the_151st_is_given_back_with_its_delay(self):
        clock = FakeClock()
        limiter = SlidingWindowLimiter(150, 300, clock=clock, sleep=clock.sleep)
        for _ in range(150):
            limiter.acquire()
            clock.now += 0.1
        with self.assertRaises(RateLimitExhausted) as caught:
            limiter.acquire()
        self.assertEqual(clock.slept, [], "no sleep of minutes in a worker")
        # the first request was at t=1000, so the 151st may go at t=1300
        self.assertAlmostEqual(caught.exception.retry_after, 1300.01 - 1015, places=5)

    def test_window_is_configurable(self):
        clock = FakeClock()
        limiter = SlidingWindowLimiter(2, 0.75, clock=clock, sleep=clock.sleep)
        for _ in range(3):
            limiter.acquire()
        self.assertAlmostEqual(sum(clock.slept), 0.76, places=5)

    def test_retry_after_in_seconds_or_as_http_date(self):
        response = type("R", (), {"headers": {"Retry-After": "12"}})()
        self.assertEqual(http.retry_after_seconds(response), 12)
        # Moneybird: an absolute epoch second, in Retry-After or RateLimit-Reset
        response.headers = {"Retry-After": "1764500042"}
        self.assertEqual(http.retry_after_seconds(response, now=1764500000), 42)
        response.headers = {"RateLimit-Reset": "1764500030"}
        self.assertEqual(http.retry_after_seconds(response, now=1764500000), 30)
        when = email.utils.formatdate(10_000 + 30, usegmt=True)
        response.headers = {"Retry-After": when}
        self.assertEqual(http.retry_after_seconds(response, now=10_000), 30)
        response.headers = {}
        self.assertEqual(http.retry_after_seconds(response, default=2), 2)


@tagged("post_install", "-at_install")
class TestCcvClient(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeCcv().start()
        cls.addClassCleanup(cls.fake.stop)

    def setUp(self):
        super().setUp()
        self.fake.transactions.clear()
        self.fake.throttle_next = 0
        self.client = ccv.CcvClient(
            self.fake.api_key, self.fake.url, sleep=lambda s: None
        )

    def test_golden_transaction(self):
        data = json.loads((DATA / "ccv_transaction_success.json").read_text())
        expected = json.loads(
            (DATA / "ccv_transaction_success.expected.json").read_text()
        )
        parsed = {
            key: str(value)
            for key, value in dataclasses.asdict(ccv.parse_transaction(data)).items()
        }
        self.assertEqual(parsed, expected)

    def test_unknown_status_is_refused(self):
        with self.assertRaisesRegex(ValueError, "unknown status"):
            ccv.parse_transaction(
                {"reference": "X", "status": "paid", "amount": 1, "created": 1}
            )

    def test_basic_auth_with_the_api_key(self):
        reference = self.fake.add(amount="12.00", merchant_order_reference="2026-1")
        self.assertEqual(self.client.get_transaction(reference).amount, 12)
        wrong = ccv.CcvClient("t_other", self.fake.url)
        with self.assertRaises(CcvAuthError):
            wrong.get_transaction(reference)
        with self.assertRaises(NotFound):
            self.client.get_transaction("C-UNKNOWN")

    def test_429_is_retried_then_given_up(self):
        reference = self.fake.add(amount="1.00")
        self.fake.throttle_next = 2
        self.assertEqual(self.client.get_transaction(reference).reference, reference)
        self.fake.throttle_next = 10
        with self.assertRaises(RateLimitExhausted):
            self.client.get_transaction(reference)

    def test_new_payments_are_read_page_by_page(self):
        for n in range(60):
            self.fake.add(amount="1.00", created_ms=1763632800000 + n)
        self.fake.add(amount="1.00", type="refund", created_ms=1763632800100)
        since = ccv.from_epoch_ms(1763632800000 - 1)
        found = list(self.client.iter_transactions(since))
        self.assertEqual(len(found), 60, "the refund is not a payment")
        self.assertEqual(len({t.reference for t in found}), 60)
        self.assertEqual(self.client.request_count, 4, "3 pages of 25 and an empty one")

    def test_only_payment_rows_are_read_and_a_bad_row_blocks_nothing(self):
        created = 1763632800000
        sale = self.fake.add(amount="5.00", created_ms=created + 1)
        for kind in ("refund", "authorise", "tokenize", "something_new"):
            # not payments: never parsed, even with fields a payment cannot have
            self.fake.add(amount=None, type=kind, status="odd", created_ms=created + 2)
        bad = self.fake.add(amount=None, created_ms=created + 3)
        unreadable = []
        found = list(
            self.client.iter_transactions(ccv.from_epoch_ms(created), unreadable)
        )
        self.assertEqual([t.reference for t in found], [sale])
        self.assertEqual(
            [str(e) for e in unreadable], [f"CCV transaction {bad}: no valid amount"]
        )

    def test_klarna_capture_is_the_payment_with_the_order_of_its_authorisation(self):
        created = 1763632800000
        authorise = self.fake.add(
            amount="80.00",
            method="klarna",
            type="authorise",
            merchant_order_reference="2026-0777",
            created_ms=created + 1,
        )
        capture = self.fake.add(
            amount="80.00",
            method="klarna",
            type="capture",
            original_reference=authorise,
            created_ms=created + 2,
        )
        found = list(self.client.iter_transactions(ccv.from_epoch_ms(created)))
        self.assertEqual([t.reference for t in found], [capture])
        self.assertEqual(found[0].merchant_order_reference, "2026-0777")

    def test_every_call_has_a_timeout(self):
        """At the I/O seam: each request carries the timeout; a timeout is explained."""
        seen = []

        class RecordingSession:
            def request(self, method, url, **kwargs):
                seen.append(kwargs.get("timeout"))
                raise requests.Timeout()

        client = ccv.CcvClient("t_x", "http://127.0.0.1:9", session=RecordingSession())
        with self.assertRaisesRegex(TransportError, "time limit"):
            client.get_transaction("C1")
        mb = moneybird.MoneybirdClient(
            moneybird.OAuthTokens("a", "r", None),
            ADMIN_ID,
            "http://127.0.0.1:9",
            session=RecordingSession(),
        )
        with self.assertRaises(TransportError):
            mb.administrations()
        self.assertEqual(seen, [http.TIMEOUT, http.TIMEOUT])


@tagged("post_install", "-at_install")
class TestMoneybirdClient(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeMoneybird(max_requests=5, window=0.5).start()
        cls.addClassCleanup(cls.fake.stop)

    def setUp(self):
        super().setUp()
        self.fake.invoices.clear()
        self.fake.hits.clear()
        self.fake.rate_limited = 0
        self.oauth = moneybird.MoneybirdOAuth(
            self.fake.client_id,
            self.fake.client_secret,
            "http://odoo/cb",
            self.fake.url,
        )
        access, refresh = self.fake.issue_tokens()
        self.stored = []
        self.client = moneybird.MoneybirdClient(
            moneybird.OAuthTokens(access, refresh, None),
            ADMIN_ID,
            self.fake.url,
            oauth=self.oauth,
            on_tokens=self.stored.append,
            limiter=SlidingWindowLimiter(5, 0.5),
        )

    def test_authorize_url_asks_for_exactly_the_scopes_the_calls_need(self):
        url = self.oauth.authorize_url("xyz")
        self.assertTrue(url.startswith(self.fake.url + "/oauth/authorize?"))
        self.assertIn("scope=sales_invoices+settings&", url)
        # financial accounts need "settings": without it Moneybird answers 403
        access, _refresh = self.fake.issue_tokens(scope="sales_invoices bank")
        self.client.tokens = moneybird.OAuthTokens(access, "", None)
        with self.assertRaises(AuthorizationRevoked) as caught:
            self.client.financial_accounts()
        self.assertEqual(caught.exception.status, 403)
        self.assertIn("response_type=code", url)

    def test_paging_follows_the_link_header(self):
        for n in range(1, 231):
            self.fake.add_invoice(f"2026-{n:04d}", "1.00")
        self.fake.add_invoice("2026-9999", "1.00", state="paid")
        invoices = list(
            self.client.iter_open_invoices(sync.default_period(datetime.date.today()))
        )
        self.assertEqual(len(invoices), 230)
        self.assertEqual(self.client.request_count, 3)

    def test_expired_token_is_refreshed_once_and_handed_over(self):
        self.fake.access_tokens.pop(self.client.tokens.access_token)
        self.assertEqual(self.client.administrations()[0]["id"], ADMIN_ID)
        self.assertEqual(self.client.refresh_count, 1)
        self.assertEqual(len(self.stored), 1)
        self.assertIn(self.stored[0].access_token, self.fake.access_tokens)

    def test_token_with_known_expiry_is_refreshed_before_the_call(self):
        past = datetime.datetime(2020, 1, 1)
        self.client.tokens = dataclasses.replace(self.client.tokens, expires_at=past)
        self.client.administrations()
        self.assertEqual(self.client.refresh_count, 1)
        unauthorised = [
            e for e in self.fake.log if e[1] == "/api/v2/administrations.json"
        ]
        self.assertTrue(unauthorised)

    def test_revoked_authorization(self):
        self.fake.revoke_all()
        with self.assertRaises(AuthorizationRevoked):
            self.client.administrations()

    def test_client_side_limiter_avoids_429(self):
        for _ in range(12):
            self.client.administrations()
        self.assertEqual(self.fake.rate_limited, 0)
        self.assertGreater(self.client.limiter.waited, 0.5)

    def test_429_is_honoured_with_retry_after(self):
        # a limiter that allows more than the server: a short wait is done in place,
        # a longer one (the epoch second is further away) is given back to the caller
        self.client.limiter = SlidingWindowLimiter(1000, 0.5)
        for _ in range(8):
            try:
                self.client.administrations()
            except RateLimitExhausted as exc:
                self.assertLessEqual(exc.retry_after, 2.0)
        self.assertGreater(self.fake.rate_limited, 0)
        self.assertEqual(self.client.rate_limited_count, self.fake.rate_limited)

    def test_422_carries_moneybird_message(self):
        invoice = self.fake.add_invoice("2026-0001", "5.00")
        with self.assertRaisesRegex(Exception, "financial_account_id is invalid"):
            self.client.register_payment(
                invoice["id"], datetime.date(2026, 11, 20), "5.00", "C1", "nope"
            )


def _response(status, body, headers=None):
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers.update(headers or {})
    return response


@tagged("post_install", "-at_install")
class TestSyncRequestsGolden(BaseCase):
    """The requests one payment costs, at the I/O seam, against a golden file."""

    def test_one_payment_costs_one_list_page_and_one_post(self):
        sent = []
        answers = [
            _response(
                200,
                [
                    {
                        "id": "500000001",
                        "invoice_id": "2026-0001",
                        "state": "open",
                        "currency": "EUR",
                        "total_unpaid": "121.0",
                        "payments": [],
                    }
                ],
            ),
            _response(201, {"id": "600000001"}),
        ]

        class RecordingSession:
            def request(self, method, url, **kwargs):
                sent.append(
                    {
                        "method": method,
                        "url": url,
                        "params": kwargs.get("params"),
                        "json": kwargs.get("json"),
                        "authorization": kwargs["headers"]["Authorization"],
                        "timeout": kwargs["timeout"],
                    }
                )
                return answers.pop(0)

        client = moneybird.MoneybirdClient(
            moneybird.OAuthTokens("access-1", "refresh-1", None),
            ADMIN_ID,
            "https://moneybird.example",
            session=RecordingSession(),
        )
        syncer = sync.PaymentSyncer(
            client, {"ideal": ("400001", "8010")}, today=datetime.date(2026, 11, 21)
        )
        outcome = syncer.process(
            sync.PaymentData(
                "C261120100000001CB.G",
                "2026-0001",
                "Order 2026-0001",
                "121.00",
                "EUR",
                "ideal",
                datetime.date(2026, 11, 20),
            )
        )
        self.assertEqual((outcome.state, outcome.payment_id), ("done", "600000001"))
        expected = json.loads(
            (DATA / "moneybird_sync_requests.expected.json").read_text()
        )
        self.assertEqual(json.loads(json.dumps(sent)), expected)


@tagged("post_install", "-at_install")
class TestMatcher(BaseCase):
    def test_candidate_numbers_come_from_reference_then_description(self):
        self.assertEqual(
            matcher.candidate_numbers("2026-0001", "Order 2026-0001 / klant 88"),
            ["2026-0001", "88"],
        )

    def test_index_finds_by_number_case_insensitive(self):
        index = matcher.OpenInvoiceIndex([{"invoice_id": "inv-7", "total_unpaid": "1"}])
        self.assertEqual(index.find("", "Payment INV-7")["invoice_id"], "inv-7")
        self.assertIsNone(index.find("INV-8", ""))

    def test_paid_invoice_leaves_the_index(self):
        invoice = {"invoice_id": "A1", "total_unpaid": "10.00", "payments": []}
        index = matcher.OpenInvoiceIndex([invoice])
        index.record_payment(invoice, {"price": "4.00", "transaction_identifier": "C1"})
        self.assertEqual(invoice["total_unpaid"], "6.00")
        index.record_payment(invoice, {"price": "6.00", "transaction_identifier": "C2"})
        self.assertIsNone(index.find("A1"))
        self.assertTrue(matcher.has_payment(invoice, "C2"))
