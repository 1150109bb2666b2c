"""A local Moneybird following developer.moneybird.com (API v2 and OAuth2).

- ``GET /oauth/authorize`` (client_id, redirect_uri, response_type=code, scope, state):
  the user's consent is simulated, the browser is sent back to ``redirect_uri`` with
  ``code`` and ``state``;
- ``POST /oauth/token`` (form): ``authorization_code`` and ``refresh_token`` grants;
  ``{"access_token", "token_type": "bearer", "refresh_token", "scope", "created_at",
  "expires_in"}``; 400 ``{"error": "invalid_grant"}`` for a revoked/unknown grant;
- ``/api/v2/...`` needs ``Authorization: Bearer``, 401 otherwise; at most
  ``max_requests`` per sliding ``window`` seconds, else 429 with ``Retry-After`` and
  ``RateLimit-Reset`` as an absolute epoch second (as Moneybird sends them);
- scopes (developer.moneybird.com/authentication): the token holds the scopes asked
  for at ``/oauth/authorize``; sales invoices need ``sales_invoices``, financial
  accounts ``settings``; without it 403;
- ``GET /api/v2/administrations.json``, ``/{adm}/financial_accounts.json``;
- ``GET /{adm}/sales_invoices.json?filter=state:a|b,period:YYYYMMDD..YYYYMMDD``
  (default period: this year), ``page``/``per_page`` (max 100) and a ``Link`` header;
- ``GET /{adm}/sales_invoices/find_by_invoice_id/{number}.json``;
- ``POST /{adm}/sales_invoices/{id}/payments.json`` ``{"payment": {...}}`` → 201,
  422 ``{"error": {...}}`` for invalid data.
"""

import collections
import datetime
import itertools
import json
import math
import re
import secrets
import time
import urllib.parse
from decimal import Decimal

from .fake_http import FakeServer

ADMIN_ID = "123456789"
_PAYMENTS = re.compile(r"^/api/v2/(\w+)/sales_invoices/(\w+)/payments\.json$")
_FIND = re.compile(r"^/api/v2/(\w+)/sales_invoices/find_by_invoice_id/(.+)\.json$")


