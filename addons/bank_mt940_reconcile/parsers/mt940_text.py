"""From the bytes of a file to the fields of each statement.

Finds the code page (UTF-8, Windows-1252 or cp852), refuses what is not text,
undoes the line endings, headers and trailers banks put around a message
(ING's ``0000 01INGBNL2AXXX``, SWIFT FIN ``{1:}{2:}{4:`` blocks, Rabobank's
``:940:``, old Rabobank's Ctrl-Z between parts) and splits the text into one
list of ``(line number, tag, lines)`` fields per statement.
"""

import re
import unicodedata

from .mt940_errors import Mt940Error

MAX_FILE_SIZE = 50 * 1024 * 1024

_TAG_RE = re.compile(r"^:(\d\d[A-Z]?|NS):")
# Lines around or between messages that carry no statement data.
_HEADER_RE = re.compile(
    r"^(\{[1-5]:.*|-?\}(\{5:.*)?|-XXX\}?|-|:940:|:9401:|0000\s+\d+\w*)$"
)
# Header lines that are also plausible :86: text: only headers outside a transaction.
_WEAK_HEADER_RE = re.compile(r"^(940(\s+\d+)?|[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?)$")

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


def split_statements(text):
    """The fields of each statement (from ``:20:`` on); data before is a header."""
    statements = []
    for line_no, tag, parts in _logical_fields(text):
        if tag == "20":
            statements.append([])
        if not statements:
            continue  # data before the first :20: is a header
        statements[-1].append((line_no, tag, parts))
    return statements
