"""The forward-only zip writer: a plain zip every reader opens."""

import datetime
import io
import os
import shutil
import subprocess
import tempfile
import unittest
import zipfile

from odoo.tests import BaseCase

from odoo.addons.sftp_export.services.zip_packer import (
    CHUNK,
    ZipStreamWriter,
    pack_originals,
)

MOMENT = datetime.datetime(2026, 11, 21, 7, 0, 0)


class ForwardOnly:
    """A stream that can only be written forwards (no seek, no tell)."""

    def __init__(self):
        self.data = bytearray()
        self.write = self.data.extend


def build(originals, csv=b"Number;Total\r\nA;1,00\r\n" * 500):
    target = ForwardOnly()
    writer = ZipStreamWriter(target, MOMENT)
    count = pack_originals(
        writer, [(n, lambda d=d: io.BytesIO(d)) for n, d in originals]
    )
    writer.add("bills.csv", lambda: io.BytesIO(csv), deflate=True)
    writer.close()
    return bytes(target.data), count


class TestZipStreamWriter(BaseCase):
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
            self.assertEqual(infos["originals/BILL_1_scan.pdf"].compress_type, 0)
            self.assertEqual(infos["bills.csv"].compress_type, zipfile.ZIP_DEFLATED)
            self.assertLess(infos["bills.csv"].compress_size, 1000, "CSV compressed")
            for info in infos.values():
                self.assertFalse(info.flag_bits & 0x08, "no data descriptor")
                self.assertEqual(info.date_time, (2026, 11, 21, 7, 0, 0))

    def test_large_original_is_streamed_whole(self):
        # Larger than one read: checksummed first, then copied in chunks.
        big = os.urandom(CHUNK * 2 + 12345)
        data, count = build([("scan_large.pdf", big), ("small.pdf", b"%PDF")])
        self.assertEqual(count, 2)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            self.assertIsNone(archive.testzip())
            self.assertEqual(archive.read("originals/scan_large.pdf"), big)
            self.assertEqual(archive.read("originals/small.pdf"), b"%PDF")

    def test_same_input_same_bytes(self):
        self.assertEqual(build([("a.pdf", b"1")])[0], build([("a.pdf", b"1")])[0])

    @unittest.skipUnless(shutil.which("unzip"), "Info-ZIP unzip not installed")
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
