from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import load_dutch


@tagged("post_install", "-at_install")
class TestAccountingDossierAccess(TransactionCase):
    """Who sees the addon's menus and records, per company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_dutch(cls.env)
        cls.accountant = new_test_user(
            cls.env,
            login="accounting_connector_accountant",
            groups="account.group_account_invoice",
        )
        cls.admin_user = new_test_user(
            cls.env,
            login="accounting_connector_admin",
            groups="account.group_account_manager",
        )
        cls.employee = new_test_user(
            cls.env, login="accounting_connector_employee", groups="base.group_user"
        )
        cls.other_company = cls.env["res.company"].create({"name": "Other BV"})
        cls.backend = cls.env["accounting.backend"].create(
            {"name": "Package", "api_key": "s3cret-key", "active": False}
        )
        cls.record = cls.env["accounting.dossier"].create({"name": "Ours"})
        cls.foreign = cls.env["accounting.dossier"].create(
            {"name": "Theirs", "company_id": cls.other_company.id}
        )
        Task = cls.env["accounting.task"]
        cls.our_task = Task.create(
            {"dossier_id": cls.record.id, "task_type": "sync_dossier"}
        )
        cls.their_task = Task.create(
            {"dossier_id": cls.foreign.id, "task_type": "sync_dossier"}
        )
        Instruction = cls.env["accounting.instruction"]
        cls.their_instruction = Instruction.create(
            {
                "dossier_id": cls.foreign.id,
                "task_id": cls.their_task.id,
                "severity": "red",
                "message": "Internal error",
            }
        )

    def test_accountant_sees_menu_in_dutch(self):
        menu = self.env.ref("accounting_connector.accounting_connector_menu")
        visible = self.env["ir.ui.menu"].with_user(self.accountant)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        self.assertEqual(menu.with_context(lang="nl_NL").name, "Dossiers")
        monitoring = self.env.ref(
            "accounting_connector.accounting_connector_monitoring_menu"
        )
        self.assertIn(monitoring.id, visible)

    def test_all_dossiers_only_for_administrators(self):
        menu = self.env.ref(
            "accounting_connector.accounting_connector_all_dossiers_menu"
        )
        Menu = self.env["ir.ui.menu"]
        self.assertNotIn(menu.id, Menu.with_user(self.accountant)._visible_menu_ids())
        self.assertIn(menu.id, Menu.with_user(self.admin_user)._visible_menu_ids())

    def test_employee_without_accounting_rights_cannot_read(self):
        menu = self.env.ref("accounting_connector.accounting_connector_menu")
        visible = self.env["ir.ui.menu"].with_user(self.employee)._visible_menu_ids()
        self.assertNotIn(menu.id, visible)
        with self.assertRaises(AccessError):
            self.record.with_user(self.employee).read(["name"])
        with self.assertRaises(AccessError):
            self.our_task.with_user(self.employee).read(["state"])

    def test_records_of_other_companies_are_hidden(self):
        found = self.env["accounting.dossier"].with_user(self.accountant).search([])
        self.assertIn(self.record, found)
        self.assertNotIn(self.foreign, found)
        tasks = self.env["accounting.task"].with_user(self.accountant).search([])
        self.assertIn(self.our_task, tasks)
        self.assertNotIn(self.their_task, tasks)
        instructions = (
            self.env["accounting.instruction"].with_user(self.accountant).search([])
        )
        self.assertNotIn(self.their_instruction, instructions)

    def test_connector_of_another_company_is_refused(self):
        foreign_backend = self.env["accounting.backend"].create(
            {"name": "Theirs", "company_id": self.other_company.id, "active": False}
        )
        with self.assertRaises(UserError):
            self.record.backend_id = foreign_backend

    def test_api_key_only_for_system_administrators(self):
        backend = self.backend.with_user(self.admin_user)
        self.assertEqual(backend.name, "Package")
        with self.assertRaises(AccessError):
            backend.read(["api_key"])

    def test_connector_runs_on_its_own_schedule(self):
        cron = self.backend.cron_id
        self.assertEqual((cron.interval_number, cron.interval_type), (5, "minutes"))
        self.assertIn(f"_cron_run_connectors([{self.backend.id}])", cron.code)
        self.assertFalse(cron.active, "an archived connector does not run")
        self.backend.write({"interval_minutes": 10, "active": True})
        self.assertEqual(cron.interval_number, 10)
        self.assertTrue(cron.active)
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.backend.interval_minutes = 4
            self.backend.flush_recordset()

    def test_one_dossier_in_use_per_company(self):
        self.env["accounting.dossier"].create(
            {"name": "One", "company_id": self.other_company.id, "state": "active"}
        )
        with self.assertRaises(ValidationError):
            self.env["accounting.dossier"].create(
                {"name": "Two", "company_id": self.other_company.id, "state": "active"}
            )