class FakeMoneybird(FakeServer):
    def __init__(
        self,
        client_id="odoo-client",
        client_secret="odoo-secret",
        max_requests=150,
        window=300.0,
        token_lifetime=None,
        today=None,
    ):
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.max_requests = max_requests
        self.window = window
        self.token_lifetime = token_lifetime  # seconds; None: tokens do not expire
        self.today = today or datetime.date.today()
        self.administrations = [
            {"id": ADMIN_ID, "name": "Webshop BV", "currency": "EUR"}
        ]
        self.financial_accounts = [
            {
                "id": "400001",
                "type": "FinancialAccount::BankAccount",
                "name": "Tussenrekening iDEAL",
            },
            {
                "id": "400002",
                "type": "FinancialAccount::BankAccount",
                "name": "Tussenrekening creditcard",
            },
        ]
        self.invoices = {}
        self.codes = {}
        self.access_tokens = {}  # token -> expiry (monotonic) or None
        self.refresh_tokens = {}  # token -> scope
        self.scopes = {}  # access token -> set of scopes
        self.refresh_count = 0
        self.refresh_grants = []  # the refresh tokens sent to /oauth/token, in order
        self.latency = 0.0  # seconds each API call takes to answer
        self.token_delay = 0.0  # seconds a refresh takes (to make workers overlap)
        self.broken = {}  # path suffix -> status answered (a failing endpoint)
        self.hits = collections.deque()
        self.api_requests = 0
        self.rate_limited = 0
        self.reject_next_payment = None  # a 422 error body for the next payment POST
        self._ids = itertools.count(500000000)

    # -- test helpers -----------------------------------------------------
    def add_invoice(
        self,
        number,
        total,
        state="open",
        invoice_date=None,
        currency="EUR",
        payments=(),
    ):
        invoice_id = str(next(self._ids))
        total = Decimal(str(total))
        paid = sum((Decimal(str(p["price"])) for p in payments), Decimal(0))
        invoice = {
            "id": invoice_id,
            "administration_id": ADMIN_ID,
            "invoice_id": number,
            "state": state,
            "invoice_date": (invoice_date or self.today).isoformat(),
            "currency": currency,
            "total_price_incl_tax": str(total),
            "total_unpaid": str(total - paid),
            "payments": [dict(p, id=str(next(self._ids))) for p in payments],
        }
        with self.lock:
            self.invoices[invoice_id] = invoice
        return invoice

    def issue_tokens(self, lifetime=None, scope="sales_invoices settings"):
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        lifetime = self.token_lifetime if lifetime is None else lifetime
        with self.lock:
            self.access_tokens[access] = (
                time.monotonic() + lifetime if lifetime else None
            )
            self.scopes[access] = set(scope.split())
            # a refresh token works once: Moneybird rotates it
            self.refresh_tokens[refresh] = scope
        return access, refresh

    def revoke_all(self):
        with self.lock:
            self.access_tokens.clear()
            self.refresh_tokens.clear()

    def payments_with(self, transaction_identifier):
        return [
            p
            for inv in self.invoices.values()
            for p in inv["payments"]
            if p.get("transaction_identifier") == transaction_identifier
        ]

    def duplicates(self):
        counts = collections.Counter(
            p["transaction_identifier"]
            for inv in self.invoices.values()
            for p in inv["payments"]
            if p.get("transaction_identifier")
        )
        return sum(n - 1 for n in counts.values() if n > 1)

    # -- protocol ---------------------------------------------------------
    def handle(self, method, path, query, raw, headers):
        if path == "/oauth/authorize" and method == "GET":
            return self._authorize(query)
        if path == "/oauth/token" and method == "POST":
            return self._token(dict(urllib.parse.parse_qsl(raw.decode())))
        if not path.startswith("/api/v2/"):
            return 404, {"error": "Not found"}, {}
        token = (headers.get("Authorization") or "").removeprefix("Bearer ")
        expiry = self.access_tokens.get(token, "missing")
        if expiry == "missing" or (expiry and time.monotonic() > expiry):
            return 401, {"error": "Token is invalid or expired"}, {}
        now = time.monotonic()
        while self.hits and self.hits[0] <= now - self.window:
            self.hits.popleft()
        if len(self.hits) >= self.max_requests:
            self.rate_limited += 1
            oldest = self.hits[0] if self.hits else now
            wait = max(oldest + self.window - now, 0.001)
            reset = str(math.ceil(time.time() + wait))  # an epoch second
            return (
                429,
                {"error": "Too many requests"},
                {"Retry-After": reset, "RateLimit-Reset": reset},
            )
        self.hits.append(now)
        self.api_requests += 1
        time.sleep(self.latency)
        for suffix, status in self.broken.items():
            if path.endswith(suffix):
                return status, {"error": "Internal server error"}, {}
        needed = _scope_needed(path)
        if needed and needed not in self.scopes.get(token, ()):
            return 403, {"error": "Insufficient scope", "scope": needed}, {}
        return self._api(method, path, query, raw)

    def _authorize(self, query):
        if (
            query.get("client_id") != self.client_id
            or query.get("response_type") != "code"
        ):
            return 400, {"error": "invalid_client"}, {}
        code = secrets.token_hex(8)
        self.codes[code] = (query.get("redirect_uri"), query.get("scope") or "")
        target = (
            query["redirect_uri"]
            + "?"
            + urllib.parse.urlencode({"code": code, "state": query.get("state", "")})
        )
        return 302, None, {"Location": target}

    def _token(self, form):
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return 401, {"error": "invalid_client"}, {}
        grant = form.get("grant_type")
        if grant == "authorization_code":
            redirect, scope = self.codes.pop(form.get("code"), (None, ""))
            if not redirect or redirect != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant"}, {}
        elif grant == "refresh_token":
            self.refresh_grants.append(form.get("refresh_token"))
            time.sleep(self.token_delay)
            if form.get("refresh_token") not in self.refresh_tokens:
                return 400, {"error": "invalid_grant"}, {}
            scope = self.refresh_tokens.pop(form["refresh_token"])
            self.refresh_count += 1
        else:
            return 400, {"error": "unsupported_grant_type"}, {}
        access, refresh = self.issue_tokens(scope=scope)
        body = {
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "scope": scope,
            "created_at": int(time.time()),
        }
        if self.token_lifetime:
            body["expires_in"] = self.token_lifetime
        return 200, body, {}

    def _api(self, method, path, query, raw):
        if path == "/api/v2/administrations.json":
            return 200, self.administrations, {}
        if path == f"/api/v2/{ADMIN_ID}/financial_accounts.json":
            return 200, self.financial_accounts, {}
        if path == f"/api/v2/{ADMIN_ID}/sales_invoices.json" and method == "GET":
            return self._list_invoices(path, query)
        match = _FIND.match(path)
        if match and match.group(1) == ADMIN_ID and method == "GET":
            number = urllib.parse.unquote(match.group(2))
            for invoice in self.invoices.values():
                if invoice["invoice_id"] == number:
                    return 200, invoice, {}
            return 404, {"error": "record not found"}, {}
        match = _PAYMENTS.match(path)
        if match and match.group(1) == ADMIN_ID and method == "POST":
            return self._add_payment(match.group(2), raw)
        return 404, {"error": "Not found"}, {}

    def _list_invoices(self, path, query):
        states, period = None, None
        for part in (query.get("filter") or "").split(","):
            key, _sep, value = part.partition(":")
            if key == "state":
                states = set(value.split("|"))
            elif key == "period":
                period = value
        if period and ".." in period:
            start, end = (
                datetime.datetime.strptime(p, "%Y%m%d").date()
                for p in period.split("..")
            )
        else:  # Moneybird's default: this year
            start, end = (
                datetime.date(self.today.year, 1, 1),
                datetime.date(self.today.year, 12, 31),
            )
        rows = [
            inv
            for inv in sorted(self.invoices.values(), key=lambda i: i["id"])
            if (not states or inv["state"] in states)
            and start <= datetime.date.fromisoformat(inv["invoice_date"]) <= end
        ]
        per_page = min(int(query.get("per_page") or 25), 100)
        page = int(query.get("page") or 1)
        chunk = rows[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(rows):
            next_query = urllib.parse.urlencode(
                dict(query, page=page + 1, per_page=per_page)
            )
            headers["Link"] = f'<{self.url}{path}?{next_query}>; rel="next"'
        return 200, chunk, headers

    def _add_payment(self, invoice_id, raw):
        invoice = self.invoices.get(invoice_id)
        if not invoice:
            return 404, {"error": "record not found"}, {}
        if self.reject_next_payment:
            error, self.reject_next_payment = self.reject_next_payment, None
            return 422, {"error": error}, {}
        try:
            payment = json.loads(raw or b"{}")["payment"]
        except (ValueError, KeyError):
            return 400, {"error": "payment is missing"}, {}
        errors = {}
        for key in ("payment_date", "price"):
            if not payment.get(key):
                errors[key] = ["can't be blank"]
        if payment.get("financial_account_id") not in {
            a["id"] for a in self.financial_accounts
        }:
            errors["financial_account_id"] = ["is invalid"]
        if errors:
            return 422, {"error": errors}, {}
        price = Decimal(str(payment["price"]))
        stored = {
            "id": str(next(self._ids)),
            "administration_id": ADMIN_ID,
            "invoice_type": "SalesInvoice",
            "invoice_id": invoice_id,
            "financial_account_id": payment["financial_account_id"],
            "payment_date": payment["payment_date"],
            "price": str(price),
            "price_base": str(price),
            "transaction_identifier": payment.get("transaction_identifier"),
            "ledger_account_id": payment.get("ledger_account_id"),
        }
        invoice["payments"].append(stored)
        unpaid = Decimal(invoice["total_unpaid"]) - price
        invoice["total_unpaid"] = str(unpaid)
        if unpaid <= 0:
            invoice["state"] = "paid"
        return 201, stored, {}


def _scope_needed(path):
    if "/sales_invoices" in path:
        return "sales_invoices"
    if path.endswith("/financial_accounts.json"):
        return "settings"
    return None
