"""Odoo's external JSON-2 API as a transport: one call, its errors in our words.

Every call is ``POST <url>/json/2/<model>/<method>`` with an API key as bearer
token and the target database in ``X-Odoo-Database`` (see Odoo's "External JSON-2
API" documentation). What the package answers with an HTTP error becomes a
:class:`~.base.BackendError` of the kind the queue acts upon.
"""

import requests

from .base import (
    REQUEST_TIMEOUT,
    OfficeError,
    SupportError,
    TransientError,
    _lt,
    summarize,
)

# Words of Odoo's lock-date errors, in the languages of our offices
PERIOD_WORDS = ("lock date", "locked", "vergrendel", "afsluitdatum", "periode")
# requests' errors for a URL that cannot be a web address at all
WRONG_URL_ERRORS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)
# how the resolver says that a host name does not exist
UNKNOWN_HOST_WORDS = ("failed to resolve", "name or service not known", "nodename")


class Json2Client:
    """The single seam to an Odoo package: ``_call`` and its error mapping."""

    def __init__(self, url, database, api_key, session=None, timeout=REQUEST_TIMEOUT):
        if not url or not database or not api_key:
            raise OfficeError(
                "incomplete_configuration",
                _lt("The connector needs a URL, a database and an API key."),
            )
        self.url = url.rstrip("/")
        self.database = database
        self._api_key = api_key
        self.timeout = timeout
        self.session = session or requests.Session()

    def __repr__(self):
        # never show the API key, not even in a traceback
        return f"<{type(self).__name__} {self.url} db={self.database}>"

    # ------------------------------------------------------------------ seam
    def _call(self, model, method, ids=None, context=None, **kwargs):
        """The single place that talks to the package: one JSON-2 call."""
        body = dict(kwargs)
        if ids:
            body["ids"] = list(ids)
        if context:
            body["context"] = context
        endpoint = f"{self.url}/json/2/{model}/{method}"
        headers = {
            "Authorization": f"bearer {self._api_key}",
            "X-Odoo-Database": self.database,
            "Content-Type": "application/json; charset=utf-8",
        }
        try:
            response = self.session.post(
                endpoint, json=body, headers=headers, timeout=self.timeout
            )
        except requests.Timeout as exc:
            raise TransientError(
                "timeout",
                _lt(
                    "The accounting package did not answer within %(seconds)s seconds.",
                    seconds=self.timeout,
                ),
            ) from exc
        except WRONG_URL_ERRORS as exc:
            raise OfficeError(
                "wrong_url",
                _lt("The connector's URL %(url)s is not a web address.", url=self.url),
            ) from exc
        except requests.ConnectionError as exc:
            if any(word in str(exc).lower() for word in UNKNOWN_HOST_WORDS):
                # nobody answers for this name: a typing error in the URL
                raise OfficeError(
                    "wrong_url",
                    _lt(
                        "The server of the connector's URL %(url)s does not exist.",
                        url=self.url,
                    ),
                ) from exc
            raise TransientError(
                "connection",
                _lt(
                    "The accounting package cannot be reached at %(url)s.",
                    url=self.url,
                ),
            ) from exc
        if response.status_code >= 400:
            raise self._error_from_response(response, self.url)
        try:
            return response.json()
        except ValueError as exc:
            raise SupportError(
                "bad_answer",
                _lt(
                    "The accounting package sent no JSON: %(answer)s",
                    answer=summarize(response.text) or response.status_code,
                ),
            ) from exc

    @staticmethod
    def _error_from_response(response, url=""):
        status = response.status_code
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        name = payload.get("name") or ""
        answer = summarize(payload.get("message") or response.text) or str(status)
        retry_after = response.headers.get("Retry-After")
        retry_after = int(retry_after) if (retry_after or "").isdigit() else None
        if status == 429 or status >= 500:
            return TransientError(
                "unavailable",
                _lt(
                    "The accounting package is unavailable (HTTP %(status)s): "
                    "%(answer)s",
                    status=status,
                    answer=answer,
                ),
                retry_after=retry_after,
            )
        if status in (401, 403) and "AccessError" not in name:
            return OfficeError(
                "authentication",
                _lt(
                    "The accounting package refused our API key (HTTP %(status)s).",
                    status=status,
                ),
            )
        if status in (404, 405) and not name:
            # a web page, not Odoo's JSON-2 API: the URL is wrong
            return OfficeError(
                "wrong_url",
                _lt(
                    "There is no Odoo JSON-2 API at %(url)s (HTTP %(status)s: "
                    "%(answer)s).",
                    url=url,
                    status=status,
                    answer=answer,
                ),
            )
        if status == 422:
            code = "refused"
            if any(word in answer.lower() for word in PERIOD_WORDS):
                code = "wrong_period"
            return OfficeError(
                code,
                _lt(
                    "The accounting package refused the booking: %(answer)s",
                    answer=answer,
                ),
            )
        return SupportError(
            "unexpected",
            _lt(
                "The accounting package answered HTTP %(status)s %(name)s: %(answer)s",
                status=status,
                name=name,
                answer=answer,
            ),
        )
