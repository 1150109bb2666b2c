import logging
import threading
import time
import uuid

import psycopg2

from odoo import api, fields, models

from ..backends import BACKENDS, BackendError, perform
from .accounting_task import error_text

_logger = logging.getLogger(__name__)


class AccountingBackend(models.Model):
    """A connector to one accounting package: where it is, how it runs."""

    _name = "accounting.backend"
    _description = "Accounting connector"
    _check_company_auto = True
    _order = "name, id"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty when the connector serves the dossiers of every company.",
    )
    backend_type = fields.Selection(
        selection=[("odoo_json2", "Odoo (JSON-2 API)")],
        string="Accounting package",
        required=True,
        default="odoo_json2",
    )
    url = fields.Char(string="URL", help="Address of the accounting package.")
    database = fields.Char(help="Database of the accounting package.")
    api_key = fields.Char(
        string="API key", groups="base.group_system", copy=False, prefetch=False
    )
    interval_minutes = fields.Integer(
        string="Run every (minutes)",
        default=5,
        required=True,
        help="How often the connector looks for tasks: every 5 to 10 minutes.",
    )
    worker_count = fields.Integer(
        string="Parallel workers",
        default=1,
        required=True,
        help="Workers carry the tasks of different dossiers at the same time; "
        "an office with many dossiers runs more than one.",
    )
    time_budget_seconds = fields.Integer(
        string="Time budget (seconds)",
        default=240,
        required=True,
        help="A run takes no new task once this time is spent; the next run continues.",
    )
    lease_seconds = fields.Integer(
        string="Lease (seconds)",
        default=600,
        required=True,
        help="A task whose worker did not report back within this time is "
        "released and tried again.",
    )
    max_attempts = fields.Integer(
        string="Attempts",
        default=5,
        required=True,
        help="How often a task is tried when the accounting package cannot be "
        "reached, before the dossier is blocked.",
    )
    retry_delay_seconds = fields.Integer(
        string="First retry after (seconds)",
        default=60,
        required=True,
        help="The wait doubles after each failed attempt.",
    )
    cron_id = fields.Many2one(
        "ir.cron", string="Scheduled action", readonly=True, copy=False
    )
    dossier_ids = fields.One2many("accounting.dossier", "backend_id")
    dossier_count = fields.Integer(compute="_compute_dossier_count")

    _interval_range = models.Constraint(
        "CHECK(interval_minutes BETWEEN 5 AND 10)",
        "A connector runs every 5 to 10 minutes.",
    )
    _workers_range = models.Constraint(
        "CHECK(worker_count BETWEEN 1 AND 8)",
        "A connector has 1 to 8 parallel workers.",
    )
    _positive_limits = models.Constraint(
        "CHECK(time_budget_seconds > 0 AND lease_seconds > 0 AND max_attempts > 0 "
        "AND retry_delay_seconds >= 0)",
        "Time budget, lease and attempts must be positive.",
    )

    @api.depends("dossier_ids")
    def _compute_dossier_count(self):
        for backend in self:
            backend.dossier_count = len(backend.dossier_ids)

    @api.model_create_multi
    def create(self, vals_list):
        backends = super().create(vals_list)
        backends._sync_cron()
        return backends

    def write(self, vals):
        result = super().write(vals)
        if {"name", "active", "interval_minutes"} & set(vals):
            self._sync_cron()
        return result

    def unlink(self):
        crons = self.cron_id
        result = super().unlink()
        # sudo: the connector's own scheduled action, created by _sync_cron
        crons.sudo().unlink()
        return result

    def action_test_connection(self):
        self.ensure_one()
        try:
            answer = self._get_client().connect()
        except BackendError as error:
            return self._notify(
                self.env._("Connection failed"), error_text(self.env, error), "danger"
            )
        return self._notify(
            self.env._("Connection works"),
            self.env._("Connected to %s", answer),
            "success",
        )

    def action_run_now(self):
        """Run the connector once, now (same rules as the scheduled run)."""
        self.ensure_one()
        # sudo: the connector carries the tasks of all its dossiers, whatever
        # companies the clicking administrator has selected; bounded in time
        # because it runs in the web request
        done = self.sudo()._run(time_budget=min(self.time_budget_seconds, 60))
        return self._notify(
            self.env._("Connector run finished"),
            self.env._("%s task(s) handled.", done),
            "info",
        )

    def _notify(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind},
        }

    def _sync_cron(self):
        """One scheduled action per connector, at the connector's interval."""
        model = self.env["ir.model"]._get("accounting.backend")
        for backend in self:
            vals = {
                "name": self.env._("Accounting connector: %s", backend.name),
                "model_id": model.id,
                "state": "code",
                "code": f"model._cron_run_connectors([{backend.id}])",
                "interval_number": backend.interval_minutes,
                "interval_type": "minutes",
                "active": backend.active,
                # the connector works for every dossier, like Odoo's own crons
                "user_id": self.env.ref("base.user_root").id,
            }
            # sudo: scheduled actions belong to the system; only connector
            # managers (ACL) get here
            if backend.cron_id:
                backend.cron_id.sudo().write(vals)
            else:
                backend.cron_id = self.env["ir.cron"].sudo().create(vals)

    def _get_client(self, session=None):
        """The plain-Python client of this connector's accounting package.

        :param session: the HTTP session to use (tests pass Odoo's test opener)
        """
        self.ensure_one()
        # sudo: the key is needed to connect; it is never shown or logged
        secret = self.sudo().api_key
        return BACKENDS[self.backend_type](
            self.url, self.database, secret, session=session
        )

    def _client_maker(self):
        """A function making clients from values read now (no ORM in workers)."""
        self.ensure_one()
        backend_class = BACKENDS[self.backend_type]
        # sudo: the worker needs the key; it is never shown or logged
        url, database, secret = self.url, self.database, self.sudo().api_key
        return lambda: backend_class(url, database, secret)

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
        no transaction open.
        """
        token = uuid.uuid4().hex
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
                    env = self.env(cr=cr)
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
            outcome = (request["task_id"], result, error)
            handled += 1
        return handled

    @api.model
    def _cron_run_connectors(self, backend_ids=None):
        """Scheduled run: each connector (or the given ones) for one time budget."""
        domain = [("id", "in", backend_ids)] if backend_ids else []
        backends = self.search(domain, limit=100)
        for backend in backends:
            # ir.cron gives no language: what the run stores (task errors,
            # instructions) is written in the language of the connector's company
            company = backend.company_id or self.env.company
            lang = company.partner_id.lang or self.env.user.lang
            handled = backend.with_context(lang=lang)._run(
                before_start=self.env["ir.cron"]._commit_progress
            )
            self.env["ir.cron"]._commit_progress(handled)
