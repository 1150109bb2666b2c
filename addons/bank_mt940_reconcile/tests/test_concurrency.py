"""Real concurrent sessions: progress seen from outside, one file per journal.

These tests commit their own bank journal and files through separate cursors,
as the web client and the cron would, and delete them again afterwards.
"""

import base64
import threading
import time
from datetime import date
from functools import partial
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.orm.registry import Registry
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.bank_mt940_reconcile.models import bank_mt940_file_import
from odoo.addons.base.models.ir_cron import IrCron

from .common import NOT_IMPORTED, activate_dutch, build_mt940, ensure_chart

# Not used by any other test or demo record.
IBAN = "NL07INGB0009400940"
# Every wait of these tests is bounded.
TIMEOUT = 60


@tagged("post_install", "-at_install")
class TestConcurrentSessions(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].search([], order="id", limit=1)
            ensure_chart(env, company)
            # Deleting a bank account only archives it: take it back.
            Bank = env["res.partner.bank"].with_context(active_test=False)
            bank = Bank.search(
                [
                    ("sanitized_acc_number", "=", IBAN),
                    ("partner_id", "=", company.partner_id.id),
                ],
                limit=1,
            )
            bank.active = True
            bank = bank or Bank.create(
                {"acc_number": IBAN, "partner_id": company.partner_id.id}
            )
            # A run that was killed may have left its journal behind.
            journal = env["account.journal"].search(
                [("code", "=", "MTCC"), ("company_id", "=", company.id)]
            ) or env["account.journal"].create(
                {
                    "name": "Concurrency test bank",
                    "code": "MTCC",
                    "type": "bank",
                    "bank_account_id": bank.id,
                    "company_id": company.id,
                }
            )
            # Other users read the progress in Dutch too.
            activate_dutch(env)
            cls.company_id = company.id
            cls.journal_id = journal.id
            cls.bank_id = bank.id
        cls.addClassCleanup(cls._delete_journal)

    @classmethod
    def _delete_journal(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["account.journal"].browse(cls.journal_id).unlink()
            env["res.partner.bank"].browse(cls.bank_id).unlink()

    def setUp(self):
        super().setUp()
        self._delete_files_and_lines()  # left by a run that was killed
        self.addCleanup(self._delete_files_and_lines)
        self._let_sessions_make_environments()

    def _let_sessions_make_environments(self):
        """Odoo's runner (odoo-bin --test-enable) runs the tests while holding
        Registry._lock (odoo/service/server.py, run()); a session's thread
        needs that lock to make its first Environment (Registry(dbname)), and
        would wait for the end of the test run. Release it for the test (this
        thread owns it) and take it back afterwards; under pytest-odoo nobody
        holds it and this does nothing."""
        lock = Registry._lock
        held = 0
        while getattr(lock, "_is_owned", lambda: False)():
            lock.release()
            held += 1
        self.addCleanup(lambda: [lock.acquire() for _ in range(held)])

    def _delete_files_and_lines(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            files = env["bank.mt940.file"].with_context(active_test=False)
            files.search([("journal_id", "=", self.journal_id)]).unlink()
            lines = env["account.bank.statement.line"].search(
                [("journal_id", "=", self.journal_id)]
            )
            lines.unlink()

    def _committed_file(self, payments, reference):
        data = build_mt940(
            payments, account=IBAN, reference=reference, day=date(2026, 3, 2)
        )
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            record = env["bank.mt940.file"].create(
                {
                    "file_name": f"{reference}.940",
                    "file_data": base64.b64encode(data),
                    "company_id": self.company_id,
                }
            )
            self.assertEqual(record.journal_id.id, self.journal_id)
            return record.id

    def _in_session(self, function, results, key):
        """Run function(env) in a cursor of its own, as one web request would:
        retried on concurrency errors, then committed."""
        try:
            with self.registry.cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = '60s'")
                env = api.Environment(cr, SUPERUSER_ID, {})
                retrying(partial(function, env), env)
            results[key] = "ok"
        except UserError as error:
            results[key] = error.args[0]
        except Exception as error:  # noqa: BLE001 (the test asserts on it)
            results[key] = repr(error)

    def _start(self, *targets):
        results = {}
        threads = [
            threading.Thread(target=self._in_session, args=(function, results, key))
            for key, function in targets
        ]
        for thread in threads:
            thread.start()
        return threads, results

    def _join(self, threads):
        for thread in threads:
            thread.join(TIMEOUT)
            self.assertFalse(thread.is_alive(), "a session did not end")

    def _read(self, model, domain, fields, lang=None):
        """What another user sees right now (committed data only)."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"lang": lang} if lang else {})
            return env[model].search_read(domain, fields)

    def _files(self, *ids):
        rows = self._read(
            "bank.mt940.file", [("id", "in", ids)], ["state", "progress", "message"]
        )
        return {row["id"]: row for row in rows}

    def _waiting_for_journal(self):
        with self.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND classid = %s AND objid = %s AND NOT granted",
                    bank_mt940_file_import.JOURNAL_LOCK_KEY,
                    self.journal_id,
                )
            )
            return cr.fetchone()[0]

    def _wait_until(self, condition):
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            self.assertLess(time.monotonic(), deadline, "timed out")
            time.sleep(0.05)

    def _hold_journal(self):
        """Another file of the journal being processed: a session holding the lock."""
        cr = self.registry.cursor()
        cr.execute(
            SQL(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                bank_mt940_file_import.JOURNAL_LOCK_KEY,
                self.journal_id,
            )
        )
        return cr

    def test_cron_imports_in_committed_chunks_that_others_see(self):
        payments = [{"amount": n + 1, "remi": f"betaling {n}"} for n in range(600)]
        file_id = self._committed_file(payments, "CHUNKS")
        commit_progress = IrCron._commit_progress

        def time_is_up(cron, processed=0, **kwargs):
            # Commits as in a real run, then says the run's time is up.
            commit_progress(cron, processed, **kwargs)
            return 0.0

        def cron_run(env):
            env["bank.mt940.file"].browse(file_id)._cron_process_file()

        seen = []
        with (
            patch.object(bank_mt940_file_import, "FIRST_CHUNK_SIZE", 250),
            patch.object(bank_mt940_file_import, "CHUNK_SIZE", 250),
            patch.object(IrCron, "_commit_progress", time_is_up),
        ):
            for _run in range(3):
                threads, results = self._start(("cron", cron_run))
                self._join(threads)
                self.assertEqual(results, {"cron": "ok"})
                row = self._files(file_id)[file_id]
                (dutch,) = self._read(
                    "bank.mt940.file", [("id", "=", file_id)], ["progress"], "nl_NL"
                )
                lines = self._read(
                    "account.bank.statement.line",
                    [("journal_id", "=", self.journal_id)],
                    ["amount"],
                )
                seen.append(
                    (row["state"], row["progress"], dutch["progress"], len(lines))
                )
        self.assertEqual(
            seen,
            [
                ("processing", "250 / 600 transactions", "250 / 600 transacties", 250),
                ("processing", "500 / 600 transactions", "500 / 600 transacties", 500),
                ("processed", False, False, 600),
            ],
        )
        logs = self._read("bank.mt940.log", [("file_id", "=", file_id)], ["status"])
        self.assertEqual(len(logs), 600)
        self.assertEqual({log["status"] for log in logs}, {"unmatched"})

    def test_two_files_with_the_same_payments_at_the_same_moment(self):
        shared = {"amount": 75, "remi": "factuur 17", "ref": "00000000000017"}
        first = self._committed_file(
            [shared, {"amount": 10, "remi": "a", "ref": "00000000000018"}], "FIRST"
        )
        second = self._committed_file(
            [{"amount": 20, "remi": "b", "ref": "00000000000019"}, shared], "SECOND"
        )
        blocker = self._hold_journal()
        try:
            threads, results = self._start(
                (
                    "now",
                    lambda env: env["bank.mt940.file"].browse(first).action_process(),
                ),
                (
                    "cron",
                    lambda env: (
                        env["bank.mt940.file"].browse(second)._cron_process_file()
                    ),
                ),
            )
            # Both wait for the journal, neither has imported anything yet.
            self._wait_until(lambda: self._waiting_for_journal() == 2)
        finally:
            blocker.rollback()
            blocker.close()
        self._join(threads)
        self.assertEqual(results, {"now": "ok", "cron": "ok"})
        files = self._files(first, second)
        # Process now waited and was retried; the cron postpones a file that
        # had to wait, without an error: its next run takes it.
        self.assertEqual(files[first]["state"], "processed", files[first]["message"])
        self.assertEqual(files[second]["state"], "waiting")
        self.assertFalse(files[second]["message"])
        self._in_session(
            lambda env: env["bank.mt940.file"].browse(second)._cron_process_file(),
            results,
            "cron",
        )
        self.assertEqual(results["cron"], "ok")
        files = self._files(first, second)
        self.assertEqual(
            [files[first]["state"], files[second]["state"]],
            ["processed", "processed"],
        )
        lines = self._read(
            "account.bank.statement.line",
            [("journal_id", "=", self.journal_id)],
            ["amount"],
        )
        self.assertEqual(sorted(line["amount"] for line in lines), [10, 20, 75])
        logs = self._read(
            "bank.mt940.log",
            [("file_id", "in", [first, second])],
            ["status", "message", "amount"],
        )
        self.assertEqual(
            sorted(log["status"] for log in logs),
            ["duplicate", "unmatched", "unmatched", "unmatched"],
        )
        (duplicate,) = [log for log in logs if log["status"] == "duplicate"]
        self.assertEqual(
            (duplicate["message"], duplicate["amount"]), (NOT_IMPORTED, 75)
        )

    def test_same_file_processed_twice_at_once(self):
        file_id = self._committed_file(
            [{"amount": 33, "remi": "dubbel", "ref": "00000000000033"}], "TWICE"
        )

        def process_now(env):
            env["bank.mt940.file"].browse(file_id).action_process()

        blocker = self._hold_journal()
        try:
            threads, results = self._start(("a", process_now), ("b", process_now))
            # One session has the file and waits for the journal; the other
            # is told at once that the file is being processed.
            self._wait_until(
                lambda: self._waiting_for_journal() == 1 and len(results) == 1
            )
        finally:
            blocker.rollback()
            blocker.close()
        self._join(threads)
        self.assertEqual(
            sorted(results.values()),
            [
                (
                    "TWICE.940 is being processed right now. Refresh the page in "
                    "a moment to see the result."
                ),
                "ok",
            ],
        )
        self.assertEqual(self._files(file_id)[file_id]["state"], "processed")
        lines = self._read(
            "account.bank.statement.line",
            [("journal_id", "=", self.journal_id)],
            ["amount"],
        )
        self.assertEqual([line["amount"] for line in lines], [33])
        # And once it is processed, Process now says so.
        self._in_session(process_now, results, "later")
        self.assertEqual(
            results["later"],
            "Only waiting files or files in error can be processed.",
        )
