from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import load_dutch


@tagged("post_install", "-at_install")
class TestCcvMoneybirdConnectionAccess(TransactionCase):
    """Who sees the addon's menu and records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_dutch(cls.env)
        cls.accountant = new_test_user(
            cls.env,
            login="ccv_moneybird_sync_accountant",
            groups="account.group_account_invoice",
        )
        cls.employee = new_test_user(
            cls.env, login="ccv_moneybird_sync_employee", groups="base.group_user"
        )
        cls.other_company = cls.env["res.company"].create({"name": "Other BV"})
        cls.record = cls.env["ccv.moneybird.connection"].create({"name": "Ours"})
        cls.foreign = cls.env["ccv.moneybird.connection"].create(
            {"name": "Theirs", "company_id": cls.other_company.id}
        )

    def test_accountant_sees_menu_in_dutch(self):
        menu = self.env.ref("ccv_moneybird_sync.ccv_moneybird_sync_menu")
        visible = self.env["ir.ui.menu"].with_user(self.accountant)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        self.assertEqual(menu.with_context(lang="nl_NL").name, "CCV – Moneybird")

    def test_employee_without_accounting_rights_cannot_read(self):
        menu = self.env.ref("ccv_moneybird_sync.ccv_moneybird_sync_menu")
        visible = self.env["ir.ui.menu"].with_user(self.employee)._visible_menu_ids()
        self.assertNotIn(menu.id, visible)
        with self.assertRaises(AccessError):
            self.record.with_user(self.employee).read(["name"])

    def test_records_of_other_companies_are_hidden(self):
        found = (
            self.env["ccv.moneybird.connection"].with_user(self.accountant).search([])
        )
        self.assertIn(self.record, found)
        self.assertNotIn(self.foreign, found)

    def test_payments_of_other_companies_are_hidden(self):
        payments = self.env["ccv.payment"].create(
            [
                {
                    "connection_id": connection.id,
                    "reference": f"C-{connection.name}",
                    "amount": 10.0,
                    "currency_id": self.env.ref("base.EUR").id,
                }
                for connection in (self.record, self.foreign)
            ]
        )
        found = self.env["ccv.payment"].with_user(self.accountant).search([])
        self.assertIn(payments[0], found)
        self.assertNotIn(payments[1], found)
