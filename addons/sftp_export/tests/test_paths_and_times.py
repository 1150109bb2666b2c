"""Remote names that could escape the directory, and export times across DST."""

import datetime

from odoo.tests import BaseCase

from odoo.addons.sftp_export.services.paths import (
    MAX_NAME_LENGTH,
    PathError,
    fitting_name,
    numbered_name,
    remote_path,
    validate_directory,
    validate_file_name,
)
from odoo.addons.sftp_export.services.schedule import next_occurrence

UTC = datetime.datetime


class TestPaths(BaseCase):
    def test_directories_are_normalised(self):
        self.assertEqual(validate_directory("/upload//odoo/./"), "/upload/odoo")
        self.assertEqual(validate_directory("exports/"), "exports")
        self.assertEqual(validate_directory(""), "")

    def test_parent_segments_are_refused(self):
        for bad in ("../etc", "/upload/../../etc", "a/..", "a\\b"):
            with self.assertRaises(PathError, msg=bad):
                validate_directory(bad)

    def test_file_names_stay_inside_the_directory(self):
        self.assertEqual(remote_path("/upload", "bills.csv"), "/upload/bills.csv")
        for bad in ("../bills.csv", "/etc/passwd", "a/b.csv", ".hidden", "", " x.csv"):
            with self.assertRaises(PathError, msg=bad):
                validate_file_name(bad)
        with self.assertRaises(PathError) as caught:
            validate_file_name("x" * (MAX_NAME_LENGTH + 1) + ".csv")
        self.assertIn("shorten the file name pattern", str(caught.exception))

    def test_numbered_and_shortened_names_stay_valid(self):
        self.assertEqual(numbered_name("bills.csv", 1), "bills.csv")
        self.assertEqual(numbered_name("bills.csv", 12), "bills_12.csv")
        self.assertEqual(numbered_name("README", 2), "README_2")
        longest = "a" * (MAX_NAME_LENGTH - 4) + ".zip"
        for number in (2, 10, 100):
            name = numbered_name(longest, number)
            self.assertEqual(len(name), MAX_NAME_LENGTH)
            self.assertTrue(name.endswith(f"_{number}.zip"))
            self.assertEqual(validate_file_name(name), name)
        self.assertEqual(fitting_name("bills.csv"), "bills.csv")
        self.assertEqual(fitting_name("b" * 300 + ".csv"), "b" * 196 + ".csv")
        self.assertEqual(fitting_name("c" * 300), "c" * MAX_NAME_LENGTH)


class TestNextExport(BaseCase):
    """Golden times for a schedule in Amsterdam (CET/CEST)."""

    def test_monday_seven_before_and_after_the_spring_switch(self):
        # Winter: 07:00 CET = 06:00 UTC; summer (from 29 March 2026): 05:00 UTC.
        self.assertEqual(
            next_occurrence(UTC(2026, 3, 21), {0}, 7.0, "Europe/Amsterdam"),
            UTC(2026, 3, 23, 6, 0),
        )
        self.assertEqual(
            next_occurrence(UTC(2026, 3, 23, 6, 0), {0}, 7.0, "Europe/Amsterdam"),
            UTC(2026, 3, 30, 5, 0),
        )

    def test_autumn_switch_back(self):
        # Sunday 25 October 2026 clocks go back: Monday 26th 07:00 CET = 06:00 UTC.
        self.assertEqual(
            next_occurrence(UTC(2026, 10, 23, 12), {0}, 7.0, "Europe/Amsterdam"),
            UTC(2026, 10, 26, 6, 0),
        )

    def test_skipped_and_doubled_hours(self):
        # 02:30 does not exist on 29 March: runs at 03:30 CEST (01:30 UTC).
        self.assertEqual(
            next_occurrence(UTC(2026, 3, 28), {6}, 2.5, "Europe/Amsterdam"),
            UTC(2026, 3, 29, 1, 30),
        )
        # 02:30 happens twice on 25 October: the first one (CEST, 00:30 UTC).
        self.assertEqual(
            next_occurrence(UTC(2026, 10, 24), {6}, 2.5, "Europe/Amsterdam"),
            UTC(2026, 10, 25, 0, 30),
        )

    def test_same_day_later_and_other_timezones(self):
        # Tuesday 10:00 UTC, schedule Tue+Thu 18:15 New York (EST, UTC-5).
        self.assertEqual(
            next_occurrence(UTC(2026, 11, 24, 10), {1, 3}, 18.25, "America/New_York"),
            UTC(2026, 11, 24, 23, 15),
        )
        # Just after the moment: the next chosen day.
        self.assertEqual(
            next_occurrence(
                UTC(2026, 11, 24, 23, 15), {1, 3}, 18.25, "America/New_York"
            ),
            UTC(2026, 11, 26, 23, 15),
        )

    def test_no_days_no_export(self):
        self.assertIsNone(next_occurrence(UTC(2026, 1, 1), set(), 7.0, "UTC"))
