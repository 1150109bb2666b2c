"""SFTP export benchmark: 10,000 vendor bills to CSV plus 1,000 PDF originals in a
zip, uploaded to a real local sshd, against a baseline measured in the same run.

- ours: Export now of one automatic-export line as the bookkeeper, then the
  cron it triggers (select records, column values read in one SQL query, the
  zip written by zipfile into a temporary file, its CSV kept as the history
  line's attachment, "ready" committed, paramiko upload of the temporary file
  under a temporary name, posix-rename, "delivered" committed);
- baseline: one SQL read of the same columns written with the csv module, plus
  OpenSSH's `sftp` client putting the same zip bytes.

Goal: ours <= 1.6x the baseline's time; peak memory growth <= 300 MB.
The machines are shared and noisy: ours and the baseline run alternately,
BENCH_SFTP_ROUNDS times (5); each round's ratio is printed, then the ratio of
the fastest runs of each and the median ratio.
Sizes: BENCH_SFTP_BILLS, BENCH_SFTP_PDFS, BENCH_SFTP_PDF_KB.
BENCH_SFTP_PROFILE=<file> prints where our time goes and keeps the cProfile
statistics of the export in <file> (the profiler's overhead makes that run
slower, so its ratio is not the figure).
"""

import contextlib
import cProfile
import csv
import io
import os
import pstats
import statistics
import subprocess
import tempfile
import threading
import time

import psutil

from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.sftp_export.services import sftp_client
from odoo.addons.sftp_export.tests.common import SftpExportCase

from .timing import timed_methods

N_BILLS = int(os.environ.get("BENCH_SFTP_BILLS", "10000"))
N_PDFS = int(os.environ.get("BENCH_SFTP_PDFS", "1000"))
PDF_BYTES = int(os.environ.get("BENCH_SFTP_PDF_KB", "60")) * 1024
ROUNDS = int(os.environ.get("BENCH_SFTP_ROUNDS", "5"))
PROFILE = os.environ.get("BENCH_SFTP_PROFILE", "")


@contextlib.contextmanager
def profiled():
    """cProfile the block when BENCH_SFTP_PROFILE is set; print the top functions."""
    if not PROFILE:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(PROFILE)
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
        stats.print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        print(out.getvalue())


def step_timer(env):
    """Time the steps of our export separately: {step: seconds}."""
    Run = type(env["sftp.export.run"])
    Line = type(env["sftp.export.schedule.line"])
    steps = {
        "select records and read their rows": (Line, "_select"),
        "write the CSV": (Line, "_csv_data"),
        "find the originals": (Line, "_originals"),
        "write the zip": (Run, "_write_zip"),
        "upload": (sftp_client.SftpClient, "upload"),
    }
    return timed_methods(steps)


class PeakRss:
    """Samples the resident memory of the process in a thread (no tracing
    overhead)."""

    def __init__(self, interval=0.01):
        self.process = psutil.Process()
        self.interval = interval
        self.start_rss = self.peak = 0
        self._stop = threading.Event()

    def __enter__(self):
        self.start_rss = self.peak = self.process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


