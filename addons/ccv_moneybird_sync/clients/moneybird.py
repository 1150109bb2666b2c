"""Moneybird API v2 client with OAuth2 tokens, a rate limiter and Retry-After.

Paths: ``{base}/api/v2/{administration_id}/{resource}.json``; Bearer tokens from
``{base}/oauth/token``; lists are paged (``page``/``per_page``, ``Link`` header).
"""

import datetime
import logging
import time
import urllib.parse
from dataclasses import dataclass

import requests

from .errors import (
    ApiError,
    AuthorizationRevoked,
    DataError,
    NotFound,
    RateLimitExhausted,
    Unprocessable,
    _lt,
)
from .http import MAX_INLINE_WAIT, json_or_none, retry_after_seconds, send
from .ratelimit import SlidingWindowLimiter

_logger = logging.getLogger(__name__)

MONEYBIRD_DEFAULT_URL = "https://moneybird.com"
# sales_invoices: read invoices and register payments on them; settings: the
# financial accounts (developer.moneybird.com/authentication, "Scopes")
SCOPES = ("sales_invoices", "settings")
OPEN_STATES = ("open", "late", "reminded")
PER_PAGE = 100
MAX_RETRIES = 4
MAX_PAGES = 500
# Refresh a little before the announced expiry: no call starts with a stale token.
EXPIRY_MARGIN = datetime.timedelta(minutes=2)


@dataclass(frozen=True)
class OAuthTokens:
    access_token: str
    refresh_token: str
    expires_at: datetime.datetime | None  # naive UTC, None: does not expire
    scope: str = ""

    def expired(self, now):
        return bool(self.expires_at and now >= self.expires_at - EXPIRY_MARGIN)


def _tokens_from(body, now, previous_refresh=""):
    if not isinstance(body, dict) or not body.get("access_token"):
        raise ApiError(_lt("Moneybird sent no access token"))
    expires_in = body.get("expires_in")
    expires_at = (
        now + datetime.timedelta(seconds=int(expires_in)) if expires_in else None
    )
    return OAuthTokens(
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token") or previous_refresh,
        expires_at=expires_at,
        scope=body.get("scope") or "",
    )


def _utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class MoneybirdOAuth:
    """OAuth2 authorization-code flow: ``/oauth/authorize`` and ``/oauth/token``."""

    def __init__(
        self,
        client_id,
        client_secret,
        redirect_uri,
        base_url=MONEYBIRD_DEFAULT_URL,
        session=None,
        now=_utcnow,
    ):
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.base_url = (base_url or MONEYBIRD_DEFAULT_URL).rstrip("/")
        self._session = session or requests.Session()
        self._now = now

    def authorize_url(self, state, scopes=SCOPES):
        query = urllib.parse.urlencode(
            {
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "response_type": "code",
                "scope": " ".join(scopes),
                "state": state,
            }
        )
        return f"{self.base_url}/oauth/authorize?{query}"

    def _token(self, data, previous_refresh=""):
        data = dict(data, client_id=self.client_id, client_secret=self.client_secret)
        response = send(
            self._session, "POST", f"{self.base_url}/oauth/token", data=data
        )
        body = json_or_none(response)
        if response.status_code in (400, 401):
            error = (body or {}).get("error") if isinstance(body, dict) else None
            answer = error or response.status_code
            raise AuthorizationRevoked(
                _lt("Moneybird refused the authorization (%s)", answer),
                response.status_code,
                {"error": error},  # never the request: it holds the client secret
                answer=str(answer),
            )
        status = response.status_code
        if status >= 400:
            raise ApiError(
                _lt("Moneybird's token endpoint answered HTTP %s", status),
                status,
            )
        return _tokens_from(body, self._now(), previous_refresh)

    def exchange_code(self, code):
        return self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
            }
        )

    def refresh(self, refresh_token):
        if not refresh_token:
            raise AuthorizationRevoked(
                _lt("There is no refresh token; connect Moneybird again")
            )
        return self._token(
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            previous_refresh=refresh_token,
        )


