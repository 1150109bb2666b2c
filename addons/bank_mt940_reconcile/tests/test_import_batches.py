"""How the cron sizes its chunks: small enough to end with the run's time."""

import itertools
from types import SimpleNamespace
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.bank_mt940_reconcile.models import bank_mt940_file_import
from odoo.addons.base.models.ir_cron import IrCron

from .common import Mt940Common, build_mt940


@tagged("post_install", "-at_install")
class TestImportBatches(Mt940Common):
    def test_chunk_fits_in_the_time_left(self):
        chunk_size = bank_mt940_file_import._chunk_size
        # No chunk timed yet: a small first chunk, whatever the time left.
        self.assertEqual(chunk_size(None, 5.0), 50)
        self.assertEqual(chunk_size(None, float("inf")), 50)
        # Timed, and no end time (a request): a full chunk.
        self.assertEqual(chunk_size(2.0, float("inf")), 250)
        # 5 transactions a second and 4 seconds left: 20.
        self.assertEqual(chunk_size(5.0, 4.0), 20)
        # Never fewer than 10, never more than a full chunk.
        self.assertEqual(chunk_size(5.0, 0.1), 10)
        self.assertEqual(chunk_size(500.0, 4.0), 250)

    def test_cron_run_ends_with_a_smaller_chunk_then_resumes(self):
        invoice = self.create_invoice(70)
        payments = [{"amount": n + 1, "remi": f"betaling {n}"} for n in range(100)]
        payments[69] = {"amount": 70, "remi": invoice.name}
        record = self.upload(build_mt940(payments))
        # Each chunk takes 10 s (the clock moves 10 s per reading), so 5
        # transactions a second; after the first chunk the run has 4 s left.
        clock = SimpleNamespace(monotonic=itertools.count(0, 10).__next__)
        seconds_left = iter([4.0, 0.0])

        def commit_progress(cron, processed=0, **kwargs):
            return next(seconds_left)

        with (
            patch.object(bank_mt940_file_import, "time", clock),
            patch.object(IrCron, "_commit_progress", commit_progress),
        ):
            finished = record.sudo()._process_file(cron=True)
        self.assertFalse(finished)
        # 50, then the 20 that fit in the 4 seconds left; the rest waits.
        self.assertEqual(record.progress, "70 / 100 transactions")
        self.assertEqual(len(record.statement_line_ids), 70)
        self.assertEqual(invoice.payment_state, "paid")
        with patch.object(IrCron, "_commit_progress", lambda *a, **k: 10.0):
            self.assertTrue(record.sudo()._process_file(cron=True))
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(len(record.statement_line_ids), 100)
