import base64

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import Mt940Common, build_mt940


@tagged("post_install", "-at_install")
class TestBankMt940FileAccess(Mt940Common):
    """Who sees the addon's menu and records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            login="bank_mt940_reconcile_accountant",
            groups="account.group_account_invoice,account.group_account_basic",
        )
        cls.employee = new_test_user(
            cls.env, login="bank_mt940_reconcile_employee", groups="base.group_user"
        )
        cls.other_company = cls.env["res.company"].create({"name": "Other BV"})
        data = base64.b64encode(build_mt940([{"amount": 1, "remi": "x"}]))
        cls.record = cls.env["bank.mt940.file"].create(
            {"file_name": "ours.940", "file_data": data}
        )
        cls.foreign = cls.env["bank.mt940.file"].create(
            {
                "file_name": "theirs.940",
                "file_data": data,
                "company_id": cls.other_company.id,
            }
        )

    def test_accountant_sees_menu_in_dutch(self):
        menu = self.env.ref("bank_mt940_reconcile.bank_mt940_reconcile_menu")
        visible = self.env["ir.ui.menu"].with_user(self.accountant)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        self.assertEqual(menu.with_context(lang="nl_NL").name, "MT940-bestanden")

    def test_employee_without_accounting_rights_cannot_read(self):
        menu = self.env.ref("bank_mt940_reconcile.bank_mt940_reconcile_menu")
        visible = self.env["ir.ui.menu"].with_user(self.employee)._visible_menu_ids()
        self.assertNotIn(menu.id, visible)
        with self.assertRaises(AccessError):
            self.record.with_user(self.employee).read(["name"])

    def test_records_of_other_companies_are_hidden(self):
        found = self.env["bank.mt940.file"].with_user(self.accountant).search([])
        self.assertIn(self.record, found)
        self.assertNotIn(self.foreign, found)
        logs = self.env["bank.mt940.log"].with_user(self.accountant).search([])
        self.assertFalse(logs & self.foreign.log_ids)

    def test_billing_user_may_not_process(self):
        billing = new_test_user(
            self.env, login="mt940_billing", groups="account.group_account_invoice"
        )
        with self.assertRaises(AccessError):
            self.record.with_user(billing).action_process()
        self.assertEqual(self.record.state, "waiting")

    def test_accountant_uploads_and_processes(self):
        record = self.record.with_user(self.accountant)
        record.action_process()
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(len(record.statement_line_ids), 1)
