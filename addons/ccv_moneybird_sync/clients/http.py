"""The one seam for external HTTP I/O of this addon, with its timeout."""

import email.utils
import logging
import time

import requests

from .errors import TransportError, _lt

_logger = logging.getLogger(__name__)

# Seconds for every call to CCV or Moneybird (connect and each read).
TIMEOUT = 20
# A request, a cron or a webhook waits at most this long in place; a longer wait
# ends the run and the cron is triggered again when the server allows it.
MAX_INLINE_WAIT = 1.0
# Header values above this are epoch seconds (2001-09-09), below it delays.
EPOCH_THRESHOLD = 1_000_000_000


def send(session, method, url, **kwargs):
    """Perform one HTTP request; network failures become :class:`TransportError`.

    Headers (which hold the secrets) are never logged.
    """
    kwargs.setdefault("timeout", TIMEOUT)
    try:
        return session.request(method, url, **kwargs)
    except requests.Timeout as exc:
        _logger.warning("%s %s timed out", method, _strip_query(url))
        raise TransportError(
            _lt("No answer from %(host)s within the time limit", host=_host(url))
        ) from exc
    except requests.RequestException as exc:
        _logger.warning(
            "%s %s failed: %s", method, _strip_query(url), type(exc).__name__
        )
        raise TransportError(_lt("Could not reach %(host)s", host=_host(url))) from exc


def retry_after_seconds(response, default=1.0, now=None):
    """Seconds to wait after a 429, from ``Retry-After`` or ``RateLimit-Reset``.

    Both come in three forms: delta-seconds (RFC 9110), an HTTP date, or, as
    Moneybird sends them, an absolute epoch second. A number larger than
    :data:`EPOCH_THRESHOLD` is a moment, not a delay.
    """
    now = time.time() if now is None else now
    for header in ("Retry-After", "RateLimit-Reset"):
        value = (response.headers.get(header) or "").strip()
        if not value:
            continue
        try:
            number = float(value)
            moment = number > EPOCH_THRESHOLD
        except ValueError:
            try:
                number = email.utils.parsedate_to_datetime(value).timestamp()
            except (TypeError, ValueError):
                continue
            moment = True
        return max(number - now if moment else number, 0.0)
    return default


def json_or_none(response):
    try:
        return response.json()
    except ValueError:
        return None


def _strip_query(url):
    return url.split("?", 1)[0]


def _host(url):
    return url.split("/")[2] if "//" in url else url
