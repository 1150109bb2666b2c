"""The zip of CSV and originals as zipfile writes it into a temporary file:
plain members (no data descriptors), STORED originals, a DEFLATED CSV, fixed
dates, byte for byte the same for the same input, accepted by Info-ZIP."""

import datetime
import io
import os
import subprocess
import tempfile
import zipfile

from odoo.tests import BaseCase

from odoo.addons.sftp_export.services.csv_writer import (
    ColumnSpec,
    CsvOptions,
    csv_bytes,
)
from odoo.addons.sftp_export.services.export_file import (
    original_member_names,
    write_zip_file,
    zip_date_time,
)

MOMENT = datetime.datetime(2026, 11, 21, 7, 0, 0)
OPTIONS = CsvOptions(columns=[ColumnSpec("Number"), ColumnSpec("Total")])
ROWS = [("BILL/2026/0001", 12.5)] * 500


def build(originals, moment=MOMENT):
    members = original_member_names(name for name, _data in originals)
    with tempfile.TemporaryFile() as target:
        count = write_zip_file(
            target,
            [
                (member, lambda d=data: d)
                for member, (_name, data) in zip(members, originals, strict=True)
            ],
            "bills.csv",
            csv_bytes(iter(ROWS), OPTIONS),
            zip_date_time(moment),
        )
        target.seek(0)
        return target.read(), count


class TestExportFile(BaseCase):
    def test_members_sizes_and_methods(self):
        pdf = b"%PDF-1.4 " + bytes(range(256)) * 100
        data, count = build([("BILL/1_scan.pdf", pdf), ("BILL/1_scan.pdf", b"x")])
        self.assertEqual(count, 2)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            self.assertIsNone(archive.testzip())
            infos = {info.filename: info for info in archive.infolist()}
            self.assertEqual(
                list(infos),
                [
                    "originals/BILL_1_scan.pdf",
                    "originals/BILL_1_scan_2.pdf",
                    "bills.csv",
                ],
            )
            self.assertEqual(archive.read("originals/BILL_1_scan.pdf"), pdf)
            self.assertEqual(
                infos["originals/BILL_1_scan.pdf"].compress_type, zipfile.ZIP_STORED
            )
            self.assertEqual(infos["bills.csv"].compress_type, zipfile.ZIP_DEFLATED)
            self.assertLess(infos["bills.csv"].compress_size, 1000, "CSV compressed")
            self.assertEqual(
                archive.read("bills.csv").splitlines()[:2],
                [b"Number;Total", b"BILL/2026/0001;12,5"],
            )
            for info in infos.values():
                self.assertFalse(info.flag_bits & 0x08, "no data descriptor")
                self.assertEqual(info.date_time, (2026, 11, 21, 7, 0, 0))

    def test_large_original_is_copied_whole(self):
        big = os.urandom(3 * 1024 * 1024 + 12345)
        data, count = build([("scan_large.pdf", big), ("small.pdf", b"%PDF")])
        self.assertEqual(count, 2)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            self.assertIsNone(archive.testzip())
            self.assertEqual(archive.read("originals/scan_large.pdf"), big)
            self.assertEqual(archive.read("originals/small.pdf"), b"%PDF")

    def test_same_input_same_bytes(self):
        first, _count = build([("a.pdf", b"1" * 5000)])
        self.assertEqual(build([("a.pdf", b"1" * 5000)])[0], first)
        self.assertNotEqual(
            build([("a.pdf", b"1" * 5000)], MOMENT.replace(hour=8))[0], first
        )

    def test_info_zip_accepts_it(self):
        data, _count = build([("scan.pdf", b"%PDF" * 1000)])
        with tempfile.NamedTemporaryFile(suffix=".zip") as handle:
            handle.write(data)
            handle.flush()
            result = subprocess.run(
                ["unzip", "-t", handle.name],
                capture_output=True,
                text=True,
                check=False,
            )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("No errors detected", result.stdout)
