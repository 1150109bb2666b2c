"""Exceptions of the CCV and Moneybird clients.

Each carries what a bookkeeper needs to understand the problem; none carries a secret.
"""


class ApiError(Exception):
    """A remote API answered with an error we cannot recover from by retrying now."""

    transient = False

    def __init__(self, message, status=None, body=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body


class TransportError(ApiError):
    """No answer at all: timeout, refused connection, DNS failure."""

    transient = True


class RateLimitExhausted(ApiError):
    """The server kept answering 429 after every retry."""

    transient = True


class NotFound(ApiError):
    """404: the object does not exist (any more)."""


class Unprocessable(ApiError):
    """422: Moneybird refused the data (validation error)."""


class AuthorizationRevoked(ApiError):
    """Moneybird refuses our tokens and a refresh did not help."""


class CcvAuthError(ApiError):
    """CCV refuses the API key (401)."""
