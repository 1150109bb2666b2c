"""Read MT940 files as Dutch banks send them.

The mt-940 library parses clean SWIFT text well (balances, the ``:61:`` line with
its dates, signs and references). Real files are not clean: ING wraps ``:28C:``
and ``:61:`` over lines and puts ``0000 01INGBNL2AXXX`` headers and ``-XXX``
trailers around the message, SWIFT FIN ``{1:}{2:}{4:`` blocks wrap it, Rabobank
starts with ``:940:``, a statement-level ``:86:/SUM/`` follows the closing
balance, and ``:86:`` is cut at 65 characters in the middle of a word. The
parser cleans each statement into text mt-940 reads, then reads the ``:86:``
remittance information itself (``/EREF/``, ``/REMI/``, ``/CNTP/``, Rabobank's
``/ORDP/`` and the counterparty account on the line after ``:61:``).

This module holds the entry point, :func:`parse`, which turns each statement's
fields into a :class:`Statement`. Beside it: ``mt940_text`` (bytes to the
fields of each statement), ``mt940_amounts`` (amounts and account numbers),
``mt940_details`` (the remittance information), ``mt940_statement`` (what
``parse`` returns) and ``mt940_errors`` (:class:`Mt940Error`, which carries a
code and parameters so the caller can show a translated sentence).
"""

import hashlib
import re
from datetime import date
from decimal import Decimal

import mt940

from .mt940_amounts import (
    DOT_AMOUNT_61_RE,
    DOT_AMOUNT_BALANCE_RE,
    dot_to_comma,
    split_account,
    statement_account,
)
from .mt940_details import SWIFT_LINE_LENGTH, join_61, join_86, read_details
from .mt940_errors import Mt940Error
from .mt940_statement import Statement, Transaction
from .mt940_text import (
    MAX_FILE_SIZE,
    decode,
    detect_encoding,
    looks_like_mt940,
    split_statements,
)

# The names other code imports from here.
__all__ = [
    "MAX_FILE_SIZE",
    "SWIFT_LINE_LENGTH",
    "Mt940Error",
    "Statement",
    "Transaction",
    "decode",
    "detect_encoding",
    "looks_like_mt940",
    "parse",
    "statement_account",
]

_REFERENCE_61_RE = re.compile(
    r"^\d{6}(?:\d{4}|\s{4})?R?[DC][A-Z]?[\d,]+[A-Z][A-Z0-9 ]{3}(.*?)(?://|$)"
)
_BALANCE_TAGS = ("60F", "60M", "62F", "62M")

OPTIONS = mt940.Options(
    reversal_sign=True,
    case_insensitive_marks=True,
    unbounded_details=True,
    strip_bom=True,
    merge_keeps_values=True,
)


def _clean_statement(fields):
    """Normalized SWIFT text for mt-940, and the :86: texts we read ourselves."""
    out = []
    details = []
    info = []
    seen_closing = False
    for line_no, tag, parts in fields:
        if tag == "28C":
            out.append(":28C:" + "".join(p.strip() for p in parts))
        elif tag == "61":
            first, supplementary = join_61(parts)
            first = dot_to_comma(DOT_AMOUNT_61_RE, first, line_no)
            # The supplementary line is ours to read: mt-940 refuses some
            # (ASN puts a name there after an 18-character reference).
            out.append(":61:" + first)
            reference = _REFERENCE_61_RE.match(first)
            details.append(["", supplementary, [], reference and reference.group(1)])
        elif tag == "86":
            text = join_86(parts)
            if seen_closing or not details:
                info.append(text)
            elif not details[-1][0]:
                details[-1][0] = text
                details[-1][2] = [p.strip() for p in parts if p.strip()]
        else:
            if tag in _BALANCE_TAGS:
                parts = [
                    dot_to_comma(DOT_AMOUNT_BALANCE_RE, parts[0], line_no),
                    *parts[1:],
                ]
            if tag.startswith("62"):
                seen_closing = True
            out.append(":{}:{}".format(tag, " ".join(p.strip() for p in parts)))
    return "\n".join(out) + "\n", details, "\n".join(info)


