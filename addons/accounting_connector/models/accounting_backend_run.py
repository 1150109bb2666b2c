"""The connector's run: workers that claim, carry and record tasks, in time."""

import logging
import threading
import time
import uuid
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.orm.environments import Transaction
from odoo.tools import SQL

from ..backends import BackendError, perform
from .accounting_backend import MAX_RUN_SECONDS
from .accounting_task_queue import due_heads_sql

_logger = logging.getLogger(__name__)

# every connector of a call that starts inside Odoo's window for the job
# (ir.cron's MIN_TIME_PER_JOB) gets this much time, also when the connectors
# before it used the window up
MIN_RUN_SECONDS = 2


class LeaseKeeper:
    """Renews the claim of the task a worker is carrying, while it is alive.

    A thread of the worker: it dies with the worker (server killed, cron worker
    stopped by Odoo), and then the claim runs out within ``lease_seconds``.
    """

    def __init__(self, cursor_factory, token, lease_seconds):
        self.cursor_factory = cursor_factory
        self.token = token
        self.lease_seconds = lease_seconds
        self.interval = max(lease_seconds / 3, 1)
        self.task_id = None
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name="accounting-connector-lease", daemon=True
        )

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _beat(self):
        while not self._stop.wait(self.interval):
            task_id = self.task_id
            if task_id is None:
                continue
            try:
                self.renew(task_id)
            except psycopg2.Error:
                # the next beat tries again; a claim that runs out is taken over
                _logger.warning("Accounting task %s: claim not renewed", task_id)

    def renew(self, task_id):
        with self.cursor_factory() as cr:
            cr.execute(
                SQL(
                    "UPDATE accounting_task SET lease_until = "
                    "(now() at time zone 'UTC') + %s * interval '1 second' "
                    "WHERE id = %s AND state = 'running' AND lease_token = %s",
                    self.lease_seconds,
                    task_id,
                    self.token,
                )
            )


