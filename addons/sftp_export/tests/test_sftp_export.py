from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import activate_dutch


@tagged("post_install", "-at_install")
class TestSftpExportServerAccess(TransactionCase):
    """Who sees the addon's menu and records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_dutch(cls.env)
        cls.accountant = new_test_user(
            cls.env,
            login="sftp_export_accountant",
            groups="account.group_account_invoice",
        )
        cls.employee = new_test_user(
            cls.env, login="sftp_export_employee", groups="base.group_user"
        )
        cls.other_company = cls.env["res.company"].create({"name": "Other BV"})
        cls.record = cls.env["sftp.export.server"].create({"name": "Ours"})
        cls.foreign = cls.env["sftp.export.server"].create(
            {"name": "Theirs", "company_id": cls.other_company.id}
        )

    def test_accountant_sees_menu_in_dutch(self):
        menu = self.env.ref("sftp_export.sftp_export_menu")
        visible = self.env["ir.ui.menu"].with_user(self.accountant)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        self.assertEqual(menu.with_context(lang="nl_NL").name, "SFTP-servers")

    def test_the_three_tabs_carry_the_dutch_names(self):
        def dutch(xmlid):
            return self.env.ref(xmlid).with_context(lang="nl_NL").name

        self.assertEqual(
            dutch("sftp_export.sftp_export_menu_root"), "Bestandsdownloads"
        )
        self.assertEqual(
            [
                dutch("sftp_export.sftp_export_format_menu"),
                dutch("sftp_export.sftp_export_schedule_menu"),
                dutch("sftp_export.sftp_export_run_menu"),
            ],
            ["Downloadformaten", "Automatisch downloaden", "Downloadgeschiedenis"],
        )
        visible = self.env["ir.ui.menu"].with_user(self.accountant)._visible_menu_ids()
        self.assertIn(self.env.ref("sftp_export.sftp_export_run_menu").id, visible)

    def test_default_formats_are_ready_to_use(self):
        formats = self.env["sftp.export.format"].search([])
        self.assertEqual(
            set(formats.mapped("dataset")),
            {"card_transactions", "vendor_bills", "expense_claims"},
        )
        for export_format in formats:
            self.assertTrue(export_format.column_ids, export_format.name)

    def test_employee_without_accounting_rights_cannot_read(self):
        menu = self.env.ref("sftp_export.sftp_export_menu")
        visible = self.env["ir.ui.menu"].with_user(self.employee)._visible_menu_ids()
        self.assertNotIn(menu.id, visible)
        with self.assertRaises(AccessError):
            self.record.with_user(self.employee).read(["name"])

    def test_records_of_other_companies_are_hidden(self):
        found = self.env["sftp.export.server"].with_user(self.accountant).search([])
        self.assertIn(self.record, found)
        self.assertNotIn(self.foreign, found)
