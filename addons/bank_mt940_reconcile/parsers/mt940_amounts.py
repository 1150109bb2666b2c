"""Amounts and account numbers as Dutch banks have written them over the years.

MT940 amounts use a decimal comma; old Rabobank files wrote a dot. Account
numbers come with a currency suffix or a bank code before a slash
(``NL34RABO0142623393 EUR``, ``NL77INGB0574908765EUR``, ``ABNANL2A/0417164300``).
"""

import re

from .mt940_errors import Mt940Error

# Two decimals, or none (a currency without cents: old Rabobank JPY lines).
_UNAMBIGUOUS_DOT_RE = re.compile(r"^\d+\.(?:\d\d)?$")
DOT_AMOUNT_61_RE = re.compile(r"^\d{6}(?:\d{4})?R?[DC][A-Z]?(\d+\.\d*)")
DOT_AMOUNT_BALANCE_RE = re.compile(r"^[DC]\d{6}[A-Z]{3}(\d+\.\d*)")


def dot_to_comma(pattern, text, line_no):
    """Old Rabobank files write ``000000001000.12`` (``00000000115351.`` in
    JPY): a dot with two decimals or none and no other separator is read as
    the decimal comma; anything else with a dot
    (``1.000,12``, ``1000.1``) is ambiguous and refused."""
    match = pattern.match(text)
    if not match:
        return text
    amount = match.group(1)
    following = text[match.end(1) : match.end(1) + 1]
    if not _UNAMBIGUOUS_DOT_RE.match(amount) or (following and following in ",."):
        raise Mt940Error("dot_amount", line=line_no, amount=amount)
    return text[: match.start(1)] + amount.replace(".", ",") + text[match.end(1) :]


def split_account(raw):
    """``NL34RABO0142623393 EUR`` / ``NL77INGB0574908765EUR`` -> account, currency."""
    value = raw.strip().replace(" ", "").upper().split("/")[-1]
    match = re.match(r"^(.*?\d)([A-Z]{3})$", value)
    if match:
        return match.groups()
    return value, ""


def statement_account(raw):
    """The account number of a ``:25:`` value, without currency or BIC."""
    return split_account(raw)[0]
