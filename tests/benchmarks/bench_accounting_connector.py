"""Accounting connector: 10,000 no-op tasks over 100 dossiers with 2 workers.

Ours: the connector's own workers (claim the head task of a free dossier with
FOR UPDATE SKIP LOCKED and a lease, call the package, record the result; two
transactions per task). Baseline, same run, same table, same tasks: a bare
``SELECT ... FOR UPDATE SKIP LOCKED`` claim-and-mark loop in 2 threads, which
knows nothing of FIFO per dossier, leases or results.

Prints the throughput of both and the ratio ours / baseline (goal >= 0.5),
tasks carried twice (goal 0) and FIFO violations per dossier (goal 0).

Plain pytest functions, not a TransactionCase: a test transaction left open for
the whole run would keep PostgreSQL from cleaning the rows both loops update.
Everything committed is removed at the end.
"""

import itertools
import threading
import time

import psycopg2

from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import Registry
from odoo.tests.common import get_db_name
from odoo.tools import SQL

from odoo.addons.accounting_connector.backends import AccountingBackend

from .timing import vacuum

TASKS = 10_000
DOSSIERS = 100
WORKERS = 2


class NoopClient(AccountingBackend):
    """The package answers at once; notes the order in which tasks arrive."""

    def __init__(self):
        self.lock = threading.Lock()
        self.keys = []

    def post_proposal(self, dossier_code, proposal, idempotency_key):
        with self.lock:
            self.keys.append((dossier_code, idempotency_key))
        return "ok"


def _committed(function):
    with Registry(get_db_name()).cursor() as cr:
        return function(api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True}))


def _setup(env):
    companies = env["res.company"].create(
        [{"name": f"Bench klant {index}"} for index in range(DOSSIERS)]
    )
    backend = env["accounting.backend"].create(
        {
            "name": "Bench package",
            "url": "http://127.0.0.1:9",
            "database": "bench",
            "api_key": "unused",
            "worker_count": WORKERS,
            "active": False,
        }
    )
    dossiers = env["accounting.dossier"].create(
        [
            {
                "name": company.name,
                "code": f"BENCH-{index}",
                "company_id": company.id,
                "backend_id": backend.id,
                "state": "active",
                "activation_date": fields.Datetime.now(),
            }
            for index, company in enumerate(companies)
        ]
    )
    tasks = env["accounting.task"].create(
        [
            {
                "dossier_id": dossiers[number % DOSSIERS].id,
                "task_type": "post_proposal",
                "record_name": f"INV/{number}",
            }
            for number in range(TASKS)
        ]
    )
    return companies.ids, backend.id, dossiers.ids, tasks.ids


def _cleanup(company_ids, backend_id, dossier_ids):
    def remove(env):
        env["accounting.dossier"].browse(dossier_ids).unlink()
        env["accounting.backend"].browse(backend_id).unlink()
        env["res.company"].browse(company_ids).unlink()

    _committed(remove)


def _reset(dossier_ids):
    _committed(
        lambda env: env.cr.execute(
            SQL(
                "UPDATE accounting_task SET state = 'pending', attempt_count = 0, "
                "lease_token = NULL, lease_until = NULL "
                "WHERE dossier_id = ANY(%s)",
                dossier_ids,
            )
        )
    )


def _vacuum():
    """Both loops start from a table without dead rows."""
    vacuum("VACUUM ANALYZE accounting_task")


def _baseline(dossier_ids):
    done = []

    def loop():
        count = 0
        with Registry(get_db_name()).cursor() as cr:
            while True:
                try:
                    cr.execute(
                        SQL(
                            "SELECT id FROM accounting_task "
                            "WHERE state = 'pending' AND dossier_id = ANY(%s) "
                            "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                            dossier_ids,
                        ),
                        log_exceptions=False,
                    )
                except psycopg2.extensions.TransactionRollbackError:
                    cr.rollback()
                    continue
                row = cr.fetchone()
                if not row:
                    cr.commit()
                    break
                cr.execute(
                    SQL(
                        "UPDATE accounting_task SET state = 'done' WHERE id = %s",
                        row[0],
                    )
                )
                cr.commit()
                count += 1
        done.append(count)

    threads = [threading.Thread(target=loop) for _ in range(WORKERS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done), time.perf_counter() - start


def _ours(backend_id):
    client = NoopClient()

    def run(env):
        backend = env["accounting.backend"].browse(backend_id)
        start = time.perf_counter()
        handled = backend._run(
            time_budget=3600,
            cursor_factory=Registry(get_db_name()).cursor,
            client_factory=lambda: client,
            before_start=env.cr.commit,
        )
        return handled, time.perf_counter() - start

    handled, elapsed = _committed(run)
    return client, handled, elapsed


def test_bench_fifo_queue_against_bare_skip_locked_loop():
    company_ids, backend_id, dossier_ids, task_ids = _committed(_setup)
    try:
        _vacuum()
        base_count, base_time = _baseline(dossier_ids)
        _reset(dossier_ids)
        _vacuum()
        client, handled, ours_time = _ours(backend_id)

        keys = _committed(
            lambda env: (
                env["accounting.task"]
                .browse(task_ids)
                .read(["idempotency_key", "dossier_id", "state", "attempt_count"])
            )
        )
    finally:
        _cleanup(company_ids, backend_id, dossier_ids)

    sent = [key for (_code, key) in client.keys]
    twice = len(sent) - len(set(sent))
    fifo_violations = 0
    expected = {}
    for row in sorted(keys, key=lambda r: r["id"]):
        expected.setdefault(row["dossier_id"][0], []).append(row["idempotency_key"])
    position = {key: index for index, key in enumerate(sent)}
    for dossier_keys in expected.values():
        order = [position.get(key, -1) for key in dossier_keys]
        fifo_violations += sum(1 for a, b in itertools.pairwise(order) if a > b)
    base_rate = base_count / base_time
    ours_rate = handled / ours_time
    print(
        f"\naccounting_connector: {TASKS} no-op tasks, {DOSSIERS} dossiers, "
        f"{WORKERS} workers\n"
        f"  baseline (bare SKIP LOCKED claim-and-mark): {base_count} tasks in "
        f"{base_time:.2f} s = {base_rate:.0f} tasks/s\n"
        f"  ours (FIFO per dossier, lease, result):     {handled} tasks in "
        f"{ours_time:.2f} s = {ours_rate:.0f} tasks/s\n"
        f"  ratio ours / baseline: {ours_rate / base_rate:.2f}x (goal >= 0.5)\n"
        f"  tasks carried twice: {twice} (goal 0); FIFO violations: "
        f"{fifo_violations} (goal 0); not done: "
        f"{sum(1 for row in keys if row['state'] != 'done')}"
    )
    assert base_count == TASKS
    assert handled == TASKS
    assert twice == 0
    assert fifo_violations == 0
    assert {row["state"] for row in keys} == {"done"}
    assert {row["attempt_count"] for row in keys} == {1}
