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

    def test_employee_without_invoicing_rights_may_not_process(self):
        with self.assertRaisesRegex(AccessError, "Invoicing or Accounting rights"):
            self.record.with_user(self.employee).action_process()
        self.assertEqual(self.record.state, "waiting")

    def test_accountant_uploads_and_processes(self):
        record = self.record.with_user(self.accountant)
        record.action_process()
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(len(record.statement_line_ids), 1)


@tagged("post_install", "-at_install")
class TestProcessAsEveryUser(Mt940Common):
    """Upload and Process now as the users of a plain Community install: the
    bookkeeper (Invoicing only), the accounting manager and the administrator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.create_users()

    def _upload_and_process_as(self, user):
        invoice = self.create_invoice(121)
        attachment = (
            self.env["ir.attachment"]
            .with_user(user)
            .create(
                {
                    "name": f"{user.login}.940",
                    "raw": build_mt940([{"amount": 121, "remi": invoice.name}]),
                }
            )
        )
        wizard = (
            self.env["bank.mt940.upload"]
            .with_user(user)
            .create({"attachment_ids": [(6, 0, attachment.ids)]})
        )
        action = wizard.action_upload()["params"]["next"]
        record = self.env["bank.mt940.file"].with_user(user).browse(action["res_id"])
        self.assertEqual(record.state, "waiting")
        record.action_process()
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(record.statement_line_ids.create_uid, user)
        # The bookkeeper reads the result on the file and on the invoice.
        self.assertEqual(record.log_ids.status, "imported")
        self.assertEqual(record.invoice_ids, invoice.with_user(user))

    def test_bookkeeper_with_invoicing_rights_processes(self):
        self.assertFalse(
            self.bookkeeper.has_group("account.group_account_user"),
            "the bookkeeper must not have full accounting features",
        )
        self._upload_and_process_as(self.bookkeeper)

    def test_accounting_manager_processes(self):
        self._upload_and_process_as(self.manager)

    def test_administrator_processes(self):
        self._upload_and_process_as(self.admin)

    def test_file_in_error_is_processed_once_the_bookkeeper_chooses_the_journal(self):
        data = build_mt940([{"amount": 7, "remi": "x"}], account="NL39RABO0300065264")
        record = self.upload(data).with_user(self.bookkeeper)
        self.assertEqual(record.state, "error")
        record.journal_id = self.journal.with_user(self.bookkeeper)
        # Waiting again: the next cron run takes it, or Process now at once.
        self.assertEqual(record.state, "waiting")

    def test_file_in_error_is_processed_by_the_cron_once_the_account_exists(self):
        record = self.upload(
            build_mt940([{"amount": 8, "remi": "x"}], account="NL39RABO0300065264")
        )
        self.assertEqual(record.state, "error")
        self.run_cron()
        self.assertEqual(record.state, "error", "still no journal for the account")
        self.create_bank_journal("NL39RABO0300065264", "RABO", name="Rabo")
        self.run_cron()
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(len(record.statement_line_ids), 1)

    def test_administrator_sets_the_interval_without_full_accounting(self):
        settings = self.env["res.config.settings"].with_user(self.admin)
        arch = settings.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="mt940_cron_interval"', arch)
        self.assertIn('name="mt940_import_debits"', arch)
        settings.create({"mt940_cron_interval": 30}).execute()
        cron = self.env.ref("bank_mt940_reconcile.ir_cron_process_mt940_files")
        self.assertEqual((cron.interval_number, cron.interval_type), (30, "minutes"))
