"""Read MT940 files as Dutch banks send them.

The mt-940 library parses clean SWIFT text well (balances, the ``:61:`` line with
its dates, signs and references). Real files are not clean: ING wraps ``:28C:``
and ``:61:`` over lines and puts ``0000 01INGBNL2AXXX`` headers and ``-XXX``
trailers around the message, SWIFT FIN ``{1:}{2:}{4:`` blocks wrap it, Rabobank
starts with ``:940:``, a statement-level ``:86:/SUM/`` follows the closing
balance, and ``:86:`` is cut at 65 characters in the middle of a word. This
module cleans each statement into text mt-940 reads, then reads the ``:86:``
remittance information itself (``/EREF/``, ``/REMI/``, ``/CNTP/``, Rabobank's
``/ORDP/`` and the counterparty account on the line after ``:61:``).

Errors are raised as :class:`Mt940Error`, which carries a code and parameters so
the caller can show a translated sentence.
"""

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import ClassVar

import mt940

from odoo.tools.translate import LazyTranslate

# SWIFT MT940 lines are at most 65 characters, tag included: a full line that
# continues on the next one was cut, possibly in the middle of a word.
SWIFT_LINE_LENGTH = 65
MAX_FILE_SIZE = 50 * 1024 * 1024

_TAG_RE = re.compile(r"^:(\d\d[A-Z]?|NS):")
# Lines around or between messages that carry no statement data.
_HEADER_RE = re.compile(
    r"^(\{[1-5]:.*|-?\}(\{5:.*)?|-XXX\}?|-|:940:|:9401:|0000\s+\d+\w*)$"
)
# Header lines that are also plausible :86: text: only headers outside a transaction.
_WEAK_HEADER_RE = re.compile(r"^(940(\s+\d+)?|[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?)$")
_IBAN_RE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
_ACCOUNT_LINE_RE = re.compile(r"^(?:[A-Z]{2}\d{2}[A-Z0-9]{10,30}|P?\d{7,10})$")
_LEADING_ACCOUNT_RE = re.compile(
    r"^\s*(?P<account>[A-Z]{2}\d{2}[A-Z]{4}\d{7,20}|\d{9,10})\b\s*(?P<name>.*)$"
)
_DOT_AMOUNT_61_RE = re.compile(r"^\d{6}(?:\d{4})?R?[DC][A-Z]?(\d+\.\d*)")
_REFERENCE_61_RE = re.compile(
    r"^\d{6}(?:\d{4}|\s{4})?R?[DC][A-Z]?[\d,]+[A-Z][A-Z0-9 ]{3}(.*?)(?://|$)"
)
_KEYWORD_RE = re.compile(
    r"\b(IBAN|BIC|NAAM|OMSCHRIJVING|KENMERK|REK|BETALINGSKENM\.|MACHTIGING|"
    r"INCASSANT ID|ID INCASSANT):\s*"
)
_BIC_RE = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
# Two decimals, or none (a currency without cents: old Rabobank JPY lines).
_UNAMBIGUOUS_DOT_RE = re.compile(r"^\d+\.(?:\d\d)?$")
_DOT_AMOUNT_BALANCE_RE = re.compile(r"^[DC]\d{6}[A-Z]{3}(\d+\.\d*)")
_BALANCE_TAGS = ("60F", "60M", "62F", "62M")
# Sub-fields of a structured :86: (ING, Rabobank, ABN AMRO, SNS/ASN, Knab, bunq).
_CODES = (
    "EREF|KREF|MARF|CSID|CNTP|REMI|PURP|ULTC|ULTD|ULTB|BENM|ORDP|NAME|ADDR|ISDT|"
    "IBAN|BIC|TRCD|PREF|RTRN|SUM|BUSP|TRTP|CDTRREFTP|CDTRREF|CD|FEES|ACCW|ORIG"
)
_CODE_RE = re.compile(r"/(%s)/" % _CODES)  # noqa: UP031 (a regex, not a message)

OPTIONS = mt940.Options(
    reversal_sign=True,
    case_insensitive_marks=True,
    unbounded_details=True,
    strip_bom=True,
    merge_keeps_values=True,
)

_lt = LazyTranslate(__name__, default_lang="en_US")


