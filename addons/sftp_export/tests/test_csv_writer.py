"""The CSV writer alone: every format option against golden files."""

import datetime
import random
from decimal import Decimal
from pathlib import Path

from odoo.tests import BaseCase

from odoo.addons.sftp_export.services.csv_writer import (
    ColumnSpec,
    CsvOptions,
    _exact_number_text,
    _number_text,
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


class TestCsvWriter(BaseCase):
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

    def test_numbers_read_the_same_as_through_decimal(self):
        # The quick path for floats must write exactly what the Decimal path
        # writes: amounts, rounding edges, negative zero, tiny and huge numbers.
        rng = random.Random(20261122)
        values = [0.0, -0.0, 2.675, 1.005, -7.125, 0.5, 1e-07, 1e16, 123456789.125]
        values += [0, 7, -12, 10**20, float("inf"), float("nan")]
        values += [
            round(rng.uniform(-1e6, 1e6), rng.randint(0, 6)) for _ in range(3000)
        ]
        values += [rng.uniform(-10, 10) for _ in range(1000)]  # full precision
        for digits in (-1, 0, 1, 2, 4):
            for value in values:
                with self.subTest(value=value, digits=digits):
                    self.assertEqual(
                        _number_text(value, digits),
                        _exact_number_text(value, digits),
                    )

    def test_a_date_and_a_datetime_of_the_same_day_keep_their_formats(self):
        day = datetime.date(2026, 11, 2)
        moment = datetime.datetime(2026, 11, 2, 7, 30)
        data = csv_bytes(
            [[day], [moment], [day]],
            CsvOptions(columns=[ColumnSpec("When")], with_header=False),
        )
        self.assertEqual(data, b"2026-11-02\r\n2026-11-02 07:30:00\r\n2026-11-02\r\n")

    def test_bad_options_are_refused(self):
        with self.assertRaises(ValueError):
            CsvOptions(delimiter=";;")
        with self.assertRaises(ValueError):
            CsvOptions(delimiter='"', quotechar='"')
        with self.assertRaises(ValueError):
            CsvOptions(encoding="latin-9")
