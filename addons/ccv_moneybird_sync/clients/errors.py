"""Exceptions of the CCV and Moneybird clients.

Each carries what a bookkeeper needs to understand the problem; none carries a secret.
``message`` is the sentence, written once with ``_lt``: ``str()`` gives it in English
(server log), Odoo shows it in the user's language with ``env._(exc.message)``.
``answer`` is the remote's own text, kept as received.
"""

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)


def english(message):
    """A message of the clients (``_lt`` or plain text) in English, for the log."""
    translate = getattr(message, "_translate", None)
    return translate("en_US") if translate else str(message)


class ApiError(Exception):
    """A remote API answered with an error we cannot recover from by retrying now."""

    transient = False

    def __init__(self, message, status=None, body=None, answer=""):
        self.message = message
        super().__init__(english(message))
        self.status = status
        self.body = body
        self.answer = answer


class DataError(ValueError):
    """Input the clients cannot use (a CCV transaction, a missing setting)."""

    def __init__(self, message):
        self.message = message
        super().__init__(english(message))


class TransportError(ApiError):
    """No answer at all: timeout, refused connection, DNS failure."""

    transient = True


class RateLimitExhausted(ApiError):
    """We must wait longer than a run may wait (``retry_after`` seconds)."""

    transient = True

    def __init__(self, message, status=429, body=None, retry_after=None):
        super().__init__(message, status, body)
        self.retry_after = retry_after


class NotFound(ApiError):
    """404: the object does not exist (any more)."""


class Unprocessable(ApiError):
    """422: Moneybird refused the data (validation error)."""


class AuthorizationRevoked(ApiError):
    """Moneybird refuses our tokens and a refresh did not help."""


class CcvAuthError(ApiError):
    """CCV refuses the API key (401)."""
