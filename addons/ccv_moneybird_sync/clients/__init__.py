"""Plain-Python protocol clients and matching rules (no ORM)."""

from .errors import (
    ApiError,
    AuthorizationRevoked,
    CcvAuthError,
    DataError,
    NotFound,
    RateLimitExhausted,
    TransportError,
    Unprocessable,
    english,
)
