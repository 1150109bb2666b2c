"""Shared setup: a real sshd, an SFTP server record trusting it, and builders for
vendor bills and expenses in every status the export filters look at."""

import csv
import io
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.sftp_export.services import sftp_client

from .sshd import SshServer


def make_users(env, company):
    """The three users of a plain Community install who work with exports:
    a bookkeeper (Invoicing rights), an accounting manager, an administrator."""
    common = {"company_id": company.id, "company_ids": [Command.set(company.ids)]}
    return (
        new_test_user(
            env,
            login="sftp_bookkeeper",
            groups="base.group_user,account.group_account_invoice",
            **common,
        ),
        new_test_user(
            env,
            login="sftp_manager",
            groups="base.group_user,account.group_account_manager",
            **common,
        ),
        new_test_user(
            env,
            login="sftp_admin",
            groups="base.group_user,base.group_system,account.group_account_manager",
            **common,
        ),
    )


def activate_dutch(env):
    """Dutch active with this addon's terms, as on a Dutch database.

    Odoo's own runner starts from a fresh database without Dutch: a test that
    reads Dutch texts loads them itself.
    """
    env["res.lang"]._activate_lang("nl_NL")
    env["ir.module.module"]._load_module_terms(
        ["sftp_export"], ["nl_NL"], overwrite=True
    )


class SftpExportCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_dutch(cls.env)
        # Short waits: the tests cut connections on purpose.
        cls.startClassPatcher(patch.object(sftp_client, "TIMEOUT", 5))
        # A company of the tests' own (generic chart: Odoo's runner has no
        # Dutch one), so records of other tests
        # and demo data never show up in an export.
        cls.company = cls.env["res.company"].create(
            {"name": "Export Test B.V.", "country_id": cls.env.ref("base.nl").id}
        )
        cls.env.user.company_ids |= cls.company
        cls.env.user.company_id = cls.company
        cls.env = cls.env(
            context=dict(cls.env.context, allowed_company_ids=[cls.company.id])
        )
        cls.env["account.chart.template"].try_loading(
            "generic_coa", company=cls.company, install_demo=False
        )
        # Other schedules (demo data) must not fire during the cron tests.
        cls.env["sftp.export.schedule"].sudo().search([]).write({"enabled": False})
        cls.vendor = cls.env["res.partner"].create(
            {"name": "Drukkerij Hoek B.V.", "is_company": True, "vat": "NL000099998B57"}
        )
        cls.vendor_no_vat = cls.env["res.partner"].create(
            {"name": "Bakkerij Zonder Btw", "is_company": True}
        )
        cls.employee = cls.env["hr.employee"].create({"name": "Sanne de Vries"})
        cls.expense_product = cls.env["product.product"].create(
            {"name": "Reiskosten", "can_be_expensed": True, "standard_price": 0}
        )
        cls.cron = cls.env.ref("sftp_export.ir_cron_run_due_schedules")
        cls.test_cron = cls.env.ref("sftp_export.ir_cron_test_connections")
        cls.bookkeeper, cls.manager, cls.admin = make_users(cls.env, cls.company)
        cls.bill_format = cls.env.ref("sftp_export.format_vendor_bills")
        cls.card_format = cls.env.ref("sftp_export.format_card_transactions")
        cls.claim_format = cls.env.ref("sftp_export.format_expense_claims")

    # -- the SFTP side ----------------------------------------------------------------
    @classmethod
    def start_sshd(cls):
        cls.sshd = SshServer().start()
        cls.addClassCleanup(cls.sshd.cleanup)
        cls.server = cls.env["sftp.export.server"].create(
            {
                "name": "Test sshd",
                "host": "127.0.0.1",
                "port": cls.sshd.port,
                "username": cls.sshd.user,
                "directory": str(cls.sshd.upload_dir),
                "auth_method": "key",
            }
        )
        cls.server.action_generate_key()
        cls.sshd.authorize(cls.server.public_key)

    @classmethod
    def trust_host_key(cls):
        """What the cron does for a connection test: connect, trust the key."""
        cls.server._test_now()
        assert cls.server.connection_state == "ok", cls.server.connection_result

    def connection_test(self, record, user):
        """Test connection as the user, then the cron it triggers: the result
        the form shows (state, sentence)."""
        action = record.with_user(user).action_test_connection()
        self.assertEqual(action["params"]["type"], "info")
        self.assertEqual(self.server.connection_state, "testing")
        self.run_cron(self.test_cron)
        return self.server.connection_state, self.server.connection_result

    def remote_files(self):
        """Names in the upload directory, as the server shows them."""
        return sorted(path.name for path in self.sshd.upload_dir.iterdir())

    def remote_bytes(self, name):
        return (self.sshd.upload_dir / name).read_bytes()

    def remote_csv(self, name, encoding="utf-8", delimiter=";"):
        text = self.remote_bytes(name).decode(encoding)
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))

    def clear_remote(self):
        for path in self.sshd.upload_dir.iterdir():
            path.unlink()

    # -- the cron ---------------------------------------------------------------------
    def run_cron(self, cron=None):
        """Run the cron (the export's by default) as Odoo's scheduler does (its
        own cursor, its commits), here on cursors that share the test's
        transaction."""
        with self.enter_registry_test_mode():
            result = (cron or self.cron).method_direct_trigger()
        self.assertIs(result, True, "the cron ran without an error")
        self.env.invalidate_all()

    def export(self, schedule, user=None):
        """Export now as the user (the bookkeeper by default), then the cron
        the button triggered; returns the newest history line."""
        schedule.with_user(user or self.bookkeeper).action_run_now()
        self.run_cron()
        return schedule.run_ids.sorted("id")[-1:]

    # -- records ----------------------------------------------------------------------
    def make_bill(self, amount=100.0, partner=None, post=True, checked=True, ref="B"):
        bill = self.env["account.move"].create(
            {
                "move_type": "in_invoice",
                "partner_id": (partner or self.vendor).id,
                "invoice_date": "2026-11-02",
                "ref": ref,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Drukwerk", "quantity": 1, "price_unit": amount}
                    )
                ],
            }
        )
        if post:
            bill.action_post()
            bill.checked = checked
        return bill

    def pay(self, bill):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=bill.ids
        ).create({"payment_date": "2026-11-03"})._create_payments()
        self.assertIn(bill.payment_state, ("paid", "in_payment"))
        return bill

    def make_expense(self, name="Taxi", mode="company_account", status="posted"):
        expense = self.env["hr.expense"].create(
            {
                "name": name,
                "employee_id": self.employee.id,
                "product_id": self.expense_product.id,
                "total_amount_currency": 42.5,
                "payment_mode": mode,
                "date": "2026-11-02",
            }
        )
        if status == "submitted":
            # Waiting for a manager: what action_submit does when one is set.
            expense.approval_state = "submitted"
        elif status in ("approved", "posted"):
            expense.action_submit()  # no manager: approved at once
        if status == "posted":
            if mode == "company_account":
                expense.action_post()
            else:
                expense._post_without_wizard()
        self.assertEqual(expense.state, {"posted": expense.state}.get(status, status))
        return expense

    def make_schedule(self, dataset="vendor_bills", export_format=None, **line_values):
        export_format = (
            export_format
            or {
                "vendor_bills": self.bill_format,
                "card_transactions": self.card_format,
                "expense_claims": self.claim_format,
            }[dataset]
        )
        return self.env["sftp.export.schedule"].create(
            {
                "name": "Export to test sshd",
                "server_id": self.server.id,
                "tz": "Europe/Amsterdam",
                "line_ids": [
                    Command.create(
                        {
                            "dataset": dataset,
                            "format_id": export_format.id,
                            **line_values,
                        }
                    )
                ],
            }
        )

    def now(self):
        return fields.Datetime.now()


class WorkerKilled(BaseException):
    """What a kill -9 looks like from inside: nothing after it runs, the
    transaction is rolled back to the last commit."""


class SftpServerCase(SftpExportCase):
    """With a real sshd whose host key is trusted; emptied before each test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sshd()
        cls.trust_host_key()

    def setUp(self):
        super().setUp()
        self.clear_remote()
        if self.sshd.process.poll() is not None:  # a test stopped it
            self.sshd._spawn()

    def run_cron_killed_after_upload(self):
        """Run the cron with a worker that dies right after the upload, before
        "delivered" is committed; assert it died there."""
        real_upload = sftp_client.SftpClient.upload

        def upload_then_die(client, fileobj, file_name):
            real_upload(client, fileobj, file_name)
            raise WorkerKilled

        # Not assertRaises: Odoo's rolls back to before the block, and what the
        # killed worker committed must stay.
        killed = False
        with patch.object(sftp_client.SftpClient, "upload", upload_then_die):
            try:
                self.run_cron()
            except WorkerKilled:
                killed = True
        self.assertTrue(killed)
        self.env.invalidate_all()
