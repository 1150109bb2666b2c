"""The remittance information of each transaction, read as each bank writes it.

The line after ``:61:`` (ASN and SNS put the counterparty's name there,
Rabobank its account) and the ``:86:`` text: structured sub-fields (``/EREF/``,
``/REMI/``, ``/CNTP/``, Rabobank's ``/ORDP/``), Triodos' ``>20`` fields, ABN AMRO
and Knab's ``IBAN: .. NAAM: ..`` keywords, or free text cut at 65 characters.
"""

import re

# SWIFT MT940 lines are at most 65 characters, tag included: a full line that
# continues on the next one was cut, possibly in the middle of a word.
SWIFT_LINE_LENGTH = 65
_IBAN_RE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
_ACCOUNT_LINE_RE = re.compile(r"^(?:[A-Z]{2}\d{2}[A-Z0-9]{10,30}|P?\d{7,10})$")
_LEADING_ACCOUNT_RE = re.compile(
    r"^\s*(?P<account>[A-Z]{2}\d{2}[A-Z]{4}\d{7,20}|\d{9,10})\b\s*(?P<name>.*)$"
)
_KEYWORD_RE = re.compile(
    r"\b(IBAN|BIC|NAAM|OMSCHRIJVING|KENMERK|REK|BETALINGSKENM\.|MACHTIGING|"
    r"INCASSANT ID|ID INCASSANT):\s*"
)
_BIC_RE = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
# Sub-fields of a structured :86: (ING, Rabobank, ABN AMRO, SNS/ASN, Knab, bunq).
_CODES = (
    "EREF|KREF|MARF|CSID|CNTP|REMI|PURP|ULTC|ULTD|ULTB|BENM|ORDP|NAME|ADDR|ISDT|"
    "IBAN|BIC|TRCD|PREF|RTRN|SUM|BUSP|TRTP|CDTRREFTP|CDTRREF|CD|FEES|ACCW|ORIG"
)
_CODE_RE = re.compile(r"/(%s)/" % _CODES)  # noqa: UP031 (a regex, not a message)


def join_61(parts):
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


def join_86(parts):
    """The lines of :86: as one text: a cut word joined, a new line spaced."""
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


def read_details(transaction, text, supplementary, lines):
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
