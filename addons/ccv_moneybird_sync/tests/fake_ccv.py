"""A local CCV Online Payments API following developer.myccv.eu's Payment API.

- ``GET /api/v1/transaction?reference=R`` one transaction, 404 when unknown;
- ``GET /api/v1/transaction?references=A,B`` several;
- ``GET /api/v1/transaction?createdAfter=MS[&referenceAfter=R]`` a page of payments
  created after the timestamp (exclusive), oldest first;
- ``GET /api/v1/method`` the payment methods;
- HTTP Basic authentication, the API key as user and an empty password (401 otherwise);
- timestamps in epoch milliseconds; statuses pending/success/failed/manualintervention;
- the transaction list holds every type: ``sale``, ``refund``, ``authorise`` and
  ``capture`` (two-step methods such as Klarna; the capture has ``originalReference``),
  tokenisations; fields may be ``null``.
"""

import base64
import itertools

from .fake_http import FakeServer

METHODS = ["ideal", "card", "bancontact", "paypal", "banktransfer"]


class FakeCcv(FakeServer):
    page_size = 25

    def __init__(self, api_key="t_ccvtestkey0001"):
        super().__init__()
        self.api_key = api_key
        self.transactions = {}
        self.throttle_next = 0  # answer 429 (Retry-After: 0) to that many calls
        self._seq = itertools.count(1)

    def add(
        self,
        reference=None,
        *,
        amount,
        status="success",
        method="ideal",
        merchant_order_reference="",
        description="",
        created_ms=1763700000000,
        failure_code=None,
        type="sale",
        currency="eur",
        original_reference=None,
    ):
        reference = reference or f"C2611{next(self._seq):08d}CB.G"
        data = {
            "reference": reference,
            "merchantOrderReference": merchant_order_reference,
            "description": description,
            "amount": None if amount is None else float(amount),
            "currency": currency,
            "method": method,
            "status": status,
            "type": type,
            "created": created_ms,
            "lastUpdate": created_ms + 60000,
            "language": "nld",
        }
        if status in ("success", "failed"):
            data["statusFinalDate"] = created_ms + 60000
        if failure_code:
            data["failureCode"] = failure_code
        if original_reference:
            # a capture (or refund) points at the transaction it follows up
            data["originalReference"] = original_reference
        with self.lock:
            self.transactions[reference] = data
        return reference

    def set_status(self, reference, status, failure_code=None):
        with self.lock:
            data = self.transactions[reference]
            data["status"] = status
            data["lastUpdate"] = data["created"] + 120000
            if status in ("success", "failed"):
                data["statusFinalDate"] = data["lastUpdate"]
            if failure_code:
                data["failureCode"] = failure_code

    def _authorized(self, headers):
        value = headers.get("Authorization") or ""
        if not value.startswith("Basic "):
            return False
        try:
            user, _sep, password = base64.b64decode(value[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.api_key and password == ""

    def handle(self, method, path, query, raw, headers):
        if not self._authorized(headers):
            return (
                401,
                {"failureCode": "unauthorized", "message": "Invalid API key"},
                {},
            )
        if self.throttle_next:
            self.throttle_next -= 1
            return 429, {"message": "Too many requests"}, {"Retry-After": "0"}
        if method == "GET" and path == "/api/v1/method":
            return 200, [{"method": m} for m in METHODS], {}
        if method == "GET" and path == "/api/v1/transaction":
            return self._transaction(query)
        return 404, {"message": "Not found"}, {}

    def _transaction(self, query):
        if "reference" in query:
            data = self.transactions.get(query["reference"])
            if not data:
                return (
                    404,
                    {"failureCode": "not_found", "message": "Unknown reference"},
                    {},
                )
            return 200, data, {}
        rows = sorted(
            self.transactions.values(), key=lambda t: (t["created"], t["reference"])
        )
        if "references" in query:
            wanted = set(query["references"].split(","))
            return 200, [row for row in rows if row["reference"] in wanted], {}
        if "createdAfter" in query:
            after = int(query["createdAfter"])
            rows = [row for row in rows if row["created"] > after]
        if query.get("referenceAfter"):
            refs = [row["reference"] for row in rows]
            start = (
                refs.index(query["referenceAfter"]) + 1
                if query["referenceAfter"] in refs
                else 0
            )
            rows = rows[start:]
        return 200, rows[: self.page_size], {}
