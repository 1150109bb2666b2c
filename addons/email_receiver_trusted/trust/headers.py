"""Reading the headers our own mail server adds: Received (TLS) and
Authentication-Results (RFC 8601). Works on plain ``(name, value)`` pairs in
the order they appear in the message (top first)."""

import re
from dataclasses import dataclass, field
from email.utils import getaddresses

# Postfix writes "with ESMTPS" / "with ESMTPSA" and "(using TLSv1.3 with cipher
# ...)"; Exim writes "with esmtps"; RFC 3848 protocol names end in S / SA when
# the session was encrypted.
_TLS_WITH = re.compile(
    r"\bwith\s+(?:UTF8)?(?:ESMTPS|ESMTPSA|LMTPS|LMTPSA)\b", re.IGNORECASE
)
_TLS_USING = re.compile(r"\busing\s+TLS", re.IGNORECASE)
_COMMENT = re.compile(r"\([^()]*\)")
_WS = re.compile(r"\s+")


def _unfold(value):
    return _WS.sub(" ", str(value or "")).strip()


def received_over_tls(headers):
    """True when the topmost Received header (the one our server added last)
    says the SMTP session was encrypted.

    :param headers: list of ``(name, value)`` in message order
    """
    for name, value in headers:
        if name.lower() == "received":
            text = _unfold(value)
            return bool(_TLS_WITH.search(text) or _TLS_USING.search(text))
    return False


@dataclass
class AuthResult:
    """One ``method=result`` entry of an Authentication-Results header."""

    authserv_id: str
    method: str
    result: str
    props: dict = field(default_factory=dict)


def _strip_comments(text):
    previous = None
    while previous != text:
        previous, text = text, _COMMENT.sub(" ", text)
    return text


def _parse_one(value):
    text = _strip_comments(_unfold(value))
    parts = [part.strip() for part in text.split(";")]
    if not parts or not parts[0]:
        return []
    authserv_id = parts[0].split()[0].lower()
    results = []
    for part in parts[1:]:
        tokens = part.split()
        if not tokens or "=" not in tokens[0]:
            continue  # "none" or garbage
        method, _eq, result = tokens[0].partition("=")
        props = {}
        for token in tokens[1:]:
            key, eq, prop_value = token.partition("=")
            if eq and "." in key:
                props[key.lower()] = prop_value.strip('"').lower()
        results.append(
            AuthResult(
                authserv_id=authserv_id,
                method=method.split("/")[0].lower(),
                result=result.lower(),
                props=props,
            )
        )
    return results


def parse_authentication_results(headers, authserv_ids=None):
    """Results of the Authentication-Results headers written by our own server.

    With ``authserv_ids`` only headers carrying one of those ids count (RFC 8601
    section 5: a server must ignore results of others). Without it only the
    headers above the second Received header count, i.e. those added during
    the last hop into our server; anything the sender wrote lower is ignored.
    """
    wanted = {i.lower() for i in authserv_ids or ()}
    results = []
    received_seen = 0
    for name, value in headers:
        lname = name.lower()
        if lname == "received":
            received_seen += 1
            continue
        if lname != "authentication-results":
            continue
        parsed = _parse_one(value)
        if wanted:
            results.extend(r for r in parsed if r.authserv_id in wanted)
        elif received_seen < 2:
            results.extend(parsed)
    return results


def sender_address(from_header):
    """The one address of a From header, lower-cased, or None when the header
    holds no address, several addresses, or something that is not an address."""
    addresses = [addr for _name, addr in getaddresses([_unfold(from_header)]) if addr]
    if len(addresses) != 1:
        return None
    address = addresses[0].strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or "@" in local or " " in address:
        return None
    return address
