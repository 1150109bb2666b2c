"""Plain-Python sender-trust rules for incoming invoice mail (no ORM)."""

from .headers import (
    AuthResult,
    parse_authentication_results,
    received_over_tls,
    sender_address,
)
from .policy import (
    REASON_DMARC,
    REASON_DUPLICATE,
    REASON_INACTIVE,
    REASON_NO_TLS,
    REASON_UNTRUSTED,
    REASONS,
    Decision,
    Policy,
    decide,
    dmarc_failed,
    normalize_domain,
    whitelist_matches,
)

__all__ = [
    "REASONS",
    "REASON_DMARC",
    "REASON_DUPLICATE",
    "REASON_INACTIVE",
    "REASON_NO_TLS",
    "REASON_UNTRUSTED",
    "AuthResult",
    "Decision",
    "Policy",
    "decide",
    "dmarc_failed",
    "normalize_domain",
    "parse_authentication_results",
    "received_over_tls",
    "sender_address",
    "whitelist_matches",
]
