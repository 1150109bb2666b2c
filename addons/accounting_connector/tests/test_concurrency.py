"""Workers in real, concurrent PostgreSQL transactions on committed data.

These tests commit (the point is to see other transactions), so they create
their records through cursors of their own and remove them afterwards.
"""

import itertools
import threading
import time
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import TransactionCase, tagged

from ..models.accounting_backend_run import LeaseKeeper
from .common import ScriptedClient


class TimedClient(ScriptedClient):
    """Notes when each call starts and ends; can make two workers meet inside."""

    def __init__(self, delay=0.02, meet=False):
        super().__init__(delay=delay)
        self.spans = []  # (dossier code, key, start, end)
        self.barrier = threading.Barrier(2, timeout=20) if meet else None
        self.met = False

    def post_proposal(self, dossier_code, proposal, idempotency_key):
        start = time.monotonic()
        if self.barrier is not None and not self.barrier.broken:
            # the first call of each worker waits for the other worker's call:
            # only possible when two dossiers are carried at the same time
            try:
                self.barrier.wait()
                self.met = True
            finally:
                self.barrier = None
        result = super().post_proposal(dossier_code, proposal, idempotency_key)
        with self._lock:
            self.spans.append((dossier_code, idempotency_key, start, time.monotonic()))
        return result


