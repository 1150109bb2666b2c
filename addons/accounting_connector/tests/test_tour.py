"""The bookkeeper in the web client (headless Chromium): the monitoring, an
instruction about a wrong dossier code, fixed on the blocked dossier and restarted
(issue 17 points 5 and 8)."""

from odoo.tests import HttpCase, tagged

from ..backends import OfficeError, perform
from ..backends.base import _lt
from .common import ScriptedClient, load_dutch, office_users


@tagged("post_install", "-at_install")
class TestInstructionTour(HttpCase):
    # On a busy 2-core machine the first requests compile the asset bundles while
    # the others wait for the test cursor longer than Odoo's 20 s default.
    test_cursor_lock_timeout = 120

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        load_dutch(cls.env)
        company = cls.env["res.company"].create({"name": "Fietsenmaker De Vries BV"})
        users = office_users(cls.env, "tour", cls.env.company | company)
        cls.bookkeeper = users["bookkeeper"]
        cls.bookkeeper.name = "Sanne Jansen"  # as the screenshots show her
        cls.backend = cls.env["accounting.backend"].create(
            {
                "name": "Boekhoudpakket",
                "url": "http://127.0.0.1:9",
                "database": "kantoor",
                "api_key": "not-used-by-the-scripted-client",
                "active": False,  # no scheduled run during the test
            }
        )
        cls.dossier = cls.env["accounting.dossier"].create(
            {
                "name": "Fietsenmaker De Vries",
                "code": "DV-01",  # a typing error: the package knows DV-001
                "company_id": company.id,
                "backend_id": cls.backend.id,
                "manager_ids": [(6, 0, cls.bookkeeper.ids)],
                "state": "active",
                "activation_date": "2026-01-01 00:00:00",
            }
        )
        cls.task = cls.env["accounting.task"].create(
            {
                "dossier_id": cls.dossier.id,
                "task_type": "post_proposal",
                "record_name": "VF/2026/0042",
                "payload": {"ref": "VF/2026/0042"},
            }
        )
        # the package refuses the unknown code as the JSON-2 backend does; the
        # run stores the error and the instruction in the company's language
        client = ScriptedClient()
        client.errors = [
            OfficeError(
                "unknown_dossier",
                _lt(
                    "The accounting package has no dossier (company registry) "
                    "%(code)s.",
                    code="DV-01",
                ),
                details={"code": "DV-01"},
            )
        ]
        Task = cls.env["accounting.task"].with_context(lang="nl_NL")
        task, request = Task._claim(cls.backend, "tour-worker", 30)
        error = None
        try:
            perform(client, request)
        except OfficeError as exc:
            error = exc
        task._record_result("tour-worker", error=error)

    def test_bookkeeper_fixes_the_dossier_code_and_restarts(self):
        self.assertEqual((self.task.state, self.dossier.state), ("failed", "blocked"))
        self.start_tour(
            "/odoo/action-accounting_connector.accounting_task_action_monitoring",
            "accounting_connector_instruction_tour",
            login=self.bookkeeper.login,
            timeout=240,  # a shared 2-core machine is slow to load the web client
        )
        self.env.invalidate_all()  # the browser wrote through its own environment
        self.assertEqual(self.dossier.code, "DV-001")
        self.assertEqual(self.task.state, "pending")
        # the next run carries the task with the corrected code
        client = ScriptedClient()
        self.backend._run(time_budget=10, client_factory=lambda: client)
        self.env.invalidate_all()
        self.assertEqual(
            [call[:2] for call in client.calls], [("post_proposal", "DV-001")]
        )
        self.assertEqual(self.task.state, "done")
        self.assertEqual(self.dossier.state, "active")
        self.assertEqual(self.task.instruction_ids.state, "done")
