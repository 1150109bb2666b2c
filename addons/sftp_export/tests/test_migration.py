"""Updating from 19.0.1.0.0: the records of the history move from the two
many-to-many tables to the history line's own column, and nothing looks
unexported afterwards."""

import importlib.util
from pathlib import Path

from odoo.tests import tagged
from odoo.tools import SQL

from .common import SftpExportCase

SCRIPT = Path(__file__).parent.parent / "migrations" / "19.0.1.0.1" / "post-migrate.py"


def post_migrate():
    spec = importlib.util.spec_from_file_location("sftp_export_post_migrate", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.migrate


@tagged("post_install", "-at_install")
class TestMigration(SftpExportCase):
    def test_update_keeps_the_exported_marks_and_the_history(self):
        bills = self.make_bill(ref="A") | self.make_bill(ref="B")
        claim = self.make_expense(mode="own_account", status="draft")
        Run = self.env["sftp.export.run"]
        delivered = Run.create(
            {
                "company_id": self.company.id,
                "dataset": "vendor_bills",
                "state": "delivered",
            }
        )
        claims_run = Run.create(
            {
                "company_id": self.company.id,
                "dataset": "expense_claims",
                "state": "delivered",
            }
        )
        cr = self.env.cr
        # The tables as 19.0.1.0.0 left them.
        cr.execute(
            SQL(
                "CREATE TABLE sftp_export_run_account_move_rel "
                "(run_id int NOT NULL, move_id int NOT NULL);"
                "CREATE TABLE sftp_export_run_hr_expense_rel "
                "(run_id int NOT NULL, expense_id int NOT NULL);"
                "INSERT INTO sftp_export_run_account_move_rel "
                "SELECT %(run)s, unnest(%(bills)s::int[]);"
                "INSERT INTO sftp_export_run_hr_expense_rel "
                "VALUES (%(claims)s, %(claim)s)",
                run=delivered.id,
                bills=sorted(bills.ids, reverse=True),
                claims=claims_run.id,
                claim=claim.id,
            )
        )
        self.assertFalse(bills[0].sftp_exported_on, "before: not in the new column")

        post_migrate()(cr, "19.0.1.0.0")
        self.env.invalidate_all()

        self.assertEqual(delivered.record_ids, sorted(bills.ids))
        self.assertEqual(delivered.with_user(self.bookkeeper).move_ids, bills)
        self.assertEqual(claims_run.expense_ids, claim)
        self.assertEqual(bills.mapped("sftp_exported_on"), [delivered.date] * 2)
        self.assertEqual(claim.sftp_exported_on, claims_run.date)
        Move = self.env["account.move"]
        self.assertFalse(
            Move.search([("id", "in", bills.ids), ("sftp_exported_on", "=", False)])
        )
        cr.execute(SQL("SELECT to_regclass('sftp_export_run_account_move_rel')"))
        self.assertIsNone(cr.fetchone()[0], "the old table is gone")
        # Run again (an update retried): nothing to do, nothing fails.
        post_migrate()(cr, "19.0.1.0.0")
        self.assertEqual(delivered.record_ids, sorted(bills.ids))
