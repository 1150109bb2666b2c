"""Find invoice numbers in the remittance text of a bank transaction.

Odoo numbers invoices as a sequence prefix plus a number (``INV/2026/00012``:
prefix ``INV/2026/``, number 12). Customers type them in every way: ``inv
2026-12``, ``INV2026/0012``, ``Inv. 2026 00012``. The finder builds one pattern
from the prefixes in use, tolerant of case, spaces, dashes, dots, slashes and
dropped leading zeros, and returns ``(prefix, number)`` keys in the order the
text names them, which is also how Odoo stores them (``sequence_prefix``,
``sequence_number``).
"""

import re

_SEPARATORS = r"[\s/\-_.:#]*"
_TOKEN_RE = re.compile(r"[A-Za-z]+|\d+")


def normalize_prefix(prefix):
    """``INV/2026/`` and ``inv-2026`` both give ``INV2026``."""
    return "".join(_TOKEN_RE.findall(prefix or "")).upper()


class InvoiceNumberFinder:
    def __init__(self, prefixes):
        self.prefixes = {}
        for prefix in prefixes:
            key = normalize_prefix(prefix)
            if key:
                self.prefixes.setdefault(key, []).append(prefix)
        # Longest first, so INV2026 is not read as INV followed by 2026...
        keys = sorted(self.prefixes, key=len, reverse=True)
        self._keys = keys
        if keys:
            alternatives = "|".join(
                f"(?P<p{i}>{_SEPARATORS.join(_TOKEN_RE.findall(key))})"
                for i, key in enumerate(keys)
            )
            self._pattern = re.compile(
                rf"(?<![A-Za-z0-9])(?:{alternatives}){_SEPARATORS}0*(?P<number>\d{{1,12}})(?!\d)",
                re.IGNORECASE,
            )
        else:
            self._pattern = None

    def find(self, *texts):
        """``(normalized prefix, number)`` keys in the order named, each once."""
        found = []
        if not self._pattern:
            return found
        for text in texts:
            for match in self._pattern.finditer(text or ""):
                index = next(
                    int(name[1:])
                    for name, value in match.groupdict().items()
                    if value is not None and name != "number"
                )
                key = (self._keys[index], int(match.group("number")))
                if key not in found:
                    found.append(key)
        return found


def same_account(iban, account):
    """Whether an IBAN (``res.partner.bank``'s sanitized number) is the account
    of a ``:25:`` field, as Dutch banks have written it over the years: the
    IBAN, the BBAN (``ABNA0417164300``), or the old account number, dotted
    (``1291.99.348``) or zero-padded (``0417164300``, ``000417164300``)."""
    iban = re.sub(r"[\s.]", "", iban or "").upper()
    account = re.sub(r"[\s.\-]", "", account or "").upper()
    if not iban or not account:
        return False
    if iban == account or (iban.startswith("NL") and iban[4:] == account):
        return True
    return (
        account.isdigit()
        and iban.startswith("NL")
        and int(account or 0) > 0
        and iban[8:].lstrip("0") == account.lstrip("0")
    )
