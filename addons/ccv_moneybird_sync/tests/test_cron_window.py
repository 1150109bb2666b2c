"""A cron run at real Moneybird latencies stays inside its time window."""

import time
from unittest.mock import patch

from odoo.tests import tagged

from ..models.connection_sync import COMMIT_BATCH, STOP_BEFORE_END
from .common import CcvMoneybirdCase

# Moneybird answers an API call in roughly this many seconds (an assumption, seen
# from the Netherlands; the test only needs a latency that makes batches take time)
MONEYBIRD_LATENCY = 0.3


@tagged("post_install", "-at_install")
class TestCronWindow(CcvMoneybirdCase):
    def test_run_at_real_latencies_stops_in_time_and_hands_the_rest_on(self):
        """40 paid payments, each costing a Moneybird call of 0.3 s, in a cron run
        that has 20 s left: the run commits every 10 payments, stops while at least
        15 s are left, and triggers the cron again for the rest."""
        self.fake_mb.latency = MONEYBIRD_LATENCY
        for number in range(1, 41):
            self.fake_mb.add_invoice(f"2026-07{number:02d}", "3.00")
            self.ccv_payment("3.00", f"2026-07{number:02d}")
        cron = self.env.ref("ccv_moneybird_sync.ir_cron_fetch_payments")
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
        triggers_before = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", cron.id)]
        )
        window = 20.0
        started = time.monotonic()
        commits = []

        def commit_progress(_crons, processed=0, *, remaining=None, deactivate=False):
            # Odoo's cron commits here and returns the seconds left in the run
            commits.append(self.connection.done_count)
            return max(started + window - time.monotonic(), 0.0)

        IrCron = type(self.env["ir.cron"])
        with patch.object(IrCron, "_commit_progress", commit_progress):
            backlog = (
                self.env["ccv.moneybird.connection"]
                .with_context(ir_cron_progress_id=progress.id, cron_id=cron.id)
                ._cron_fetch_payments()
            )
        elapsed = time.monotonic() - started

        self.connection.invalidate_recordset()
        done = self.connection.done_count
        self.assertLess(elapsed, window - STOP_BEFORE_END + 5, "stopped in time")
        self.assertTrue(0 < done < 40, f"part of the work is done ({done})")
        self.assertEqual(self.connection.open_count, 40 - done, "the rest waits")
        self.assertEqual(backlog, 40 - done, "the cron is told what is left")
        self.assertEqual(self.connection.error_count, 0)
        sent = [c for c in commits if c]
        self.assertTrue(
            all(b - a <= COMMIT_BATCH for a, b in zip([0, *sent], sent, strict=False)),
            f"a commit at least every {COMMIT_BATCH} payments: {commits}",
        )
        triggered = (
            self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
            - triggers_before
        )
        self.assertTrue(triggered, "the rest is handed to a new run of the cron")
        self.assertEqual(self.fake_mb.duplicates(), 0)

    def test_call_after_the_window_sends_nothing_and_hands_on(self):
        """Odoo calls a job again while it reports work left; a call that finds the
        job's window spent sends nothing (so the cron worker, shared with other due
        jobs, is not killed by Odoo's time limit) and triggers a fresh run."""
        for number in range(1, 6):
            self.fake_mb.add_invoice(f"2026-08{number:02d}", "3.00")
            self.ccv_payment("3.00", f"2026-08{number:02d}")
        self.fetch()  # the payments are known; make them wait again
        payments = self.env["ccv.payment"].search(
            [("connection_id", "=", self.connection.id)]
        )
        self.assertEqual(payments.mapped("state"), ["done"] * 5)
        for number in range(6, 9):
            self.fake_mb.add_invoice(f"2026-08{number:02d}", "3.00")
            self.ccv_payment("3.00", f"2026-08{number:02d}")
        requests_before = len(self.fake_mb.log)
        cron = self.env.ref("ccv_moneybird_sync.ir_cron_fetch_payments")
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
        triggers_before = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", cron.id)]
        )
        IrCron = type(self.env["ir.cron"])
        with patch.object(IrCron, "_commit_progress", lambda *a, **kw: 0.0):
            self.env["ccv.moneybird.connection"].with_context(
                ir_cron_progress_id=progress.id, cron_id=cron.id
            )._cron_fetch_payments()
        self.assertEqual(len(self.fake_mb.log), requests_before, "nothing sent")
        self.assertEqual(self.connection.done_count, 5, "no new payment registered")
        triggered = (
            self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
            - triggers_before
        )
        self.assertTrue(triggered, "a fresh run of the cron takes the rest")
