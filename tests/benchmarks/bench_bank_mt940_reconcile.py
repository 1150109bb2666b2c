"""MT940 import benchmark: our parser and our full processing against baselines.

An ING-style file with N credits (default 10,000; BENCH_MT940_N to change) each
naming one of N open invoices. Measured in one run on the same machine:

- our parse (dialect layer + mt-940) against the raw mt-940 parse of the same
  bytes (goal: at most 2x);
- full processing (parse, match, statement lines, reconcile) against Odoo's bare
  batch create of the same N statement lines without matching (goal: at most 1.5x),
  in ROUNDS rounds of both, alternating; each side's time includes the work a
  commit does (the precommit hooks: chatter messages), and each starts from
  vacuumed tables.
"""

import base64
import os
import time

import mt940

from odoo import fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.bank_mt940_reconcile.parsers import mt940_dialect
from odoo.addons.bank_mt940_reconcile.parsers.mt940_writer import build_mt940

from .timing import timed_methods, vacuum

BANK_IBAN = "NL91ABNA0417164300"

N = int(os.environ.get("BENCH_MT940_N", "10000"))
# Rounds of bare create and import, alternating (BENCH_MT940_ROUNDS).
ROUNDS = int(os.environ.get("BENCH_MT940_ROUNDS", "2"))


def _best_of(function, runs=3):
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        function()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def _vacuum():
    """The rows of the rolled-back run before removed (they are dead): every
    run starts from the same tables, as in a database autovacuum keeps. Dead
    rows slow the next run's lookups in the journal (measured: the bare
    create took 116 s first and 152 s after a rolled-back import).
    SKIP_LOCKED: a table this test's transaction locks is left as it is
    rather than waited for."""
    vacuum("VACUUM (SKIP_LOCKED)")


def odoo_steps(env):
    """Seconds spent in Odoo's own steps of the import (summed over chunks):
    the statement-line create, the reconciliation, and the chatter messages
    Odoo posts when an invoice's payment status changes (at each flush of
    the transaction's tracking)."""
    steps = {
        "Odoo's statement-line create": (
            type(env["account.bank.statement.line"]),
            "create",
        ),
        "Odoo's reconciliation": (type(env["account.move.line"]), "_reconcile_plan"),
        "Odoo's payment-status messages": (
            type(env["account.move"]),
            "_track_finalize",
        ),
    }
    return timed_methods(steps)


@tagged("post_install", "-at_install", "benchmark")
class BenchMt940(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        bank = cls.env["res.partner.bank"].create(
            {"acc_number": BANK_IBAN, "partner_id": company.partner_id.id}
        )
        cls.journal = cls.env["account.journal"].create(
            {
                "name": "Bench bank",
                "code": "BNCH",
                "type": "bank",
                "bank_account_id": bank.id,
            }
        )
        partner = cls.env["res.partner"].create({"name": "Bench klant"})
        start = time.perf_counter()
        cls.invoices = cls.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [
                        (0, 0, {"name": "x", "price_unit": 10 + i % 90, "tax_ids": []})
                    ],
                }
                for i in range(N)
            ]
        )
        cls.invoices.action_post()
        elapsed = time.perf_counter() - start
        print(f"\n[bench mt940] setup: {N} invoices in {elapsed:.1f} s")
        cls.data = build_mt940(
            [
                {
                    "amount": invoice.amount_total,
                    "remi": f"Factuur {invoice.name}",
                    "ref": f"{index + 1:014d}",
                }
                for index, invoice in enumerate(cls.invoices)
            ]
        )

    def test_parse_and_process(self):
        raw = _best_of(lambda: mt940.parse_statements(self.data))
        ours = _best_of(lambda: mt940_dialect.parse(self.data))
        (statement,) = mt940_dialect.parse(self.data)
        self.assertEqual(len(statement.transactions), N)
        self.assertEqual(len(mt940.parse_statements(self.data)[0]), N)
        print(
            f"\n[bench mt940] {N} credits, {len(self.data) / 1e6:.1f} MB\n"
            f"  parse: mt-940 raw {raw:.2f} s, ours {ours:.2f} s, "
            f"ratio {ours / raw:.2f}x (goal <= 2x)"
        )
        # Baseline: Odoo's bare batch create of the same lines.
        vals = [
            {
                "journal_id": self.journal.id,
                "date": t.date,
                "amount": float(t.amount),
                "payment_ref": t.remittance,
                "partner_name": t.counterparty_name,
                "account_number": t.counterparty_account,
            }
            for t in statement.transactions
        ]
        # The two sides alternate, each rolled back after (and its dead rows
        # vacuumed), and take turns to go first: a busy moment of the machine
        # falls on one round, not on one side.
        results = []
        for number in range(1, ROUNDS + 1):
            ours_first = number % 2 == 0
            if ours_first:
                full, steps = self._rolled_back(self._import_file, self._check_import)
            bare, _steps = self._rolled_back(
                lambda: self.env["account.bank.statement.line"].create(vals),
                lambda lines: self.assertEqual(len(lines), N),
            )
            if not ours_first:
                full, steps = self._rolled_back(self._import_file, self._check_import)
            results.append((bare, full))
            first = "ours" if ours_first else "bare create"
            print(
                f"  round {number} ({first} first): bare create {bare:.1f} s, "
                f"ours (parse + match + lines + reconcile) {full:.1f} s, "
                f"ratio {full / bare:.2f}x (goal <= 1.5x)\n  of ours: "
                + ", ".join(
                    f"{name} {seconds:.1f} s ({seconds / bare:.2f}x the bare create)"
                    for name, seconds in steps.items()
                )
                + f", the rest (parse, match, log lines) "
                f"{full - sum(steps.values()):.1f} s"
            )
        best_bare = min(bare for bare, _full in results)
        best_full = min(full for _bare, full in results)
        print(
            f"  processing, fastest of {ROUNDS} round(s): bare create "
            f"{best_bare:.1f} s, ours {best_full:.1f} s, "
            f"ratio {best_full / best_bare:.2f}x (goal <= 1.5x)"
        )

    def _import_file(self):
        record = self.env["bank.mt940.file"].create(
            {"file_name": "bench.940", "file_data": base64.b64encode(self.data)}
        )
        self.env.flush_all()
        # The whole import in one transaction: what "Process now" does for a
        # small file, and the cron for a large one (less its commits per chunk).
        record._process_file()
        return record

    def _check_import(self, record):
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(set(self.invoices.mapped("payment_state")), {"paid"})

    def _rolled_back(self, function, check):
        """(seconds function takes, {Odoo step: seconds}), with the work a
        commit would do (flush and the precommit hooks: chatter messages);
        check(result) runs before all is rolled back."""
        self.env.cr.flush()
        _vacuum()
        savepoint = self.env.cr.savepoint()
        try:
            with odoo_steps(self.env) as steps:
                start = time.perf_counter()
                result = function()
                self.env.cr.flush()
                elapsed = time.perf_counter() - start
            check(result)
        finally:
            savepoint.rollback()
            savepoint.close(rollback=False)
            self.env.invalidate_all()
        return elapsed, dict(steps)
