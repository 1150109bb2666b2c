"""The CSV writer alone: every format option against golden files."""

import datetime
import unittest
from decimal import Decimal
from pathlib import Path

from odoo.addons.sftp_export.services.csv_writer import (
    ColumnSpec,
    CsvOptions,
    csv_bytes,
)

DATA = Path(__file__).parent / "data"
ROWS = [
    ["BILL/2026/0001", "Drukkerij Hoek B.V.", datetime.date(2026, 11, 2), 1234.5, None],
    [
        'Café "De Zon"; terras',
        "Émile €",
        datetime.date(2026, 1, 31),
        Decimal("-7.125"),
        True,
    ],
]


def columns(digits=2):
    return [
        ColumnSpec("Number"),
        ColumnSpec("Vendor"),
        ColumnSpec("Date"),
        ColumnSpec("Total", digits=digits),
        ColumnSpec("Paid"),
    ]


class TestCsvWriter(unittest.TestCase):
    def assertGolden(self, name, data):
        self.assertEqual(data, (DATA / name).read_bytes(), name)

    def test_dutch_defaults_semicolon_comma_utf8(self):
        options = CsvOptions(columns=columns(), date_format="%d-%m-%Y")
        self.assertGolden("bills_nl_utf8.csv", csv_bytes(ROWS, options))

    def test_comma_point_quote_all_with_bom(self):
        options = CsvOptions(
            delimiter=",",
            decimal_separator=".",
            quoting="all",
            encoding="utf-8-sig",
            columns=columns(),
        )
        data = csv_bytes(ROWS, options)
        self.assertTrue(data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM")
        self.assertGolden("bills_bom_quote_all.csv", data)

    def test_windows_1252_tab_single_quote_no_header(self):
        options = CsvOptions(
            delimiter="\t",
            quotechar="'",
            encoding="cp1252",
            with_header=False,
            columns=columns(digits=-1),
        )
        rows = [*ROWS, ["X", "emoji 🙂", None, 0, False]]
        data = csv_bytes(rows, options)
        # € exists in Windows-1252 (0x80); the emoji does not and becomes '?'.
        self.assertIn(b"\x80", data)
        self.assertIn("emoji ?".encode("cp1252"), data)
        self.assertGolden("bills_cp1252_tab.csv", data)

    def test_column_date_format_overrides_the_format(self):
        cols = columns()
        cols[2] = ColumnSpec("Date", date_format="%Y%m%d")
        data = csv_bytes(ROWS[:1], CsvOptions(columns=cols, date_format="%d-%m-%Y"))
        self.assertIn(b";20261102;", data)

    def test_rounding_is_half_up_like_a_bookkeeper_expects(self):
        data = csv_bytes(
            [["a", "b", None, 2.675, None]],
            CsvOptions(columns=columns(), with_header=False),
        )
        self.assertEqual(data, b"a;b;;2,68;\r\n")

    def test_bad_options_are_refused(self):
        with self.assertRaises(ValueError):
            CsvOptions(delimiter=";;")
        with self.assertRaises(ValueError):
            CsvOptions(delimiter='"', quotechar='"')
        with self.assertRaises(ValueError):
            CsvOptions(encoding="latin-9")
