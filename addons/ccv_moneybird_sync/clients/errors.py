"""Exceptions of the CCV and Moneybird clients.

Each carries what a bookkeeper needs to understand the problem; none carries a secret.
``kind`` names the sentence in :data:`MESSAGES` and ``params`` fill it in: ``str()``
and ``message`` are the English text (server log), the Odoo side shows the same
sentence in the user's language (models/ccv_moneybird_connection.py
``_error_templates``). ``%(answer)s`` is the remote's own text, kept as received.
"""

MESSAGES = {
    "timeout": "No answer from %(host)s within the time limit",
    "unreachable": "Could not reach %(host)s",
    "ccv_no_key": "No CCV API key",
    "ccv_rate_limited": "CCV kept answering 'too many requests'",
    "ccv_key_refused": "CCV does not accept the API key",
    "ccv_not_found": "CCV does not know this transaction",
    "ccv_http": "CCV answered HTTP %(status)s",
    "ccv_not_json": "CCV sent an answer that is not JSON",
    "ccv_no_reference": "CCV sent a transaction without a reference",
    "ccv_unknown_status": "CCV transaction %(reference)s: unknown status %(status)s",
    "ccv_bad_amount": "CCV transaction %(reference)s: no valid amount",
    "ccv_bad_timestamp": "CCV transaction %(reference)s: no valid timestamp",
    "mb_no_token": "Moneybird sent no access token",
    "mb_authorization_refused": "Moneybird refused the authorization (%(answer)s)",
    "mb_token_http": "Moneybird's token endpoint answered HTTP %(status)s",
    "mb_no_refresh_token": "There is no refresh token; connect Moneybird again",
    "mb_token_expired": "The Moneybird access token expired",
    "mb_no_administration": "No Moneybird administration chosen",
    "mb_rate_limited": "Moneybird kept answering 'too many requests'",
    "mb_revoked": "Moneybird no longer accepts the authorization",
    "mb_scopes": "The Moneybird authorization lacks the rights needed (scopes)",
    "mb_not_found": "Moneybird does not know this object",
    "mb_refused": "Moneybird refused the data: %(answer)s",
    "mb_http": "Moneybird answered HTTP %(status)s",
}


def _english(kind, params):
    return MESSAGES[kind] % {key: str(value) for key, value in params.items()}


class ApiError(Exception):
    """A remote API answered with an error we cannot recover from by retrying now."""

    transient = False

    def __init__(self, kind, status=None, body=None, params=None):
        self.kind = kind
        self.params = params or {}
        self.message = _english(kind, self.params)
        super().__init__(self.message)
        self.status = status
        self.body = body


class DataError(ValueError):
    """Input the clients cannot use (a CCV transaction, a missing setting)."""

    def __init__(self, kind, params=None):
        self.kind = kind
        self.params = params or {}
        self.message = _english(kind, self.params)
        super().__init__(self.message)


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