def _import_ids(statement):
    """Stable ids: the same payment in a day file and a month file gets the same id."""
    seen = {}
    for transaction in statement.transactions:
        digest = hashlib.sha1(
            "|".join(
                (
                    transaction.bank_reference,
                    transaction.customer_reference,
                    transaction.counterparty_account,
                    " ".join(transaction.details.split()),
                )
            ).encode()
        ).hexdigest()[:16]
        key = "{}-{}-{}-{}".format(
            statement.account,
            transaction.date.strftime("%Y%m%d"),
            transaction.amount,
            digest,
        )
        seen[key] = seen.get(key, 0) + 1
        transaction.import_id = f"{key}-{seen[key]}"


def _parse_statement(fields, closing_optional=False):
    reference = "".join(fields[0][2]).strip()
    text, details, info = _clean_statement(fields)
    tags = {tag for _line, tag, _parts in fields}
    if "25" not in tags:
        raise Mt940Error("no_account", statement=reference)
    if not tags & {"60F", "60M"}:
        raise Mt940Error("no_opening", statement=reference)
    if not tags & {"62F", "62M"} and not closing_optional:
        raise Mt940Error("no_closing", statement=reference)
    parsed = mt940.models.Transactions(
        processors={"post_transaction_details": []}, options=OPTIONS
    )
    try:
        parsed.parse(text)
    except (
        RuntimeError,
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        IndexError,
        ArithmeticError,
    ) as exc:
        bad = exc.args[2] if len(exc.args) > 2 else str(exc)
        raise Mt940Error("bad_line", statement=reference, text=str(bad)[:80]) from exc
    data = parsed.data
    opening = data.get("final_opening_balance") or data.get(
        "intermediate_opening_balance"
    )
    closing = data.get("final_closing_balance") or data.get(
        "intermediate_closing_balance"
    )
    if opening is None:
        raise Mt940Error("no_opening", statement=reference)
    if closing is None and not closing_optional:
        raise Mt940Error("no_closing", statement=reference)
    account, account_currency = split_account(data.get("account_identification") or "")
    currency = opening.amount.currency or account_currency
    statement = Statement(
        reference=reference,
        account=account,
        currency=currency,
        number="/".join(
            x for x in (data.get("statement_number"), data.get("sequence_number")) if x
        ),
        opening_balance=opening.amount.amount,
        opening_date=date(opening.date.year, opening.date.month, opening.date.day),
        info=info,
    )
    if closing is not None:
        statement.closing_balance = closing.amount.amount
        statement.closing_date = date(
            closing.date.year, closing.date.month, closing.date.day
        )
    currencies = {currency, closing and closing.amount.currency}
    if len(parsed) != len(details):
        raise Mt940Error("bad_line", statement=reference, text=":61:")
    for item, (text86, supplementary, lines, reference_61) in zip(
        parsed, details, strict=True
    ):
        values = item.data
        amount = values["amount"]
        currencies.add(amount.currency)
        transaction = Transaction(
            date=date(values["date"].year, values["date"].month, values["date"].day),
            amount=amount.amount,
            currency=amount.currency or currency,
            type_code=(values.get("id") or "").strip(),
            customer_reference=(
                reference_61 or values.get("customer_reference") or ""
            ).strip(),
            bank_reference=(values.get("bank_reference") or "").strip(),
        )
        read_details(transaction, text86, supplementary, lines)
        statement.transactions.append(transaction)
    currencies.discard(None)
    if len(currencies) > 1:
        raise Mt940Error(
            "currency_mix",
            statement=reference,
            currencies=", ".join(sorted(currencies)),
        )
    if closing is None:
        # Only when asked (import anyway): the balance the transactions give.
        statement.closing_missing = True
        statement.closing_balance = statement.opening_balance + sum(
            (t.amount for t in statement.transactions), Decimal(0)
        )
        statement.closing_date = max(
            (t.date for t in statement.transactions), default=statement.opening_date
        )
    _import_ids(statement)
    return statement


def parse(data, complete=True):
    """Parse MT940 bytes (or text) into a list of :class:`Statement`.

    Raises :class:`Mt940Error` with a readable message for anything that is not
    a complete MT940 file; never returns half a file. ``complete=False`` reads a
    file whose statements lack their closing balance (``:62F:``: the last one
    cut off, or one cut where two files were joined, as in Knab's samples), as
    an accounting manager may import it anyway.
    """
    text = decode(data) if isinstance(data, bytes) else data
    if not text.strip():
        raise Mt940Error("empty")
    blocks = split_statements(text)
    if not blocks:
        raise Mt940Error("not_mt940")
    return [_parse_statement(block, closing_optional=not complete) for block in blocks]
