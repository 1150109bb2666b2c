"""Write rows of Python values as CSV with the options of an export format.

No ORM here: the caller turns records into rows of plain values (str, numbers,
dates, booleans, None); this module only decides how they look in the file.
"""

import codecs
import csv
import datetime
import functools
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ENCODINGS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",  # UTF-8 with BOM, what Excel needs to detect UTF-8
    "cp1252": "cp1252",  # Windows-1252
}
TEXT_BLOCK = 1024 * 1024  # characters gathered before they are written
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


def format_value(value, column, options):
    """The text of one cell."""
    if type(value) is str:  # the most frequent case first: exports are large
        return value
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, datetime.datetime):
        return value.strftime(column.date_format or options.datetime_format)
    if isinstance(value, datetime.date):
        return value.strftime(column.date_format or options.date_format)
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
        if column.digits >= 0:
            number = number.quantize(_quantum(column.digits), ROUND_HALF_UP)
            text = f"{number:.{column.digits}f}"
        else:
            text = format(number.normalize(), "f") if number else "0"
        return text.replace(".", options.decimal_separator)
    return str(value)


def write_csv(stream, rows, options):
    """Write rows (iterables of values, one per column) to the binary stream.

    Returns the number of data rows. Characters the encoding cannot hold
    (Windows-1252 has no emoji) become '?', so one odd character never stops
    a whole export. The text is gathered and written in blocks: few system
    calls, whatever the number of rows.
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
    columns = options.columns
    count = 0
    for row in rows:
        writer.writerow(
            [
                format_value(value, column, options)
                for value, column in zip(row, columns, strict=True)
            ]
        )
        count += 1
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
