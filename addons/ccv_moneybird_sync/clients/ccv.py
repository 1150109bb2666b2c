"""CCV Online Payments (api.psp.ccv.eu) transaction reader.

Authentication is HTTP Basic with the API key as user name and an empty password.
Timestamps are milliseconds since the epoch. A payment starts ``pending`` and ends
``success`` or ``failed``; ``manualintervention`` means CCV's helpdesk must act.
"""

import datetime
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import requests

from .errors import ApiError, CcvAuthError, DataError, NotFound, RateLimitExhausted
from .http import json_or_none, retry_after_seconds, send

CCV_DEFAULT_URL = "https://api.psp.ccv.eu"
STATUSES = ("pending", "success", "failed", "manualintervention")
FINAL_STATUSES = ("success", "failed")
# Transaction types that bring money in (refunds and captures pay no invoice).
PAYMENT_TYPES = ("sale",)
MAX_RETRIES = 3
MAX_PAGES = 200


@dataclass(frozen=True)
class CcvTransaction:
    reference: str
    merchant_order_reference: str
    description: str
    amount: Decimal
    currency: str
    method: str
    status: str
    failure_code: str
    type: str
    created: datetime.datetime
    paid_on: datetime.datetime

    @property
    def is_final(self):
        return self.status in FINAL_STATUSES


def from_epoch_ms(value):
    """CCV epoch milliseconds → naive UTC datetime (Odoo's storage convention)."""
    return datetime.datetime.fromtimestamp(int(value) / 1000, datetime.UTC).replace(
        tzinfo=None
    )


def to_epoch_ms(moment):
    """Naive UTC datetime → CCV epoch milliseconds."""
    return int(moment.replace(tzinfo=datetime.UTC).timestamp() * 1000)


def parse_transaction(data):
    """CCV transaction JSON → :class:`CcvTransaction`; ValueError if unusable."""
    if not isinstance(data, dict) or not data.get("reference"):
        raise DataError("ccv_no_reference")
    status = data.get("status")
    if status not in STATUSES:
        raise DataError(
            "ccv_unknown_status",
            {"reference": data["reference"], "status": repr(status)},
        )
    try:
        amount = Decimal(str(data.get("amount")))
    except (InvalidOperation, TypeError) as exc:
        raise DataError("ccv_bad_amount", {"reference": data["reference"]}) from exc
    try:
        created = from_epoch_ms(data["created"])
        final = data.get("statusFinalDate") or data.get("lastUpdate") or data["created"]
        paid_on = from_epoch_ms(final)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise DataError("ccv_bad_timestamp", {"reference": data["reference"]}) from exc
    return CcvTransaction(
        reference=str(data["reference"]),
        merchant_order_reference=str(data.get("merchantOrderReference") or ""),
        description=str(data.get("description") or ""),
        amount=amount,
        currency=str(data.get("currency") or "eur").upper(),
        method=str(data.get("method") or ""),
        status=status,
        failure_code=str(data.get("failureCode") or ""),
        type=str(data.get("type") or "sale"),
        created=created,
        paid_on=paid_on,
    )


class CcvClient:
    def __init__(
        self, api_key, base_url=CCV_DEFAULT_URL, session=None, sleep=time.sleep
    ):
        if not api_key:
            raise DataError("ccv_no_key")
        self.base_url = (base_url or CCV_DEFAULT_URL).rstrip("/")
        self._auth = (api_key, "")
        self._session = session or requests.Session()
        self._sleep = sleep
        self.request_count = 0

    @property
    def mode(self):
        return "test" if self._auth[0].startswith("t_") else "live"

    def _get(self, path, params=None):
        url = self.base_url + path
        for attempt in range(MAX_RETRIES + 1):
            self.request_count += 1
            response = send(self._session, "GET", url, params=params, auth=self._auth)
            if response.status_code != 429:
                break
            if attempt == MAX_RETRIES:
                raise RateLimitExhausted("ccv_rate_limited", 429)
            self._sleep(retry_after_seconds(response))
        body = json_or_none(response)
        if response.status_code == 401:
            raise CcvAuthError("ccv_key_refused", 401, body)
        if response.status_code == 404:
            raise NotFound("ccv_not_found", 404, body)
        if response.status_code >= 400:
            raise ApiError(
                "ccv_http",
                response.status_code,
                body,
                {"status": response.status_code},
            )
        if body is None:
            raise ApiError("ccv_not_json", response.status_code)
        return body

    def test_connection(self):
        """Reads the payment methods of the account; raises when the key is refused."""
        methods = self._get("/api/v1/method")
        return [m.get("method") for m in methods if isinstance(m, dict)]

    def get_transaction(self, reference):
        return parse_transaction(
            self._get("/api/v1/transaction", {"reference": reference})
        )

    def get_transactions(self, references):
        """Several transactions in one call (``references=a,b,c``)."""
        if not references:
            return []
        rows = self._get("/api/v1/transaction", {"references": ",".join(references)})
        return [parse_transaction(row) for row in rows]

    def iter_transactions(self, created_after, types=PAYMENT_TYPES):
        """Payments created after ``created_after`` (naive UTC), page by page.

        Pages follow each other with ``referenceAfter`` (the last reference seen).
        """
        params = {"createdAfter": to_epoch_ms(created_after)}
        for _page in range(MAX_PAGES):
            rows = self._get("/api/v1/transaction", params)
            if not rows:
                return
            for row in rows:
                transaction = parse_transaction(row)
                if transaction.type in types:
                    yield transaction
            params = dict(params, referenceAfter=rows[-1]["reference"])
