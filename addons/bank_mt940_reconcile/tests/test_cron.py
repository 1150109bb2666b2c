"""The cron: waiting files processed, its interval, large files in chunks."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import convert_file

from odoo.addons.bank_mt940_reconcile.models import (
    bank_mt940_file,
    bank_mt940_file_import,
)

from .common import Mt940Common, build_mt940


@tagged("post_install", "-at_install")
class TestCron(Mt940Common):
    def test_cron_processes_waiting_files(self):
        invoice = self.create_invoice(42)
        record = self.upload(build_mt940([{"amount": 42, "remi": invoice.name}]))
        self.assertEqual(record.state, "waiting")
        # The cron runs in its own cursor, as the scheduler would run it.
        self.run_cron()
        self.assertEqual(record.state, "processed")
        self.assertEqual(invoice.payment_state, "paid")

    def test_cron_writes_in_the_language_of_the_company(self):
        self.env.company.partner_id.lang = "nl_NL"
        record = self.upload(build_mt940([{"amount": 5, "remi": "zonder nummer"}]))
        self.run_cron(lang=None)
        self.assertEqual(record.state, "processed")
        self.assertEqual(record.log_ids.message, "geen factuurnummer gevonden")

    def test_interval_is_a_setting(self):
        cron = self.env.ref("bank_mt940_reconcile.ir_cron_process_mt940_files")
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.mt940_cron_interval, 15)
        settings.mt940_cron_interval = 60
        settings.execute()
        self.assertEqual((cron.interval_number, cron.interval_type), (60, "minutes"))

    def test_upgrade_keeps_the_interval(self):
        cron = self.env.ref("bank_mt940_reconcile.ir_cron_process_mt940_files")
        cron.interval_number = 60
        # What "Upgrade" of the addon does with its data file.
        convert_file(
            self.env, "bank_mt940_reconcile", "data/ir_cron.xml", {}, mode="update"
        )
        cron.invalidate_recordset()
        self.assertEqual((cron.interval_number, cron.interval_type), (60, "minutes"))

    def test_processed_file_cannot_be_processed_again(self):
        record = self.process(build_mt940([{"amount": 1, "remi": "x"}]))
        with self.assertRaises(UserError):
            record.action_process()
        self.assertEqual(record.processed_date.date(), fields.Date.today())
        self.assertLess(
            record.processed_date - record.create_date, timedelta(minutes=5)
        )


@tagged("post_install", "-at_install")
class TestProgress(Mt940Common):
    """Large files: the cron imports them in committed chunks and resumes."""

    def test_progress_shows_how_far_the_file_is(self):
        record = self.upload(build_mt940([{"amount": 1, "remi": "x"}]))
        self.assertFalse(record.progress)
        record.write({"state": "processing", "transaction_count": 4000})
        record.done_count = 1200
        self.assertEqual(record.progress, "1,200 / 4,000 transactions")
        self.assertEqual(
            record.with_context(lang="nl_NL").progress, "1.200 / 4.000 transacties"
        )

    def test_file_that_fails_halfway_imports_nothing(self):
        data = build_mt940([{"amount": n + 1, "remi": "x"} for n in range(5)])
        record = self.upload(data)
        model = type(record)
        reconcile_all = model._reconcile_all
        calls = []

        def second_chunk_fails(file, lines, plans):
            calls.append(lines)
            if len(calls) == 2:
                raise UserError("Rekening geblokkeerd")  # pylint: disable=translation-required
            return reconcile_all(file, lines, plans)

        with (
            patch.object(bank_mt940_file_import, "CHUNK_SIZE", 2),
            patch.object(model, "_reconcile_all", second_chunk_fails),
        ):
            record.action_process()
        self.assertEqual(record.state, "error")
        self.assertEqual(record.message, "Rekening geblokkeerd")
        self.assertFalse(record.statement_line_ids)
        self.assertEqual(record.done_count, 0)

    def test_process_now_hands_a_large_file_to_the_cron(self):
        invoice = self.create_invoice(3)
        payments = [{"amount": n + 1, "remi": f"betaling {n}"} for n in range(5)]
        payments[2]["remi"] = invoice.name
        record = self.upload(build_mt940(payments))
        self.assertEqual(record.transaction_count, 5)
        cron = self.env.ref("bank_mt940_reconcile.ir_cron_process_mt940_files")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        with patch.object(bank_mt940_file, "INLINE_LIMIT", 2):
            action = record.action_process()
        # The browser is not kept waiting: the cron is started now.
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("processed in the background", action["params"]["message"])
        self.assertEqual(record.state, "waiting")
        self.assertFalse(record.statement_line_ids)
        new_triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.assertTrue(new_triggers - triggers)
        with patch.object(bank_mt940_file_import, "CHUNK_SIZE", 2):
            self.run_cron()
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual((record.done_count, record.transaction_count), (5, 5))
        self.assertEqual(len(record.statement_line_ids), 5)
        self.assertEqual(record.log_ids.mapped("sequence"), [0, 1, 2, 3, 4])
        self.assertEqual(invoice.payment_state, "paid")

    def test_stuck_file_is_resumed_where_it_stopped(self):
        """A worker killed after two committed chunks: Process now goes on."""
        payments = [{"amount": n + 1, "remi": f"betaling {n}"} for n in range(5)]
        record = self.upload(build_mt940(payments))
        with patch.object(bank_mt940_file_import, "CHUNK_SIZE", 2):
            record.sudo()._process_file()
        lines = record.statement_line_ids
        # What a killed run leaves: the first two chunks, "processing".
        keep = record.log_ids.filtered(lambda log: log.sequence < 4)
        (record.log_ids - keep).unlink()
        lines.filtered(lambda line: line.amount == 5).unlink()
        record.write({"state": "processing", "done_count": 4, "message": False})
        self.assertEqual(record.progress, "4 / 5 transactions")
        record.action_process()
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(len(record.statement_line_ids), 5)
        self.assertEqual(record.log_ids.mapped("sequence"), [0, 1, 2, 3, 4])
        self.assertFalse(self.logs(record, "duplicate"))
