"""The bookkeeper in the web client (headless Chromium): the export history,
Send again, and the automatic export form."""

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import activate_dutch, make_users


@tagged("post_install", "-at_install")
class TestExportTours(HttpCase):
    # On a busy 2-core machine the first requests compile the asset bundles while
    # the others wait for the test cursor longer than Odoo's 20 s default.
    test_cursor_lock_timeout = 120

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_dutch(cls.env)
        company = cls.env.company
        cls.bookkeeper, _manager, _admin = make_users(cls.env, company)
        cls.bookkeeper.lang = "nl_NL"
        cls.server = cls.env["sftp.export.server"].create(
            {
                "name": "Boekhoudkantoor",
                "host": "sftp.example.nl",
                "username": "boekhouding",
                "directory": "/upload/odoo",
                "company_id": company.id,
            }
        )
        bill_format = cls.env.ref("sftp_export.format_vendor_bills")
        cls.schedule = cls.env["sftp.export.schedule"].create(
            {
                "name": "Naar het boekhoudkantoor",
                "company_id": company.id,
                "server_id": cls.server.id,
                "enabled": True,
                "tz": "Europe/Amsterdam",
                "line_ids": [
                    Command.create(
                        {"dataset": "vendor_bills", "format_id": bill_format.id}
                    ),
                    Command.create(
                        {
                            "dataset": "expense_claims",
                            "format_id": cls.env.ref(
                                "sftp_export.format_expense_claims"
                            ).id,
                            "include_attachments": True,
                        }
                    ),
                ],
            }
        )
        cls.delivered_run = cls.env["sftp.export.run"].create(
            {
                "company_id": company.id,
                "schedule_id": cls.schedule.id,
                "server_id": cls.server.id,
                "dataset": "vendor_bills",
                "format_id": bill_format.id,
                "trigger": "automatic",
                "state": "delivered",
                "file_name": "vendor_bills_20261130_070000.csv",
                "remote_path": cls.server._remote_url(
                    "vendor_bills_20261130_070000.csv"
                ),
                "record_count": 12,
            }
        )
        cls.delivered_run.attachment_id = cls.env["ir.attachment"].create(
            {
                "name": cls.delivered_run.file_name,
                "raw": b"Nummer;Totaal\r\nINK/2026/0001;121,00\r\n",
                "res_model": "sftp.export.run",
                "res_id": cls.delivered_run.id,
            }
        )

    def test_bookkeeper_sends_a_file_again(self):
        self.start_tour(
            "/odoo/sftp-export-history",
            "sftp_export_history_tour",
            login=self.bookkeeper.login,
            timeout=300,  # a shared 2-core machine is slow to load the web client
        )
        again = self.env["sftp.export.run"].search(
            [("resent_from_id", "=", self.delivered_run.id)]
        )
        self.assertEqual((again.trigger, again.state), ("resend", "ready"))
        self.assertEqual(again.attachment_id, self.delivered_run.attachment_id)

    def test_bookkeeper_opens_the_automatic_export(self):
        self.start_tour(
            f"/odoo/action-sftp_export.sftp_export_schedule_action/{self.schedule.id}",
            "sftp_export_schedule_tour",
            login=self.bookkeeper.login,
            timeout=300,  # a shared 2-core machine is slow to load the web client
        )
