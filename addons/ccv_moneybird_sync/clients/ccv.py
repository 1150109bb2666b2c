"""CCV Online Payments (api.psp.ccv.eu) transaction reader.

Authentication is HTTP Basic with the API key as user name and an empty password.
Timestamps are milliseconds since the epoch. A payment starts ``pending`` and ends
``success`` or ``failed``; ``manualintervention`` means CCV's helpdesk must act.
"""

import dataclasses
import datetime
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import requests

from .errors import (
    ApiError,
    CcvAuthError,
    DataError,
    NotFound,
    RateLimitExhausted,
    _lt,
)
from .http import MAX_INLINE_WAIT, json_or_none, retry_after_seconds, send

CCV_DEFAULT_URL = "https://api.psp.ccv.eu"
STATUSES = ("pending", "success", "failed", "manualintervention")
FINAL_STATUSES = ("success", "failed")
# Transaction types that bring money in. Two-step methods (Klarna) run an
# ``authorise`` (no money yet) and a separate ``capture`` (the money, with
# ``originalReference``): the capture is the payment. Refunds, authorisations,
# tokenisations and any type we do not know are skipped before they are parsed.
PAYMENT_TYPES = ("sale", "capture")
CAPTURE = "capture"
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
        raise DataError(_lt("CCV sent a transaction without a reference"))
    status = data.get("status")
    if status not in STATUSES:
        raise DataError(
            _lt(
                "CCV transaction %(reference)s: unknown status %(status)s",
                reference=data["reference"],
                status=repr(status),
            )
        )
    try:
        amount = Decimal(str(data.get("amount")))
    except (InvalidOperation, TypeError) as exc:
        raise DataError(
            _lt("CCV transaction %s: no valid amount", data["reference"])
        ) from exc
    try:
        created = from_epoch_ms(data["created"])
        final = data.get("statusFinalDate") or data.get("lastUpdate") or data["created"]
        paid_on = from_epoch_ms(final)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise DataError(
            _lt("CCV transaction %s: no valid timestamp", data["reference"])
        ) from exc
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
            raise DataError(_lt("No CCV API key"))
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
            wait = retry_after_seconds(response)
            if attempt == MAX_RETRIES or wait > MAX_INLINE_WAIT:
                # never a long sleep in a worker: the caller reschedules the cron
                raise RateLimitExhausted(
                    _lt("CCV kept answering 'too many requests'"),
                    retry_after=max(wait, MAX_INLINE_WAIT),
                )
            self._sleep(wait)
        body = json_or_none(response)
        if response.status_code == 401:
            raise CcvAuthError(_lt("CCV does not accept the API key"), 401, body)
        if response.status_code == 404:
            raise NotFound(_lt("CCV does not know this transaction"), 404, body)
        if response.status_code >= 400:
            raise ApiError(
                _lt("CCV answered HTTP %s", response.status_code),
                response.status_code,
                body,
            )
        if body is None:
            raise ApiError(
                _lt("CCV sent an answer that is not JSON"), response.status_code
            )
        return body

    def test_connection(self):
        """Reads the payment methods of the account; raises when the key is refused."""
        methods = self._get("/api/v1/method")
        return [m.get("method") for m in methods if isinstance(m, dict)]

    def get_transaction(self, reference):
        return parse_transaction(
            self._get("/api/v1/transaction", {"reference": reference})
        )

    def get_transactions(self, references, unreadable=None):
        """Several transactions in one call (``references=a,b,c``)."""
        if not references:
            return []
        rows = self._get("/api/v1/transaction", {"references": ",".join(references)})
        return list(self._payments(rows, unreadable))

    def iter_transactions(self, created_after, unreadable=None):
        """Payments created after ``created_after`` (naive UTC), page by page.

        Pages follow each other with ``referenceAfter`` (the last reference seen).
        A row that cannot be read is added to ``unreadable`` as a
        :class:`DataError` and never stops the others.
        """
        params = {"createdAfter": to_epoch_ms(created_after)}
        for _page in range(MAX_PAGES):
            rows = self._get("/api/v1/transaction", params)
            if not rows:
                return
            yield from self._payments(rows, unreadable)
            last = rows[-1].get("reference") if isinstance(rows[-1], dict) else None
            if not last:
                return
            params = dict(params, referenceAfter=last)

    def _payments(self, rows, unreadable):
        for row in rows if isinstance(rows, list) else []:
            if not is_payment_row(row):
                continue
            try:
                transaction = parse_transaction(row)
                if transaction.type == CAPTURE:
                    transaction = self._with_order_of_original(row, transaction)
            except DataError as exc:
                if unreadable is not None:
                    unreadable.append(exc)
                continue
            yield transaction

    def _with_order_of_original(self, row, capture):
        """A capture may not repeat the order of its authorisation: read it there."""
        if capture.merchant_order_reference or not row.get("originalReference"):
            return capture
        try:
            original = self._get(
                "/api/v1/transaction", {"reference": row["originalReference"]}
            )
        except NotFound:
            return capture
        return dataclasses.replace(
            capture,
            merchant_order_reference=str(original.get("merchantOrderReference") or ""),
            description=capture.description or str(original.get("description") or ""),
        )


def is_payment_row(row):
    """Only rows of a payment type are parsed (refunds, authorisations... are not)."""
    return isinstance(row, dict) and (row.get("type") or "sale") in PAYMENT_TYPES