class Mt940Error(ValueError):
    """A file that cannot be read as MT940, with a code and a translatable message.

    ``error.translated(env)`` gives the message in the language of ``env``;
    ``str(error)`` the English one (logs, tests of the parser alone).
    """

    MESSAGES: ClassVar[dict] = {
        "empty": _lt("The file is empty. Download the file again from your bank."),
        "binary": _lt(
            "The file is not an MT940 bank statement (it is not text). Download "
            "the MT940 format from your bank."
        ),
        "too_large": _lt(
            "The file is larger than %(limit)s MB. Download a shorter period "
            "from your bank."
        ),
        "not_mt940": _lt(
            "The file is not an MT940 bank statement: no :20:, :25: and :60F: "
            "statement fields were found. Download the MT940 format from your bank."
        ),
        "no_account": _lt(
            "Statement %(statement)s has no account number (:25:): the file is "
            "incomplete. Download the file again from your bank."
        ),
        "no_opening": _lt(
            "Statement %(statement)s has no opening balance (:60F:): the file is "
            "incomplete. Download the file again from your bank."
        ),
        "no_closing": _lt(
            "Statement %(statement)s has no closing balance (:62F:): the file is "
            "incomplete. Download the file again from your bank; an accounting "
            "manager can also import it as it is (Import anyway)."
        ),
        "dot_amount": _lt(
            "Line %(line)s: the amount %(amount)s uses a dot; MT940 amounts use a "
            "comma as decimal separator. Download the file again from your bank "
            "without editing it."
        ),
        "bad_line": _lt(
            "Statement %(statement)s: this line cannot be read: %(text)s. Download "
            "the file again from your bank without editing it."
        ),
        "currency_mix": _lt(
            "Statement %(statement)s mixes the currencies %(currencies)s. Download "
            "the file again from your bank without editing it."
        ),
    }

    def __init__(self, code, **params):
        self.code = code
        self.params = params
        super().__init__(self.translated(None))

    def translated(self, env):
        """The message in the language of env (English without one)."""
        template = self.MESSAGES[self.code]
        text = env._(template) if env is not None else template._translate("en_US")
        return text % self.params if self.params else text


@dataclass
class Transaction:
    date: date
    amount: Decimal
    currency: str
    type_code: str = ""
    customer_reference: str = ""
    bank_reference: str = ""
    counterparty_account: str = ""
    counterparty_bic: str = ""
    counterparty_name: str = ""
    end_to_end_reference: str = ""
    remittance: str = ""
    details: str = ""
    import_id: str = ""

    @property
    def is_credit(self):
        return self.amount > 0

    def to_dict(self):
        values = asdict(self)
        values["date"] = self.date.isoformat()
        values["amount"] = str(self.amount)
        return values


@dataclass
class Statement:
    reference: str
    account: str
    currency: str
    number: str = ""
    opening_balance: Decimal = Decimal(0)
    opening_date: date = None
    closing_balance: Decimal = Decimal(0)
    closing_date: date = None
    info: str = ""
    transactions: list = field(default_factory=list)
    # Set when the file ended without the closing balance and it was computed.
    closing_missing: ClassVar[bool] = False

    @property
    def balance_difference(self):
        """Closing minus (opening + transactions); zero when the statement adds up."""
        total = sum((t.amount for t in self.transactions), Decimal(0))
        return self.closing_balance - self.opening_balance - total

    def to_dict(self):
        values = asdict(self)
        for key in ("opening_balance", "closing_balance"):
            values[key] = str(values[key])
        for key in ("opening_date", "closing_date"):
            values[key] = values[key] and values[key].isoformat()
        values["transactions"] = [t.to_dict() for t in self.transactions]
        return values


# Letters of Dutch, Frisian, French and German words and names: text decoded
# with the right code page is made of these; the wrong one gives box drawing,
# control characters or rarer letters in their place.
_WESTERN_LETTERS = set("áàâäéèêëíìîïóòôöúùûüçñßÉËÏÖÜ€")


# The byte of cp852's "ß" is "á" in cp1252: "Straße" would read "Straáe".
# An "á" after a lowercase letter and before "e" or a word's end is the "ß".
_SHARP_S_AS_A_ACUTE_RE = re.compile(r"(?<=[a-z])á(?=e|\b)")


def _plausibility(text):
    """Score of decoded text: higher when its non-ASCII characters are likely."""
    score = -4 * len(_SHARP_S_AS_A_ACUTE_RE.findall(text))
    for char in text:
        if char < "\x80":
            continue
        if char in _WESTERN_LETTERS:
            score += 2
        elif unicodedata.category(char).startswith("L"):
            score += 1
        else:
            # Box drawing (cp852 read as cp1252), C1 controls, odd symbols.
            score -= 3
    return score


