"""The scheduled run under Odoo's cron limits (issue: crons killed at ~55 s)."""

import time
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from ..models.accounting_backend import AccountingBackend
from ..models.accounting_backend_run import MIN_RUN_SECONDS
from .common import ConnectorCase, ScriptedClient


@tagged("post_install", "-at_install")
class TestCronLimits(ConnectorCase):
    def _cron_run(self, client, window_left=0.5):
        """One call of the scheduled action, as ir.cron makes it."""
        self._after_a_run()
        cron = self.backend.cron_id
        self.env.flush_all()
        with (
            patch.object(
                AccountingBackend, "_client_maker", lambda self: lambda: client
            ),
            self.enter_registry_test_mode(),
            self.registry.cursor() as cr,
        ):
            env = self.env(cr=cr, context={})
            progress = env["ir.cron.progress"].create({"cron_id": cron.id})
            started = time.monotonic()
            env["accounting.backend"].with_context(
                cron_id=cron.id,
                ir_cron_progress_id=progress.id,
                cron_end_time=started + window_left,
            )._cron_run_connectors([self.backend.id])
            elapsed = time.monotonic() - started
            counts = progress.done, progress.remaining
        self.env.invalidate_all()
        return elapsed, counts

    def _after_a_run(self):
        """Active, next regular run in 5 minutes (as Odoo leaves it after a run)."""
        self.backend.active = True
        self.backend.cron_id.nextcall = fields.Datetime.now() + timedelta(minutes=5)

    def test_run_stops_in_time_and_reports_what_is_left(self):
        tasks = self.env["accounting.task"]
        for index in range(8):
            tasks |= self._task(self.dossier_a, name=f"A{index}")
            tasks |= self._task(self.dossier_b, name=f"B{index}")
        # Odoo's window for the job is almost spent: the run takes its minimum slice
        elapsed, (done, remaining) = self._cron_run(ScriptedClient(delay=0.4))
        self.assertLess(elapsed, MIN_RUN_SECONDS + 2, "the run stopped in time")
        self.assertGreater(done, 0)
        self.assertLess(done, 16)
        self.assertEqual(remaining, 2, "both dossiers still wait: Odoo runs it again")
        self.assertNotIn("running", tasks.mapped("state"), "nothing left half-done")
        for dossier in (self.dossier_a, self.dossier_b):
            states = (
                tasks.filtered(lambda t, d=dossier: t.dossier_id == d)
                .sorted("id")
                .mapped("state")
            )
            self.assertEqual(states, sorted(states), "FIFO: done ones come first")

    def test_call_after_the_window_does_nothing_and_hands_on(self):
        """Odoo calls the job again while work is left; once the job's window is
        spent a call books nothing (the cron worker, shared with the other due jobs,
        is not killed at Odoo's time limit) and a fresh run is triggered."""
        tasks = self._task(self.dossier_a, name="A0") | self._task(
            self.dossier_b, name="B0"
        )
        client = ScriptedClient()
        _elapsed, (done, remaining) = self._cron_run(client, window_left=0.0)
        self.assertEqual(done, 0)
        self.assertEqual(client.calls, [], "nothing sent to the package")
        self.assertEqual(remaining, 2, "both dossiers wait for the next run")
        self.assertEqual(tasks.mapped("state"), ["pending", "pending"])
        due_now = self.env["ir.cron.trigger"].search(
            [
                ("cron_id", "=", self.backend.cron_id.id),
                ("call_at", "<=", fields.Datetime.now()),
            ]
        )
        self.assertTrue(due_now, "a fresh run is triggered at once")

    def test_work_left_wakes_the_cron_workers_at_once(self):
        for index in range(6):
            self._task(self.dossier_a, name=f"A{index}")
        _elapsed, (_done, remaining) = self._cron_run(ScriptedClient(delay=0.6))
        self.assertEqual(remaining, 1)
        # a trigger due now makes Odoo notify its sleeping cron workers
        due_now = self.env["ir.cron.trigger"].search(
            [
                ("cron_id", "=", self.backend.cron_id.id),
                ("call_at", "<=", fields.Datetime.now()),
            ]
        )
        self.assertTrue(due_now, "the next slice starts at once, not in a minute")

    def test_claim_of_a_stopped_server_wakes_the_connector_up(self):
        self._task(self.dossier_a, name="A1")
        before = fields.Datetime.now()
        self._cron_run(ScriptedClient(), window_left=5)
        triggers = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.backend.cron_id.id), ("call_at", ">", before)]
        )
        # if this server had died during the run, another looks within ~2 minutes
        self.assertTrue(triggers)
        self.assertLessEqual(
            max(triggers.mapped("call_at")),
            before + timedelta(seconds=120),
        )

    def test_a_task_running_elsewhere_is_looked_at_when_its_claim_ends(self):
        task = self._task(self.dossier_a, name="A1")
        self._after_a_run()
        self.env["accounting.task"]._claim_next(self.backend, "other-server")
        self.assertEqual(task.state, "running")
        self.assertLessEqual(
            task.lease_until, fields.Datetime.now() + timedelta(seconds=30)
        )
        self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.backend.cron_id.id)]
        ).unlink()
        self.backend._wake_up_at(self.backend._next_wake_up())
        trigger = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.backend.cron_id.id)]
        )
        self.assertEqual(trigger.call_at, task.lease_until + timedelta(seconds=1))

    def test_run_now_hands_the_work_to_the_scheduled_action(self):
        self.backend.active = True
        admin = self.users["admin"]
        self._task(self.dossier_a, name="A1")
        backend = self.backend.with_user(admin).with_context(lang=admin.lang)
        action = backend.action_run_now()
        self.assertEqual(action["params"]["title"], "Connector gestart")
        trigger = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.backend.cron_id.id)]
        )
        self.assertTrue(trigger, "the scheduled action runs soon")
        self.assertEqual(
            self.env["accounting.task"].search([("record_name", "=", "A1")]).state,
            "pending",
            "nothing carried inside the web request",
        )
