from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..backends import OfficeError, TransientError
from ..backends.base import _lt
from .common import ConnectorCase, ScriptedClient


@tagged("post_install", "-at_install")
class TestQueue(ConnectorCase):
    """Order, retries, blocking, restart and cancel of the connector's tasks."""

    def test_tasks_run_in_order_of_arrival_and_fifo_per_dossier(self):
        tasks = (
            self._task(self.dossier_a, name="A1")
            | self._task(self.dossier_b, name="B1")
            | self._task(self.dossier_a, name="A2")
            | self._task(self.dossier_b, name="B2")
        )
        client = ScriptedClient()
        handled = self._run(client)
        self.assertEqual(handled, 4)
        self.assertEqual(client.keys, tasks.sorted("id").mapped("idempotency_key"))
        self.assertEqual(set(tasks.mapped("state")), {"done"})
        self.assertEqual(set(tasks.mapped("attempt_count")), {1})
        self.assertTrue(all(task.external_ref.startswith("move-") for task in tasks))

    def test_failed_head_blocks_its_dossier_only(self):
        a1 = self._task(self.dossier_a, name="A1")
        a2 = self._task(self.dossier_a, name="A2")
        b1 = self._task(self.dossier_b, name="B1")
        client = ScriptedClient()
        client.errors = [
            OfficeError("unknown_journal", "No journal VK.", {"journal": "VK"})
        ]
        self._run(client)
        self.assertEqual(a1.state, "failed")
        self.assertEqual(a2.state, "pending", "later tasks of a blocked dossier wait")
        self.assertEqual(b1.state, "done", "other dossiers go on")
        self.assertEqual(self.dossier_a.state, "blocked")
        self.assertEqual(self.dossier_b.state, "active")
        # the next run does not touch the blocked dossier either
        self._run(client)
        self.assertEqual(a2.state, "pending")
        self.assertEqual(len(client.calls), 2)

    def test_orange_error_instruction_restart_unblocks(self):
        first = self._task(self.dossier_a, task_type="sync_dossier")
        later = self._task(self.dossier_a, name="A2")
        client = ScriptedClient()
        client.errors = [
            OfficeError(
                "unknown_dossier",
                "The accounting package has no dossier A-001.",
                {"code": "A-001"},
            )
        ]
        self._run(client)
        self.assertEqual(first.state, "failed")
        self.assertEqual(first.error_kind, "orange")
        instruction = first.instruction_ids
        self.assertEqual(len(instruction), 1)
        self.assertEqual(instruction.severity, "orange")
        self.assertEqual(instruction.state, "open")
        self.assertIn("dossier code", instruction.action_required)
        self.assertIn("Klant A", instruction.action_required)
        self.assertEqual(first.instruction_action, instruction.action_required)
        self.assertEqual(self.dossier_a.marker, "orange")
        self.assertEqual(self.dossier_a.state, "blocked")
        # one mail per manager, naming the action
        mails = self._mails(model="accounting.dossier", res_id=self.dossier_a.id)
        self.assertEqual(
            mails.recipient_ids, (self.manager | self.manager_nl).partner_id
        )
        self.assertEqual(len(mails), 2)
        english = mails.filtered(lambda m: self.manager.partner_id in m.recipient_ids)
        dutch = mails - english
        self.assertIn("dossier code", english.body_html)
        self.assertEqual(english.subject, "Accountant instruction for dossier Klant A")
        # each manager reads it in their own language
        self.assertEqual(dutch.subject, "Accountant-instructie voor dossier Klant A")
        self.assertIn("Uit te voeren actie", dutch.body_html)

        # the office corrects the code, then restarts the task
        self.dossier_a.code = "A-002"
        first.action_restart()
        self.assertEqual(first.state, "pending")
        self.assertEqual(self.dossier_a.state, "blocked", "until the task succeeds")
        self._run(client)
        self.assertEqual(client.calls[-2][:2], ("sync_dossier", "A-002"))
        self.assertEqual(first.state, "done")
        self.assertEqual(later.state, "done")
        self.assertEqual(instruction.state, "done")
        self.assertEqual(self.dossier_a.state, "active")
        self.assertEqual(self.dossier_a.marker, "none")
        self.assertTrue(self.dossier_a.last_sync_date)

    def test_same_error_again_keeps_one_instruction(self):
        task = self._task(self.dossier_a, name="A1")
        client = ScriptedClient()
        error = OfficeError("wrong_period", "Period closed.", {"date": "2020-01-01"})
        client.errors = [error]
        self._run(client)
        task.action_restart()
        client.errors = [error]
        self._run(client)
        self.assertEqual(task.attempt_count, 1, "a restart starts counting again")
        self.assertEqual(len(task.instruction_ids), 1)
        self.assertEqual(
            len(self._mails(model="accounting.dossier", res_id=self.dossier_a.id)), 2
        )

    def test_red_error_for_unexpected_failures(self):
        self.backend.support_email = "support@package.example.com"
        task = self._task(self.dossier_b, name="B1")
        client = ScriptedClient()
        client.errors = [KeyError("line_ids")]
        self._run(client)
        self.assertEqual(task.state, "failed")
        self.assertEqual(task.error_kind, "red")
        self.assertIn("KeyError", task.error_message)
        self.assertEqual(task.instruction_ids.severity, "red")
        self.assertIn("support team", task.instruction_ids.action_required)
        self.assertEqual(self.dossier_b.marker, "red")
        self.assertEqual(self.dossier_b.state, "blocked")

    def test_transient_error_is_retried_with_backoff(self):
        task = self._task(self.dossier_a, name="A1")
        client = ScriptedClient()
        client.errors = [TransientError("connection", "Connection refused")]
        before = fields.Datetime.now()
        self._run(client)
        self.assertEqual(task.state, "pending")
        self.assertEqual(task.attempt_count, 1)
        self.assertEqual(task.error_kind, "transient")
        self.assertEqual(task.error_message, "Connection refused")
        self.assertGreaterEqual(task.next_attempt_at, before + timedelta(seconds=59))
        self.assertFalse(task.instruction_ids, "no instruction for a retry")
        self.assertEqual(self.dossier_a.state, "active")
        # not due yet: the next run leaves it alone
        self._run(client)
        self.assertEqual(len(client.calls), 1)
        # second failure doubles the wait
        task.next_attempt_at = before - timedelta(seconds=1)
        client.errors = [TransientError("unavailable", "HTTP 503", retry_after=None)]
        self._run(client)
        self.assertEqual(task.attempt_count, 2)
        self.assertGreaterEqual(task.next_attempt_at, before + timedelta(seconds=119))
        task.next_attempt_at = before - timedelta(seconds=1)
        self._run(client)
        self.assertEqual(task.state, "done")
        self.assertEqual(task.attempt_count, 3)
        self.assertFalse(task.error_message)

    def test_retry_after_of_the_package_is_respected(self):
        task = self._task(self.dossier_a, name="A1")
        client = ScriptedClient()
        client.errors = [TransientError("unavailable", "HTTP 429", retry_after=900)]
        before = fields.Datetime.now()
        self._run(client)
        self.assertGreaterEqual(task.next_attempt_at, before + timedelta(seconds=899))

    def test_transient_error_after_last_attempt_blocks_red(self):
        self.backend.max_attempts = 2
        self.backend.support_email = "support@package.example.com"
        task = self._task(self.dossier_a, name="A1")
        client = ScriptedClient()
        client.errors = [
            TransientError("timeout", "Read timed out"),
            TransientError("timeout", "Read timed out"),
        ]
        self._run(client)
        task.next_attempt_at = fields.Datetime.now() - timedelta(seconds=1)
        self._run(client)
        self.assertEqual(task.state, "failed")
        self.assertEqual(task.attempt_count, 2)
        self.assertEqual(task.instruction_ids.severity, "red")
        self.assertIn("2 attempts", task.instruction_ids.message)
        self.assertIn("connection", task.instruction_ids.action_required)
        self.assertEqual(self.dossier_a.state, "blocked")

    def test_time_budget_leaves_the_rest_for_the_next_run(self):
        tasks = self.env["accounting.task"]
        for index in range(5):
            tasks |= self._task(self.dossier_a, name=f"A{index}")
        client = ScriptedClient(delay=0.3)
        handled = self._run(client, budget=0.5)
        self.assertLess(handled, 5)
        self.assertGreaterEqual(handled, 1)
        self.assertNotIn("running", tasks.mapped("state"), "nothing left half-done")
        self.assertEqual(
            tasks.filtered(lambda t: t.state == "pending").ids[-1], tasks[-1].id
        )
        client.delay = 0
        self._run(client)
        self.assertEqual(set(tasks.mapped("state")), {"done"})
        self.assertEqual(len(client.keys), 5, "no task started twice")

    def test_restart_only_failed_tasks(self):
        task = self._task(self.dossier_a, name="A1")
        with self.assertRaises(UserError):
            task.action_restart()

    def test_cancel_wrong_activation(self):
        dossier = self._dossier("Nieuw", "X-404", self.env.company, state="draft")
        dossier.action_activate()
        self.assertEqual(dossier.state, "activating")
        activation = dossier.task_ids
        self.assertEqual(activation.task_type, "activate_dossier")
        client = ScriptedClient()
        client.errors = [
            OfficeError("unknown_dossier", "No dossier X-404.", {"code": "X-404"})
        ]
        self._run(client)
        self.assertEqual(activation.state, "failed")
        self.assertEqual(dossier.state, "blocked")
        activation.action_cancel()
        self.assertEqual(activation.state, "cancelled")
        self.assertEqual(activation.instruction_ids.state, "done")
        self.assertEqual(dossier.state, "draft")
        self.assertEqual(dossier.marker, "none")

    def test_activation_success_makes_dossier_active(self):
        dossier = self._dossier("Nieuw", "X-200", self.env.company, state="draft")
        dossier.action_activate()
        self._run(ScriptedClient())
        self.assertEqual(dossier.state, "active")
        self.assertEqual(dossier.package_name, "Package X-200")
        self.assertTrue(dossier.activation_date)

    def test_only_activation_tasks_can_be_cancelled(self):
        task = self._task(self.dossier_a, name="A1")
        with self.assertRaises(UserError):
            task.action_cancel()
        self.assertEqual(task.state, "pending")

    def test_activation_needs_code_and_connector(self):
        dossier = self.env["accounting.dossier"].create({"name": "Zonder code"})
        with self.assertRaises(UserError):
            dossier.action_activate()

    def test_monitoring_action_defaults(self):
        task = self._task(self.dossier_a, name="A1")
        client = ScriptedClient()
        client.errors = [OfficeError("refused", "No.")]
        self._run(client)
        action = self.dossier_a.action_open_monitoring()
        self.assertEqual(action["res_model"], "accounting.task")
        self.assertIn("search_default_failed", action["context"])
        self.assertIn("search_default_with_instruction", action["context"])
        found = self.env["accounting.task"].search(action["domain"])
        self.assertEqual(found, task)
        self.assertEqual(self.dossier_a.monitoring_count, 1)
        self.assertEqual(self.dossier_b.monitoring_count, 0)

    def test_scheduled_run_uses_the_real_client(self):
        """The connector's cron: an unreachable package means: try again later."""
        self.backend.write({"active": True, "url": "http://127.0.0.1:9"})
        task = self._task(self.dossier_a, name="A1")
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            self.env(cr=cr)["accounting.backend"]._cron_run_connectors(
                [self.backend.id]
            )
        self.assertEqual(task.state, "pending")
        self.assertEqual(task.attempt_count, 1)
        self.assertEqual(task.error_kind, "transient")
        self.assertIn("cannot be reached", task.error_message)
        self.assertTrue(task.next_attempt_at)
        self.assertEqual(self.backend.cron_id.user_id, self.env.ref("base.user_root"))

    def test_scheduled_run_writes_in_the_company_language(self):
        """ir.cron gives no language: a Dutch office still reads Dutch errors."""
        self.env.company.partner_id.lang = "nl_NL"
        self.backend.write({"active": True, "url": "http://127.0.0.1:9"})
        task = self._task(self.dossier_a, name="A1")
        self.env.flush_all()
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            env = self.env(cr=cr, context={})
            self.assertFalse(env.context.get("lang"))
            env["accounting.backend"]._cron_run_connectors([self.backend.id])
        self.assertEqual(task.error_kind, "transient")
        self.assertIn("Het boekhoudpakket is niet bereikbaar", task.error_message)
        self.assertNotIn("cannot be reached", task.error_message)

    def test_failed_task_instruction_is_in_the_run_language(self):
        """The instruction's "What went wrong" is a Dutch sentence with its values."""
        task = self._task(self.dossier_a, name="A1")
        client = ScriptedClient()
        client.errors = [
            OfficeError(
                "unknown_journal",
                _lt("The accounting package has no journal %(journal)s.", journal="VK"),
                details={"journal": "VK"},
            )
        ]
        with self.enter_registry_test_mode():
            self.backend.with_context(lang="nl_NL")._run(
                time_budget=10, client_factory=lambda: client
            )
        self.assertEqual(task.state, "failed")
        self.assertEqual(
            task.instruction_ids.message, "Het boekhoudpakket heeft geen dagboek VK."
        )
        self.assertEqual(task.error_message, task.instruction_ids.message)