def detect_encoding(data):
    """The code page of MT940 bytes: UTF-8 when valid, else cp1252 or cp852.

    Dutch banks send UTF-8, Windows-1252 (Latin-1 is its subset for letters) or,
    from old DOS-based software, cp852. Both code pages decode any byte, so the
    one whose text is more plausible wins; on a tie, cp1252.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8-sig"
    candidates = {}
    for encoding in ("cp1252", "cp852"):
        try:
            candidates[encoding] = _plausibility(data.decode(encoding))
        except UnicodeDecodeError:
            continue  # cp1252 leaves five bytes undefined
    if not candidates:
        return "latin-1"
    return max(
        candidates, key=lambda encoding: (candidates[encoding], encoding == "cp1252")
    )


def decode(data):
    """Bytes to text, in the code page :func:`detect_encoding` finds."""
    if not data or not data.strip():
        raise Mt940Error("empty")
    if len(data) > MAX_FILE_SIZE:
        raise Mt940Error("too_large", limit=MAX_FILE_SIZE // (1024 * 1024))
    sample = data[:4096]
    controls = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 13))
    if b"\x00" in sample or controls > len(sample) // 100:
        raise Mt940Error("binary")
    return data.decode(detect_encoding(data))


def looks_like_mt940(data):
    """Cheap check on upload: text with the statement fields of an MT940 file."""
    if isinstance(data, bytes):
        try:
            data = decode(data)
        except Mt940Error:
            return False
    text = data
    return all(re.search(rf"(?m)^:{tag}:", text) for tag in ("20", "25", "60[FM]"))


def _logical_fields(text):
    """Yield [line number, tag, [content lines]] per field, headers dropped.

    Lines such as ``ABNANL2A`` or ``940`` are headers between messages, but
    inside ``:86:`` they are text. A lone ``-`` ends a message, except inside
    ``:86:`` when more text follows (ING cuts ``MND-EV01`` there).
    """
    # Old Rabobank files join their parts with a DOS end-of-file mark (Ctrl-Z)
    # before the next ``:20:``: a line break.
    text = text.replace("\x1a", "\n")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    current = None
    for index, raw in enumerate(lines):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            continue
        match = _TAG_RE.match(line)
        if match:
            if current:
                yield current
            current = [index + 1, match.group(1), [line[match.end() :]]]
            continue
        in_transaction = current is not None and current[1] in ("61", "86")
        if _HEADER_RE.match(stripped):
            if stripped == "-" and in_transaction and _continues(lines, index):
                current[2].append(line)
                continue
            if current:
                yield current
            current = None
        elif _WEAK_HEADER_RE.match(stripped) and not in_transaction:
            if current:
                yield current
            current = None
        elif current:
            current[2].append(line)
    if current:
        yield current


def _continues(lines, index):
    """True when the line after a lone ``-`` continues the same field."""
    for following in lines[index + 1 :]:
        following = following.strip()
        if not following:
            continue
        return not (
            _TAG_RE.match(following)
            or _HEADER_RE.match(following)
            or _WEAK_HEADER_RE.match(following)
        )
    return False


def _join_61(parts):
    """First line of :61: plus its supplementary line, wraps undone.

    ING wraps the bank reference (``//00000000001`` + ``005``) and ``/TRCD/``;
    ASN and SNS put the counterparty's name on the next line, Rabobank its
    account.
    """
    first = parts[0]
    lines = []
    for part in parts[1:]:
        part = part.strip()
        if not lines and "//" in first and re.fullmatch(r"[A-Z0-9]{1,15}", part):
            first += part
        elif part.startswith("/") or not lines:
            lines.append(part)
        else:
            lines[-1] += part
    return first, "".join(lines)


def _join_86(parts):
    structured = parts[0].lstrip().startswith("/")
    text = parts[0]
    previous_length = len(parts[0]) + 4
    for part in parts[1:]:
        if structured or previous_length >= SWIFT_LINE_LENGTH:
            text += part
        else:
            text += " " + part
        previous_length = len(part)
    return text.strip()


def _split_statements(text):
    statements = []
    for line_no, tag, parts in _logical_fields(text):
        if tag == "20":
            statements.append([])
        if not statements:
            continue  # data before the first :20: is a header
        statements[-1].append((line_no, tag, parts))
    return statements


def _dot_to_comma(pattern, text, line_no):
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
            first, supplementary = _join_61(parts)
            first = _dot_to_comma(_DOT_AMOUNT_61_RE, first, line_no)
            # The supplementary line is ours to read: mt-940 refuses some
            # (ASN puts a name there after an 18-character reference).
            out.append(":61:" + first)
            reference = _REFERENCE_61_RE.match(first)
            details.append(["", supplementary, [], reference and reference.group(1)])
        elif tag == "86":
            text = _join_86(parts)
            if seen_closing or not details:
                info.append(text)
            elif not details[-1][0]:
                details[-1][0] = text
                details[-1][2] = [p.strip() for p in parts if p.strip()]
        else:
            if tag in _BALANCE_TAGS:
                parts = [
                    _dot_to_comma(_DOT_AMOUNT_BALANCE_RE, parts[0], line_no),
                    *parts[1:],
                ]
            if tag.startswith("62"):
                seen_closing = True
            out.append(":{}:{}".format(tag, " ".join(p.strip() for p in parts)))
    return "\n".join(out) + "\n", details, "\n".join(info)


def _structured(text):
    """Sub-fields of a structured :86: as a dict (code -> raw value)."""
    matches = list(_CODE_RE.finditer(text))
    values = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        values.setdefault(match.group(1), text[match.end() : end])
    return values


def _remittance(value):
    value = value.strip("/")
    for prefix in ("USTD//", "USTD/", "STRD/CUR/", "STRD/ISO/", "STRD/"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    return value.strip("/ ").strip()


def _read_structured(transaction, values):
    transaction.end_to_end_reference = values.get("EREF", "").strip("/ ")
    if transaction.end_to_end_reference == "NOTPROVIDED":
        transaction.end_to_end_reference = ""
    transaction.remittance = _remittance(values.get("REMI", ""))
    cntp = values.get("CNTP")
    if cntp:
        account, bic, name = (cntp.split("/") + ["", "", ""])[:3]
        transaction.counterparty_account = account.strip()
        transaction.counterparty_bic = bic.strip()
        transaction.counterparty_name = name.strip()
    for attribute, code in (
        ("counterparty_account", "IBAN"),
        ("counterparty_bic", "BIC"),
        ("counterparty_name", "NAME"),
    ):
        if not getattr(transaction, attribute) and values.get(code):
            setattr(transaction, attribute, values[code].strip("/ "))


def _read_triodos(transaction, text):
    """Triodos: ``>10<account>``, description in ``>20``..``>27``."""
    fields = re.findall(r">(\d\d)([^>]*)", text.replace(" >", ">"))
    description = []
    for code, raw in fields:
        value = raw.strip()
        if code == "10" and value.strip("0"):
            transaction.counterparty_account = value
        elif "20" <= code <= "27":
            if _IBAN_RE.match(value) and not transaction.counterparty_account:
                transaction.counterparty_account = value
            elif _BIC_RE.match(value) and code == "20":
                transaction.counterparty_bic = value
            else:
                description.append(raw.replace("\n", ""))
    transaction.remittance = " ".join("".join(description).split())


def _read_keywords(transaction, text):
    """ABN AMRO and Knab: ``IBAN: .. BIC: .. NAAM: .. OMSCHRIJVING: ..``."""
    parts = _KEYWORD_RE.split(text)
    values = {}
    for index in range(1, len(parts) - 1, 2):
        values.setdefault(parts[index], parts[index + 1].strip(" /"))
    transaction.counterparty_account = values.get("IBAN") or values.get("REK", "")
    transaction.counterparty_bic = values.get("BIC", "")
    transaction.counterparty_name = values.get("NAAM", "")
    remittance = [values.get(key, "") for key in ("OMSCHRIJVING", "KENMERK")]
    if not any(remittance):
        remittance = [parts[0]]
    transaction.remittance = " ".join(" ".join(remittance).split())


def _read_details(transaction, text, supplementary, lines):
    transaction.details = text
    matches = _CODE_RE.findall(text)
    leading = _LEADING_ACCOUNT_RE.match(lines[0]) if lines else None
    if leading:
        # ASN, SNS, old ING: "<account> <name>" on the first line.
        transaction.counterparty_account = leading.group("account")
        transaction.counterparty_name = leading.group("name").strip()
        transaction.remittance = " ".join(lines[1:])
    if text.lstrip().startswith("/") or len(matches) >= 2:
        _read_structured(transaction, _structured(text))
    elif ">2" in text:
        _read_triodos(transaction, text)
    elif _KEYWORD_RE.search(text):
        _read_keywords(transaction, text)
    elif not leading:
        transaction.remittance = text
    extra = supplementary.strip()
    reference = transaction.customer_reference
    if not transaction.counterparty_account and _ACCOUNT_LINE_RE.match(extra):
        transaction.counterparty_account = extra
    elif not transaction.counterparty_account and _IBAN_RE.match(reference):
        transaction.counterparty_account = reference
    elif not transaction.counterparty_name and extra and not extra.startswith("/"):
        transaction.counterparty_name = extra


def _account(raw):
    """``NL34RABO0142623393 EUR`` / ``NL77INGB0574908765EUR`` -> account, currency."""
    value = raw.strip().replace(" ", "").upper().split("/")[-1]
    match = re.match(r"^(.*?\d)([A-Z]{3})$", value)
    if match:
        return match.groups()
    return value, ""


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
    account, account_currency = _account(data.get("account_identification") or "")
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
    for item, (text86, supplementary, lines, reference) in zip(
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
                reference or values.get("customer_reference") or ""
            ).strip(),
            bank_reference=(values.get("bank_reference") or "").strip(),
        )
        _read_details(transaction, text86, supplementary, lines)
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
    blocks = _split_statements(text)
    if not blocks:
        raise Mt940Error("not_mt940")
    return [_parse_statement(block, closing_optional=not complete) for block in blocks]


def statement_account(raw):
    """The account number of a ``:25:`` value, without currency or BIC."""
    return _account(raw)[0]