@tagged("post_install", "-at_install", "benchmark")
class BenchSftpExport(SftpExportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sshd()
        cls.trust_host_key()
        started = time.perf_counter()
        template = cls.make_bill_cls()
        cls._clone_bills(template, N_BILLS - 1)
        bills = cls.env["account.move"].search(
            [("company_id", "=", cls.company.id), ("move_type", "=", "in_invoice")],
            order="id",
        )
        assert len(bills) == N_BILLS, len(bills)
        cls.env["ir.attachment"].create(
            [
                {
                    "name": f"scan_{index}.pdf",
                    "res_model": "account.move",
                    "res_id": bill.id,
                    "raw": b"%PDF-1.4\n" + os.urandom(PDF_BYTES - 9),
                    "mimetype": "application/pdf",
                }
                for index, bill in enumerate(bills[:N_PDFS])
            ]
        )
        # Statistics as a database with 10,000 committed bills has them (autovacuum
        # would have analysed them): without this, PostgreSQL may plan the foreign
        # key checks of any insert referencing these bills as sequential scans over
        # the cloned rows, and both sides of the comparison measure that instead.
        cls.env.flush_all()
        cls.env.cr.execute(SQL("ANALYZE account_move, ir_attachment, res_partner"))
        print(
            f"\n[sftp_export] setup: {N_BILLS} bills, {N_PDFS} PDFs of "
            f"{PDF_BYTES // 1024} KB in {time.perf_counter() - started:.1f} s"
        )

    @classmethod
    def make_bill_cls(cls):
        bill = cls.env["account.move"].create(
            {
                "move_type": "in_invoice",
                "partner_id": cls.vendor.id,
                "invoice_date": "2026-11-02",
                "ref": "BENCH",
                "invoice_line_ids": [
                    (0, 0, {"name": "Drukwerk", "quantity": 1, "price_unit": 121.0})
                ],
            }
        )
        bill.action_post()
        bill.checked = True
        return bill

    @classmethod
    def _clone_bills(cls, template, count):
        """Copy the posted bill's row `count` times in SQL (the ORM would take
        many minutes for 10,000 bills; only the bill rows are exported)."""
        cls.env.flush_all()
        cr = cls.env.cr
        cr.execute(
            SQL(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'account_move' AND column_name NOT IN %s",
                ("id", "name", "ref"),
            )
        )
        columns = [SQL.identifier(name) for (name,) in cr.fetchall()]
        cr.execute(
            SQL(
                "INSERT INTO account_move (name, ref, %(columns)s) "
                "SELECT 'BENCH/' || n, 'REF-' || n, %(columns)s "
                "FROM account_move, generate_series(1, %(count)s) AS n "
                "WHERE account_move.id = %(template)s",
                columns=SQL(", ").join(columns),
                count=count,
                template=template.id,
            )
        )
        cls.env.invalidate_all()

    def _baseline_csv(self, path):
        self.env.cr.execute(
            SQL(
                """
                SELECT m.name, m.ref, m.invoice_date, m.invoice_date_due, p.name,
                       p.vat, m.amount_untaxed, m.amount_tax, m.amount_total,
                       c.name, m.payment_state
                  FROM account_move m
                  JOIN res_partner p ON p.id = m.partner_id
                  JOIN res_currency c ON c.id = m.currency_id
                 WHERE m.company_id = %s AND m.move_type = 'in_invoice'
              ORDER BY m.id
                """,
                self.company.id,
            )
        )
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow([column.name for column in self.env.cr.description])
            writer.writerows(self.env.cr.fetchall())

    def _baseline_put(self, local_path, remote_name):
        key_path = os.path.join(self.sshd.root, "bench_key")
        with open(key_path, "w") as key_file:
            key_file.write(self.server.sudo().private_key)
        os.chmod(key_path, 0o600)
        batch = os.path.join(self.sshd.root, "bench_batch")
        with open(batch, "w") as batch_file:
            batch_file.write(f"put {local_path} {self.sshd.upload_dir}/{remote_name}\n")
        subprocess.run(
            [
                "sftp",
                "-q",
                "-b",
                batch,
                "-i",
                key_path,
                "-P",
                str(self.sshd.port),
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                f"{self.sshd.user}@127.0.0.1",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )

    def _ours_once(self, schedule):
        """One Export now with the cron it triggers: (seconds, steps, run, peak)."""
        self.clear_remote()  # nothing there yet, as at a first delivery
        with PeakRss() as memory, profiled(), step_timer(self.env) as steps:
            started = time.perf_counter()
            schedule.with_user(self.bookkeeper).action_run_now()
            self.run_cron()
            seconds = time.perf_counter() - started
        run = schedule.run_ids.sorted("id")[-1]
        self.assertEqual(run.state, "delivered", run.error)
        self.assertEqual((run.record_count, run.attachment_count), (N_BILLS, N_PDFS))
        return seconds, dict(steps), run, memory.peak - memory.start_rss

    def _baseline_once(self, zip_path):
        with tempfile.TemporaryDirectory() as scratch:
            started = time.perf_counter()
            self._baseline_csv(os.path.join(scratch, "baseline.csv"))
            sql_csv = time.perf_counter() - started
            started = time.perf_counter()
            self._baseline_put(zip_path, "baseline.zip")
            put = time.perf_counter() - started
        return sql_csv, put

    def test_bench_export_bills_with_originals(self):
        # Already exported bills included: every round sends all of them.
        schedule = self.make_schedule(include_attachments=True, include_exported=True)
        ours_times, baseline_times, growths = [], [], []
        for number in range(1, ROUNDS + 1):
            ours, steps, run, growth = self._ours_once(schedule)
            # The delivered zip is what the baseline puts: the same bytes.
            zip_path = self.sshd.upload_dir / run.file_name
            zip_size = os.path.getsize(zip_path)
            self.assertEqual(zip_size, run.file_size)
            sql_csv, put = self._baseline_once(zip_path)
            baseline = sql_csv + put
            ours_times.append(ours)
            baseline_times.append(baseline)
            growths.append(growth / 2**20)
            print(
                f"\n[sftp_export] round {number}: {N_BILLS} bills + {N_PDFS} "
                f"originals, zip {zip_size / 2**20:.1f} MB\n"
                f"[sftp_export]   ours (Export now, end to end): {ours:.2f} s: "
                + ", ".join(f"{name} {value:.2f} s" for name, value in steps.items())
                + "\n"
                f"[sftp_export]   baseline (SQL+csv {sql_csv:.2f} s, sftp put "
                f"{put:.2f} s): {baseline:.2f} s\n"
                f"[sftp_export]   ratio {ours / baseline:.2f}x, memory growth "
                f"{growths[-1]:.0f} MB"
            )
        ratios = sorted(o / b for o, b in zip(ours_times, baseline_times, strict=True))
        print(
            f"[sftp_export] {ROUNDS} rounds: fastest ours {min(ours_times):.2f} s / "
            f"fastest baseline {min(baseline_times):.2f} s = "
            f"{min(ours_times) / min(baseline_times):.2f}x; median ratio "
            f"{statistics.median(ratios):.2f}x (goal <= 1.6x); peak memory growth "
            f"{max(growths):.0f} MB (goal <= 300 MB)"
        )
