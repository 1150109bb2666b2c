"""Write rows of Python values as CSV with the options of an export format.

No ORM here: the caller turns records into rows of plain values (str, numbers,
dates, booleans, None); this module only decides how they look in the file.
"""

import codecs
import csv
import datetime
import functools
import io
import itertools
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ENCODINGS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",  # UTF-8 with BOM, what Excel needs to detect UTF-8
    "cp1252": "cp1252",  # Windows-1252
}
TEXT_BLOCK = 1024 * 1024  # characters gathered before they are written
CHUNK_ROWS = 4096  # rows formatted together, column by column
QUOTING = {
    "minimal": csv.QUOTE_MINIMAL,
    "all": csv.QUOTE_ALL,
    "nonnumeric": csv.QUOTE_NONNUMERIC,
}


@dataclass
class ColumnSpec:
    header: str
    date_format: str = ""  # strftime pattern; empty: the format's default
    digits: int = -1  # decimals for numbers; -1: as stored


@dataclass
class CsvOptions:
    delimiter: str = ";"
    quotechar: str = '"'
    quoting: str = "minimal"
    decimal_separator: str = ","
    encoding: str = "utf-8"
    date_format: str = "%Y-%m-%d"
    datetime_format: str = "%Y-%m-%d %H:%M:%S"
    with_header: bool = True
    columns: list = field(default_factory=list)

    def __post_init__(self):
        if len(self.delimiter) != 1 or len(self.quotechar) != 1:
            raise ValueError("The delimiter and the quote must be one character.")
        if self.delimiter == self.quotechar:
            raise ValueError("The delimiter and the quote must differ.")
        if self.encoding not in ENCODINGS:
            raise ValueError(f"Unknown encoding {self.encoding!r}.")
        if self.quoting not in QUOTING:
            raise ValueError(f"Unknown quoting {self.quoting!r}.")


@functools.cache
def _quantum(digits):
    return Decimal(1).scaleb(-digits)


def _exact_number_text(value, digits):
    """A number as text with '.', rounded half up to digits (-1: as stored)."""
    number = Decimal(str(value))
    if not number.is_finite():  # never stop an export for one odd value
        return str(number)
    if digits >= 0:
        number = number.quantize(_quantum(digits), ROUND_HALF_UP)
        return f"{number:.{digits}f}"
    return format(number.normalize(), "f") if number else "0"


def _number_text(value, digits):
    """The same text as _exact_number_text(), without Decimal for the usual
    float: amounts come with at most their currency's decimals, and the
    shortest repr of a float is exactly what Decimal(str(value)) reads."""
    if type(value) is int:
        return f"{value}.{'0' * digits}" if digits > 0 else str(value)
    if type(value) is float:
        text = repr(value)
        if "e" not in text and "n" not in text:  # no exponent, nan or inf
            whole, _dot, fraction = text.partition(".")
            if digits < 0:
                if fraction == "0":
                    return "0" if whole in ("0", "-0") else whole
                return text
            if len(fraction) <= digits:  # nothing to round
                return f"{whole}.{fraction:0<{digits}}" if digits else whole
    return _exact_number_text(value, digits)


def cell_formatter(column, options):
    """A function value -> text of one cell of the column.

    Chosen once per column, not per cell: an export formats hundreds of
    thousands of cells.
    """
    date_format = column.date_format or options.date_format
    datetime_format = column.date_format or options.datetime_format
    number = number_formatter(column, options)

    # Exports hold few distinct dates (the days of a period), and strftime is
    # slow: each date is formatted once.
    @functools.lru_cache(maxsize=1024)
    def date_text(value):
        if isinstance(value, datetime.datetime):
            return value.strftime(datetime_format)
        return value.strftime(date_format)

    def text(value):
        kind = type(value)
        if kind is str:  # the most frequent case first
            return value
        if kind is float or kind is int:
            return number(value)
        if value is None or value is False:
            return ""
        if value is True:
            return "1"
        if isinstance(value, datetime.date):  # datetimes included
            return date_text(value)
        if isinstance(value, int | float | Decimal):
            return number(value)
        return str(value)

    return text


def number_formatter(column, options):
    """A function number -> text, with the column's decimals and the format's
    decimal separator."""
    separator = options.decimal_separator
    digits = column.digits
    if separator == ".":
        return functools.partial(_number_text, digits=digits)

    def number(value):
        return _number_text(value, digits).replace(".", separator)

    return number


def column_formatter(column, options):
    """A function values -> texts for a column's values of many rows.

    The types of the values are looked at once per column: text passes as it
    is, and a column of floats goes straight to the number formatting.
    """
    cell = cell_formatter(column, options)
    number = number_formatter(column, options)

    def format_values(values):
        kinds = set(map(type, values))
        if kinds <= {str}:
            return values
        if kinds <= {float}:
            return list(map(number, values))
        return list(map(cell, values))

    return format_values


def format_value(value, column, options):
    """The text of one cell."""
    return cell_formatter(column, options)(value)


def write_csv(stream, rows, options):
    """Write rows (sequences of values, one per column) to the binary stream.

    Returns the number of data rows. Characters the encoding cannot hold
    (Windows-1252 has no emoji) become '?', so one odd character never stops
    a whole export. Rows are formatted a chunk at a time, column by column,
    and the text is written in blocks: few calls per value, few system calls.
    """
    encoder = codecs.getincrementalencoder(ENCODINGS[options.encoding])(
        errors="replace"
    )
    text = io.StringIO(newline="")
    writer = csv.writer(
        text,
        delimiter=options.delimiter,
        quotechar=options.quotechar,
        quoting=QUOTING[options.quoting],
        lineterminator="\r\n",
    )
    if options.with_header:
        writer.writerow([column.header for column in options.columns])
    formatters = [column_formatter(column, options) for column in options.columns]
    count = 0
    rows = iter(rows)
    while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
        # strict: a row with a value too many or too few raises ValueError.
        columns = zip(*chunk, strict=True)
        texts = [
            format_values(values)
            for format_values, values in zip(formatters, columns, strict=True)
        ]
        writer.writerows(zip(*texts, strict=True) if texts else [()] * len(chunk))
        count += len(chunk)
        if text.tell() >= TEXT_BLOCK:
            stream.write(encoder.encode(text.getvalue()))
            text.seek(0)
            text.truncate()
    stream.write(encoder.encode(text.getvalue(), final=True))
    return count


def csv_bytes(rows, options):
    """The CSV as bytes (for small files and tests)."""
    buffer = io.BytesIO()
    write_csv(buffer, rows, options)
    return buffer.getvalue()
