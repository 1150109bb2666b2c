from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import activate_dutch, make_users


@tagged("post_install", "-at_install")
class TestMenusAndAccess(TransactionCase):
    """Who sees the addon's menus and records, and what the menus are called."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_dutch(cls.env)
        cls.company = cls.env.company
        cls.bookkeeper, cls.manager, cls.admin = make_users(cls.env, cls.company)
        cls.employee = new_test_user(
            cls.env, login="sftp_export_employee", groups="base.group_user"
        )
        cls.other_company = cls.env["res.company"].create({"name": "Other BV"})
        cls.record = cls.env["sftp.export.server"].create(
            {"name": "Ours", "host": "sftp.example.nl", "username": "boekhouding"}
        )
        cls.foreign = cls.env["sftp.export.server"].create(
            {
                "name": "Theirs",
                "host": "sftp.example.com",
                "username": "boekhouding",
                "company_id": cls.other_company.id,
            }
        )

    def visible(self, user):
        return self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()

    def test_bookkeeper_reaches_the_history_outside_configuration(self):
        history = self.env.ref("sftp_export.sftp_export_run_menu")
        self.assertIn(history.id, self.visible(self.bookkeeper))
        configuration = self.env.ref("account.menu_finance_configuration")
        self.assertNotIn(str(configuration.id), history.parent_path.split("/"))
        self.assertEqual(
            history.parent_id.parent_id, self.env.ref("account.menu_finance")
        )

    def test_the_menus_carry_dutch_export_names(self):
        def dutch(xmlid):
            return self.env.ref(xmlid).with_context(lang="nl_NL").name

        self.assertEqual(dutch("sftp_export.sftp_export_menu_root"), "SFTP-exports")
        self.assertEqual(
            [
                dutch("sftp_export.sftp_export_run_menu"),
                dutch("sftp_export.sftp_export_schedule_menu"),
                dutch("sftp_export.sftp_export_format_menu"),
                dutch("sftp_export.sftp_export_menu"),
            ],
            [
                "Exportgeschiedenis",
                "Automatische exports",
                "Exportformaten",
                "SFTP-servers",
            ],
        )

    def test_default_formats_are_ready_to_use(self):
        formats = self.env["sftp.export.format"].search([])
        self.assertEqual(
            set(formats.mapped("dataset")),
            {"card_transactions", "vendor_bills", "expense_claims"},
        )
        for export_format in formats:
            self.assertTrue(export_format.column_ids, export_format.name)

    def test_employee_without_accounting_rights_cannot_read(self):
        menu = self.env.ref("sftp_export.sftp_export_menu_root")
        self.assertNotIn(menu.id, self.visible(self.employee))
        with self.assertRaises(AccessError):
            self.record.with_user(self.employee).read(["name"])

    def test_bookkeeper_reads_but_only_managers_change_servers(self):
        self.assertEqual(self.record.with_user(self.bookkeeper).name, "Ours")
        with self.assertRaises(AccessError):
            self.record.with_user(self.bookkeeper).write({"port": 2222})
        self.record.with_user(self.manager).write({"port": 2222})
        self.assertEqual(self.record.port, 2222)

    def test_records_of_other_companies_are_hidden(self):
        found = self.env["sftp.export.server"].with_user(self.bookkeeper).search([])
        self.assertIn(self.record, found)
        self.assertNotIn(self.foreign, found)

    def test_a_new_server_has_placeholders_not_values(self):
        server = self.env["sftp.export.server"].new({"name": "Nieuw"})
        self.assertFalse(server.host)
        self.assertFalse(server.username)
        arch = self.env["sftp.export.server"].get_view(view_type="form")["arch"]
        self.assertIn('placeholder="e.g. sftp.example.nl"', arch)