class AccountingBackend(models.Model):
    _inherit = "accounting.backend"

    def _run(
        self,
        time_budget=None,
        cursor_factory=None,
        client_factory=None,
        before_start=None,
    ):
        """Run this connector's workers in parallel until the budget is spent.

        Everything the workers need is read first: they only use cursors of
        their own, never this record's cursor.

        :param cursor_factory: opens the cursor of one claim or one result
            (default: a new cursor of the registry, committed when closed)
        :param client_factory: makes the package client of one worker
        :param before_start: called once the settings are read, before the
            workers start (the cron ends its transaction there, so that no
            snapshot stays open during the run)
        :return: how many task attempts were carried out
        """
        self.ensure_one()
        # the workers' cursors must see what this transaction prepared
        self.env.flush_all()
        deadline = time.monotonic() + (time_budget or self.time_budget_seconds)
        cursor_factory = cursor_factory or self.env.registry.cursor
        client_factory = client_factory or self._client_maker()
        count = self.worker_count
        lease_seconds = self.lease_seconds
        backend_id = self.id
        if before_start:
            before_start()
        args = (deadline, cursor_factory, client_factory, lease_seconds)
        if count == 1:
            return self._run_worker(*args)
        results = [0] * count

        def work(index):
            results[index] = self._run_worker(*args, slot=(index, count))

        threads = [
            threading.Thread(
                target=work, args=(i,), name=f"accounting-connector-{backend_id}-{i}"
            )
            for i in range(count)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sum(results)

    def _run_worker(
        self, deadline, cursor_factory, client_factory, lease_seconds, slot=(0, 1)
    ):
        """One worker: claim the head task of a free dossier, carry it, repeat.

        Each transaction claims the next task and records the outcome of the
        previous one (one commit per task); the package is called in between, with
        no transaction open, while the lease keeper renews the task's claim.
        """
        token = uuid.uuid4().hex
        with LeaseKeeper(cursor_factory, token, lease_seconds) as keeper:
            return self._work(
                deadline, cursor_factory, client_factory, lease_seconds, slot, keeper
            )

    def _work(
        self, deadline, cursor_factory, client_factory, lease_seconds, slot, keeper
    ):
        token = keeper.token
        client = None
        handled = 0
        outcome = None  # (task id, result, error) still to be recorded
        while True:
            take_more = time.monotonic() < deadline
            if outcome is None and not take_more:
                break
            request = None
            recording = False
            try:
                with cursor_factory() as cr:
                    env = self._worker_env(cr)
                    Task = env["accounting.task"]
                    if take_more:
                        backend = env[self._name].browse(self.id)
                        request = Task._claim(backend, token, lease_seconds, slot)[1]
                    if outcome is not None:
                        recording = True
                        Task.browse(outcome[0])._record_result(token, *outcome[1:])
            except psycopg2.extensions.TransactionRollbackError:
                # Another worker changed a row under our snapshot: nothing of
                # this transaction counts. A claim is simply tried again; a
                # result is dropped, the worker that took the lease over reports.
                if recording:
                    _logger.warning(
                        "Accounting task %s: result not recorded", outcome[0]
                    )
                    outcome = None
                continue
            finished_one = outcome is not None
            outcome = None
            if not request:
                if finished_one and take_more:
                    # the next task of the dossier just finished may be free now
                    continue
                break
            result = error = None
            keeper.task_id = request["task_id"]
            try:
                if client is None:
                    client = client_factory()
                result = perform(client, request)
            except Exception as exc:  # classified when recorded, never swallowed
                error = exc
                if not isinstance(exc, BackendError):
                    _logger.exception(
                        "Accounting task %s failed unexpectedly", request["task_id"]
                    )
            finally:
                keeper.task_id = None
            outcome = (request["task_id"], result, error)
            handled += 1
        return handled

    def _worker_env(self, cr):
        """This environment on a worker's cursor."""
        if cr.transaction is None:
            # the registry is known: looking it up by name would wait for the
            # registry lock, which a server loading modules (or running tests) holds
            cr.transaction = Transaction(self.env.registry)
        return self.env(cr=cr)

    def _due_task_count(self):
        """Dossiers whose first open task a run could take now (the progress)."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM %s",
                due_heads_sql(self.id, fields.Datetime.now()),
            )
        )
        return self.env.cr.fetchone()[0]

    def _next_wake_up(self):
        """When a run must look again: a retry falls due or a claim runs out."""
        self.ensure_one()
        Task = self.env["accounting.task"].sudo()
        domain = [("dossier_id.backend_id", "=", self.id)]
        times = [
            task[field]
            for state, field in (
                ("running", "lease_until"),
                ("pending", "next_attempt_at"),
            )
            for task in Task.search(
                [*domain, ("state", "=", state), (field, "!=", False)],
                order=f"{field}, id",
                limit=1,
            )
        ]
        return min(times) + timedelta(seconds=1) if times else None

    def _wake_up_at(self, when):
        """Make sure the connector's scheduled action runs again by ``when``."""
        self.ensure_one()
        # sudo: the connector's own scheduled action (ir.cron is system-only)
        cron = self.cron_id.sudo()
        if not cron or not cron.active or when >= cron.nextcall:
            return
        now = fields.Datetime.now()
        if (
            self.env["ir.cron.trigger"]
            .sudo()
            .search_count(
                [
                    ("cron_id", "=", cron.id),
                    ("call_at", ">", now),
                    ("call_at", "<=", when),
                ],
                limit=1,
            )
        ):
            return
        cron._trigger(max(when, now))

    @api.model
    def _cron_run_connectors(self, backend_ids=None):
        """Scheduled run: each connector (or the given ones) for a short time.

        The run stops in time for Odoo's cron limits (``_commit_progress`` says
        how much time is left) and reports the dossiers still waiting, so that
        Odoo runs it again at once; a retry or the claim of a stopped worker
        wakes the connector up when it falls due.
        """
        domain = [("id", "in", backend_ids)] if backend_ids else []
        backends = self.search(domain, limit=100)
        cron = self.env["ir.cron"]
        if cron._commit_progress() <= 0:
            # Odoo calls a job again while it reports work left, and every due job
            # of a cron worker shares that worker's time limit: once this job's own
            # window is spent, a call does no work (which ends Odoo's loop) and
            # the trigger starts a fresh run for what waits.
            waiting = 0
            for backend in backends:
                due = backend._due_task_count()
                if due:
                    # sudo: the connector's own scheduled action (system-only model)
                    backend.cron_id.sudo()._trigger()
                    waiting += due
            cron._commit_progress(0, remaining=waiting)
            return
        for backend in backends:
            if backend._due_task_count():
                # Should this server stop during the run, the claims of its
                # tasks run out and this wakes another server up for them.
                backend._wake_up_at(
                    fields.Datetime.now()
                    + timedelta(seconds=MAX_RUN_SECONDS + backend.lease_seconds + 5)
                )
            time_left = cron._commit_progress()
            budget = max(
                min(backend.time_budget_seconds, time_left, MAX_RUN_SECONDS),
                MIN_RUN_SECONDS,
            )
            # ir.cron gives no language: what the run stores (task errors,
            # instructions) is written in the language of the connector's company
            company = backend.company_id or self.env.company
            lang = company.partner_id.lang or self.env.user.lang
            handled = backend.with_context(lang=lang)._run(
                time_budget=budget, before_start=cron._commit_progress
            )
            remaining = backend._due_task_count()
            if remaining:
                # Odoo runs the job again while it reports work left (the
                # progress below), then only reschedules it: without a trigger
                # that wakes them, its cron workers sleep up to a minute first.
                # sudo: the connector's own scheduled action (system-only model)
                backend.cron_id.sudo()._trigger()
            else:
                wake_up = backend._next_wake_up()
                if wake_up:
                    backend._wake_up_at(wake_up)
            cron._commit_progress(handled, remaining=remaining)