@tagged("post_install", "-at_install")
class TestParallelWorkers(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            companies = env["res.company"].create(
                [{"name": f"Parallel klant {index}"} for index in range(3)]
            )
            backend = env["accounting.backend"].create(
                {
                    "name": "Parallel test package",
                    "url": "http://127.0.0.1:9",
                    "database": "nowhere",
                    "api_key": "unused",
                    "worker_count": 2,
                    "active": False,
                }
            )
            dossiers = env["accounting.dossier"].create(
                [
                    {
                        "name": company.name,
                        "code": f"P-{index}",
                        "company_id": company.id,
                        "backend_id": backend.id,
                        "state": "active",
                        "activation_date": fields.Datetime.now(),
                    }
                    for index, company in enumerate(companies)
                ]
            )
            cls.company_ids = companies.ids
            cls.backend_id = backend.id
            cls.dossier_ids = dossiers.ids
        cls.addClassCleanup(cls._remove_committed_records)

    @classmethod
    def _remove_committed_records(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["accounting.dossier"].browse(cls.dossier_ids).unlink()
            env["accounting.backend"].browse(cls.backend_id).unlink()
            env["res.company"].browse(cls.company_ids).unlink()

    def setUp(self):
        super().setUp()
        self.addCleanup(self._remove_tasks)

    def _remove_tasks(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["accounting.task"].search(
                [("dossier_id", "in", self.dossier_ids)]
            ).unlink()

    def _committed(self, function):
        with self.registry.cursor() as cr:
            return function(api.Environment(cr, SUPERUSER_ID, {}))

    def _queue(self, dossier_indexes):
        def create(env):
            tasks = env["accounting.task"]
            for number, index in enumerate(dossier_indexes):
                tasks |= env["accounting.task"].create(
                    {
                        "dossier_id": self.dossier_ids[index],
                        "task_type": "post_proposal",
                        "record_name": f"INV/{number}",
                        "payload": {"ref": f"INV/{number}"},
                    }
                )
            return tasks.ids

        return self._committed(create)

    def _run(self, client, worker_count=2):
        def run(env):
            backend = env["accounting.backend"].browse(self.backend_id)
            backend.worker_count = worker_count
            return backend._run(
                time_budget=60,
                cursor_factory=self.registry.cursor,
                client_factory=lambda: client,
                # no snapshot of this cursor stays open while the workers run
                before_start=env.cr.commit,
            )

        return self._committed(run)

    def _read(self, task_ids, fields_list):
        return self._committed(
            lambda env: {
                row["id"]: row
                for row in env["accounting.task"].browse(task_ids).read(fields_list)
            }
        )

    def test_two_workers_carry_different_dossiers_at_once_fifo_each(self):
        task_ids = self._queue([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
        tasks = self._read(task_ids, ["idempotency_key", "dossier_id"])
        client = TimedClient(meet=True)
        handled = self._run(client)

        self.assertEqual(handled, 12)
        # the two workers were inside the package at the same moment
        self.assertTrue(client.met, "the workers never met")
        self.assertEqual(len({call[3] for call in client.calls}), 2)
        # every task exactly once
        self.assertEqual(
            sorted(client.keys),
            sorted(row["idempotency_key"] for row in tasks.values()),
        )
        for index, _dossier_id in enumerate(self.dossier_ids):
            code = f"P-{index}"
            spans = [span for span in client.spans if span[0] == code]
            expected = [
                tasks[task_id]["idempotency_key"]
                for task_id in sorted(task_ids)
                if tasks[task_id]["dossier_id"][0] == self.dossier_ids[index]
            ]
            self.assertEqual([span[1] for span in spans], expected, "FIFO per dossier")
            for before, after in itertools.pairwise(spans):
                self.assertLessEqual(before[3], after[2], "one at a time per dossier")
        states = self._read(task_ids, ["state", "attempt_count"])
        self.assertEqual({row["state"] for row in states.values()}, {"done"})
        self.assertEqual({row["attempt_count"] for row in states.values()}, {1})

    def test_one_dossier_stays_strictly_sequential_with_two_workers(self):
        task_ids = self._queue([0] * 8)
        keys = self._read(task_ids, ["idempotency_key"])
        client = TimedClient()
        self._run(client)
        self.assertEqual(
            client.keys,
            [keys[task_id]["idempotency_key"] for task_id in sorted(task_ids)],
        )
        spans = client.spans
        for before, after in itertools.pairwise(spans):
            self.assertLessEqual(before[3], after[2])

    def test_task_of_a_killed_worker_is_retried_after_its_lease(self):
        first, second, other = self._queue([0, 0, 1])

        def claim_and_die(env):
            backend = env["accounting.backend"].browse(self.backend_id)
            return env["accounting.task"]._claim_next(backend, "worker-that-died").id

        # a worker claims the first task, commits its lease and is killed
        self.assertEqual(self._committed(claim_and_die), first)

        client = TimedClient()
        self._run(client)
        keys = self._read([first, second, other], ["idempotency_key"])
        self.assertEqual(client.keys, [keys[other]["idempotency_key"]])
        states = self._read([first, second], ["state"])
        self.assertEqual(states[first]["state"], "running", "leased, not retried yet")
        self.assertEqual(states[second]["state"], "pending", "FIFO: waits behind it")

        # the lease runs out
        self._committed(
            lambda env: (
                env["accounting.task"]
                .browse(first)
                .write({"lease_until": fields.Datetime.now() - timedelta(seconds=1)})
            )
        )
        self._run(client)
        rows = self._read([first, second], ["state", "attempt_count", "external_ref"])
        self.assertEqual(rows[first]["state"], "done")
        self.assertEqual(rows[first]["attempt_count"], 2)
        self.assertEqual(rows[second]["state"], "done")
        self.assertEqual(
            client.keys[1:],
            [keys[first]["idempotency_key"], keys[second]["idempotency_key"]],
        )

        # the killed worker's late answer does not count
        late = self._committed(
            lambda env: (
                env["accounting.task"]
                .browse(first)
                ._record_result("worker-that-died", "late-ref")
            )
        )
        self.assertFalse(late)
        self.assertEqual(
            self._read([first], ["external_ref"])[first]["external_ref"],
            rows[first]["external_ref"],
        )

    def test_claim_is_renewed_while_its_worker_carries_the_task(self):
        (task_id,) = self._queue([0])

        def claim(env):
            backend = env["accounting.backend"].browse(self.backend_id)
            env["accounting.task"]._claim(backend, "live-worker", lease_seconds=3)
            return env["accounting.task"].browse(task_id).lease_until

        claimed_until = self._committed(claim)
        with LeaseKeeper(self.registry.cursor, "live-worker", 3) as keeper:
            keeper.task_id = task_id
            time.sleep(2.5)
        renewed_until = self._read([task_id], ["lease_until"])[task_id]["lease_until"]
        self.assertGreater(renewed_until, claimed_until, "a live worker keeps it")
        # a keeper of another worker (a lost claim) renews nothing
        with LeaseKeeper(self.registry.cursor, "other-worker", 3) as keeper:
            keeper.renew(task_id)
        self.assertEqual(
            self._read([task_id], ["lease_until"])[task_id]["lease_until"],
            renewed_until,
        )
