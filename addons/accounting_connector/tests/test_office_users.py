"""Every action of the connector as the user who does it (issue 17 points 1, 4, 5)."""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..backends import SupportError
from .common import ConnectorCase, ScriptedClient


@tagged("post_install", "-at_install")
class TestOfficeUsers(ConnectorCase):
    def _fail(self, dossier, error, task_type="post_proposal"):
        task = self._task(dossier, task_type=task_type, name="F1")
        client = ScriptedClient()
        client.errors = [error]
        self._run(client)
        self.assertEqual(task.state, "failed")
        return task

    def test_bookkeeper_corrects_the_code_and_restarts(self):
        task = self._fail(
            self.dossier_a, SupportError("unknown_dossier", "No dossier A-001.")
        )
        dossier = self.dossier_a.with_user(self.bookkeeper)
        self.assertEqual(dossier.state, "blocked")
        self.assertEqual(dossier.open_instruction_ids, task.instruction_ids)
        dossier.code = "A-002"
        self.assertEqual(self.dossier_a.code, "A-002")
        instruction = task.instruction_ids.with_user(self.bookkeeper)
        instruction.action_restart_task()
        self.assertEqual(task.state, "pending")
        self._run(ScriptedClient())
        self.assertEqual(task.state, "done")
        self.assertEqual(self.dossier_a.state, "active")

    def test_bookkeeper_corrects_the_code_of_a_company_not_selected(self):
        self._fail(self.dossier_b, SupportError("unknown_dossier", "No B-001."))
        # the web client selects the main company only; the dossier is Klant B's
        dossier = self.dossier_b.with_user(self.bookkeeper).with_context(
            allowed_company_ids=[self.env.company.id]
        )
        dossier.code = "B-002"
        self.assertEqual(self.dossier_b.code, "B-002")
        dossier.action_restart_failed_tasks()
        self.assertEqual(self.dossier_b.task_ids.state, "pending")
        other = self.env["res.company"].create({"name": "Niet van kantoor BV"})
        stranger = self._dossier("Vreemd", "V-001", other)
        with self.assertRaises(AccessError):
            stranger.with_user(self.bookkeeper).code = "V-002"

    def test_bookkeeper_cannot_change_other_dossier_fields(self):
        dossier = self.dossier_a.with_user(self.bookkeeper).with_context(lang="nl_NL")
        with self.assertRaisesRegex(AccessError, "boekhoudmanager"):
            dossier.name = "Andere naam"
        with self.assertRaises(AccessError):
            self._task(self.dossier_a).with_user(self.bookkeeper).state = "done"

    def test_bookkeeper_cancels_a_wrong_activation(self):
        dossier = self._dossier("Klant C", "C-001", self.env.company, state="draft")
        dossier.with_user(self.users["manager"]).action_activate()
        task = dossier.task_ids
        self.assertEqual(dossier.state, "activating")
        task.with_user(self.bookkeeper).action_cancel()
        self.assertEqual(task.state, "cancelled")
        self.assertEqual(dossier.state, "draft")

    def test_employee_without_invoicing_rights_is_refused(self):
        task = self._fail(self.dossier_a, SupportError("internal", "Boom."))
        employee = self.env["res.users"].create(
            {
                "name": "Medewerker",
                "login": "conn_employee",
                "group_ids": [(6, 0, [self.env.ref("base.group_user").id])],
            }
        )
        with self.assertRaises(AccessError):
            task.with_user(employee).action_restart()

    def test_monitoring_shows_blocked_dossiers_of_all_my_companies(self):
        task = self._fail(self.dossier_b, SupportError("internal", "Boom."))
        # only the main company selected in the switcher
        Task = (
            self.env["accounting.task"]
            .with_user(self.bookkeeper)
            .with_context(allowed_company_ids=[self.env.company.id])
        )
        found = Task.search([("state", "=", "failed")])
        self.assertIn(task, found, "a blocked dossier of another company is shown")
        self.assertEqual(found.company_id, self.company_b)

    def test_red_instruction_notifies_the_support_team(self):
        self.backend.support_email = "support@package.example.com"
        task = self._fail(self.dossier_a, SupportError("internal", "Boom."))
        instruction = task.instruction_ids
        self.assertEqual(instruction.severity, "red")
        mails = self._mails(model="accounting.dossier", res_id=self.dossier_a.id)
        support = mails.filtered(
            lambda m: "support@package.example.com" in m.recipient_ids.mapped("email")
        )
        self.assertEqual(len(support), 1)
        self.assertIn("Boom.", support.body_html)
        self.assertIn("support team has been informed", instruction.action_required)

    def test_red_instruction_without_support_team_says_so(self):
        task = self._fail(self.dossier_a, SupportError("internal", "Boom."))
        action = task.instruction_ids.with_context(lang="nl_NL").action_required
        self.assertIn("no support team", task.instruction_ids.action_required)
        self.assertTrue(action)