class MoneybirdClient:
    """One administration. ``request_count`` counts API calls (token calls excluded)."""

    def __init__(
        self,
        tokens,
        administration_id=None,
        base_url=MONEYBIRD_DEFAULT_URL,
        oauth=None,
        on_tokens=None,
        limiter=None,
        session=None,
        sleep=time.sleep,
        now=_utcnow,
        refresher=None,
    ):
        self.tokens = tokens
        self._refresher = refresher
        self.administration_id = administration_id
        self.base_url = (base_url or MONEYBIRD_DEFAULT_URL).rstrip("/")
        self._oauth = oauth
        self._on_tokens = on_tokens
        self.limiter = limiter or SlidingWindowLimiter(sleep=sleep)
        self._session = session or requests.Session()
        self._sleep = sleep
        self._now = now
        self.request_count = 0
        self.rate_limited_count = 0
        self.refresh_count = 0

    # -- plumbing ---------------------------------------------------------
    def _refresh(self):
        if self._refresher:
            # the caller refreshes under a lock and keeps the rotated token safe
            self.tokens = self._refresher(self.tokens)
            self.refresh_count += 1
            return
        if not self._oauth:
            raise AuthorizationRevoked(_lt("The Moneybird access token expired"))
        self.tokens = self._oauth.refresh(self.tokens.refresh_token)
        self.refresh_count += 1
        if self._on_tokens:
            self._on_tokens(self.tokens)

    def _url(self, resource):
        if self.administration_id is None:
            raise DataError(_lt("No Moneybird administration chosen"))
        return f"{self.base_url}/api/v2/{self.administration_id}/{resource}.json"

    def _request(self, method, url, params=None, json=None):
        if self.tokens.expired(self._now()):
            self._refresh()
        refreshed = False
        attempt = 0
        while True:
            slot = self.limiter.acquire()
            self.request_count += 1
            headers = {"Authorization": f"Bearer {self.tokens.access_token}"}
            try:
                response = send(
                    self._session,
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=headers,
                )
            finally:
                self.limiter.finished(slot)
            status = response.status_code
            if status == 429:
                self.rate_limited_count += 1
                wait = retry_after_seconds(response)
                if attempt >= MAX_RETRIES:
                    raise RateLimitExhausted(
                        _lt("Moneybird kept answering 'too many requests'"),
                        retry_after=max(wait, MAX_INLINE_WAIT),
                    )
                attempt += 1
                # a short wait happens here, a long one ends the run (cron later)
                self.limiter.pause(wait)
                continue
            if status == 401 and not refreshed and self._oauth:
                refreshed = True
                self._refresh()
                continue
            return self._check(response)

    def _check(self, response):
        status = response.status_code
        body = json_or_none(response)
        if status == 401:
            raise AuthorizationRevoked(
                _lt("Moneybird no longer accepts the authorization"), status, body
            )
        if status == 403:
            raise AuthorizationRevoked(
                _lt("The Moneybird authorization lacks the rights needed (scopes)"),
                status,
                body,
            )
        if status == 404:
            raise NotFound(_lt("Moneybird does not know this object"), status, body)
        if status == 422:
            # Moneybird's own words, as it sent them
            answer = _error_text(body) or f"HTTP {status}"
            raise Unprocessable(
                _lt("Moneybird refused the data: %s", answer), status, body, answer
            )
        if status >= 400:
            raise ApiError(_lt("Moneybird answered HTTP %s", status), status, body)
        return response, body

    # -- resources --------------------------------------------------------
    def administrations(self):
        _response, body = self._request(
            "GET", f"{self.base_url}/api/v2/administrations.json"
        )
        return body or []

    def financial_accounts(self):
        _response, body = self._request("GET", self._url("financial_accounts"))
        return body or []

    def iter_open_invoices(self, period):
        """Open, late and reminded sales invoices of ``period`` (YYYYMMDD..YYYYMMDD).

        Moneybird's own default period is this year only, so it is always given.
        """
        url = self._url("sales_invoices")
        params = {
            "filter": f"state:{'|'.join(OPEN_STATES)},period:{period}",
            "per_page": PER_PAGE,
            "page": 1,
        }
        for _page in range(MAX_PAGES):
            response, body = self._request("GET", url, params=params)
            yield from body or []
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return
            url, params = next_url, None

    def find_invoice_by_number(self, invoice_number):
        quoted = urllib.parse.quote(invoice_number, safe="")
        try:
            _response, body = self._request(
                "GET", self._url(f"sales_invoices/find_by_invoice_id/{quoted}")
            )
        except NotFound:
            return None
        return body

    def register_payment(
        self,
        invoice_id,
        payment_date,
        price,
        transaction_identifier,
        financial_account_id,
        ledger_account_id=None,
    ):
        payment = {
            "payment_date": payment_date.isoformat(),
            "price": str(price),
            "transaction_identifier": transaction_identifier,
            "financial_account_id": financial_account_id,
        }
        if ledger_account_id:
            payment["ledger_account_id"] = ledger_account_id
        _response, body = self._request(
            "POST",
            self._url(f"sales_invoices/{invoice_id}/payments"),
            json={"payment": payment},
        )
        return body or {}


def _error_text(body):
    if not isinstance(body, dict):
        return ""
    error = body.get("error", body)
    if isinstance(error, dict):
        return "; ".join(
            f"{key} {', '.join(map(str, value)) if isinstance(value, list) else value}"
            for key, value in error.items()
        )
    return str(error)
