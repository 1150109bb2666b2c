"""Plain-Python protocol clients and matching rules (no ORM)."""

from .errors import (
    ApiError,
    AuthorizationRevoked,
    CcvAuthError,
    NotFound,
    RateLimitExhausted,
    TransportError,
    Unprocessable,
)
