"""Deciding whether an incoming mail comes from the receiver's trusted sender."""

from dataclasses import dataclass, field

from .headers import sender_address

REASON_INACTIVE = "inactive"
REASON_UNTRUSTED = "untrusted"
REASON_NO_TLS = "no_tls"
REASON_DMARC = "dmarc"
REASON_DUPLICATE = "duplicate"
REASONS = [
    (REASON_UNTRUSTED, "Sender not trusted"),
    (REASON_NO_TLS, "Sent without TLS"),
    (REASON_DMARC, "DMARC failed"),
    (REASON_INACTIVE, "Receiver not active"),
    (REASON_DUPLICATE, "Already received"),
]

WHITELIST_TYPES = ("domain", "email", "verified_users")
_FAILING_SPF = {"fail", "softfail"}


def normalize_domain(domain):
    """Lower-case IDNA (punycode) form, so a Unicode look-alike never equals
    the ASCII domain it imitates."""
    domain = (domain or "").strip().lower().lstrip("@")
    if not domain:
        return ""
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


@dataclass
class Policy:
    """What the receiver trusts. ``verified_addresses`` are the addresses of
    the internal users who may work for the receiver's company."""

    active: bool
    whitelist_type: str
    whitelist_value: str = ""
    verified_addresses: frozenset = frozenset()
    tls_only: bool = False


@dataclass
class Decision:
    accepted: bool
    reason: str = ""
    sender: str = ""
    known_sender: bool = False
    tls: bool = False
    details: list = field(default_factory=list)


def whitelist_matches(policy, address):
    """A domain matches only itself (no sub-domains, no look-alikes), an
    address only itself, both case-insensitively."""
    if not address:
        return False
    local, _at, domain = address.rpartition("@")
    if policy.whitelist_type == "domain":
        wanted = normalize_domain(policy.whitelist_value)
        return bool(wanted) and normalize_domain(domain) == wanted
    if policy.whitelist_type == "email":
        wanted = sender_address(policy.whitelist_value or "")
        if not wanted:
            return False
        w_local, _w_at, w_domain = wanted.rpartition("@")
        return w_local == local and normalize_domain(w_domain) == normalize_domain(
            domain
        )
    if policy.whitelist_type == "verified_users":
        return address in {a.lower() for a in policy.verified_addresses}
    return False


def _domain_of(value):
    value = (value or "").rsplit("@", 1)[-1]
    return normalize_domain(value)


def dmarc_failed(auth_results, domain):
    """True when our server reported DMARC failing for ``domain``, or, without
    a DMARC verdict, SPF failing and no DKIM signature of that domain passing."""
    domain = normalize_domain(domain)
    dmarc = [
        r
        for r in auth_results
        if r.method == "dmarc"
        and _domain_of(r.props.get("header.from", domain)) == domain
    ]
    if any(r.result == "fail" for r in dmarc):
        return True
    if any(r.result == "pass" for r in dmarc):
        return False
    spf_failed = any(
        r.method == "spf"
        and r.result in _FAILING_SPF
        and _domain_of(r.props.get("smtp.mailfrom", domain)) == domain
        for r in auth_results
    )
    dkim_passed = any(
        r.method == "dkim"
        and r.result == "pass"
        and _domain_of(r.props.get("header.d") or r.props.get("header.i") or "")
        == domain
        for r in auth_results
    )
    return spf_failed and not dkim_passed


def decide(policy, from_header, tls, auth_results):
    """Decide on one mail. ``tls`` comes from :func:`received_over_tls`,
    ``auth_results`` from :func:`parse_authentication_results`."""
    address = sender_address(from_header)
    known = whitelist_matches(policy, address)
    decision = Decision(
        accepted=False, sender=address or "", known_sender=known, tls=tls
    )
    if not policy.active:
        decision.reason = REASON_INACTIVE
    elif not known:
        decision.reason = REASON_UNTRUSTED
    elif policy.tls_only and not tls:
        decision.reason = REASON_NO_TLS
    elif dmarc_failed(auth_results, address.rpartition("@")[2]):
        # Not only for domain whitelists: a forged From that copies the one
        # trusted address, or a colleague's, is the easiest forgery of all.
        decision.reason = REASON_DMARC
    else:
        decision.accepted = True
    return decision
