"""The one seam for external HTTP I/O of this addon, with its timeout."""

import email.utils
import logging
import time

import requests

from .errors import TransportError

_logger = logging.getLogger(__name__)

# Seconds for every call to CCV or Moneybird (connect and each read).
TIMEOUT = 20
# Never wait longer than this for one Retry-After, whatever the server says.
MAX_RETRY_AFTER = 300.0


def send(session, method, url, **kwargs):
    """Perform one HTTP request; network failures become :class:`TransportError`.

    Headers (which hold the secrets) are never logged.
    """
    kwargs.setdefault("timeout", TIMEOUT)
    try:
        return session.request(method, url, **kwargs)
    except requests.Timeout as exc:
        _logger.warning("%s %s timed out", method, _strip_query(url))
        raise TransportError("timeout", params={"host": _host(url)}) from exc
    except requests.RequestException as exc:
        _logger.warning(
            "%s %s failed: %s", method, _strip_query(url), type(exc).__name__
        )
        raise TransportError("unreachable", params={"host": _host(url)}) from exc


def retry_after_seconds(response, default=1.0, now=None):
    """Seconds to wait per a Retry-After header (delta-seconds or HTTP date)."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            return default
        seconds = when - (now if now is not None else time.time())
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def json_or_none(response):
    try:
        return response.json()
    except ValueError:
        return None


def _strip_query(url):
    return url.split("?", 1)[0]


def _host(url):
    return url.split("/")[2] if "//" in url else url
