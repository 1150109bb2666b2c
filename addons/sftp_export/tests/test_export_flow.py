"""The user's flow end to end against a real sshd: export now, filters, formats,
history and Send again, failures, the cron at local time (zips with originals:
test_originals_zip.py)."""

import contextlib
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import SftpServerCase

DELIVERY_LOGGER = "odoo.addons.sftp_export.models.sftp_export_run_delivery"


@tagged("post_install", "-at_install")
class TestExportFlow(SftpServerCase):
    def exported_numbers(self, run, column=0, **csv_options):
        rows = self.remote_csv(run.file_name, **csv_options)
        return sorted(row[column] for row in rows[1:])

    def messages(self, schedule):
        return " | ".join(schedule.message_ids.mapped("body"))

    def test_export_now_delivers_the_csv_and_marks_the_bills(self):
        bill = self.make_bill(1234.5, ref="INV-77")
        schedule = self.make_schedule()
        self.assertEqual(schedule.line_ids.preview_count, 1)
        run = self.export(schedule)
        self.assertEqual(run.state, "delivered")
        self.assertEqual(run.trigger, "manual", "the history says: by hand")
        self.assertEqual(self.remote_files(), [run.file_name])
        self.assertRegex(run.file_name, r"^vendor_bills_\d{8}_\d{6}\.csv$")
        self.assertEqual(
            run.remote_path,
            f"sftp://127.0.0.1:{self.sshd.port}{self.sshd.upload_dir}/{run.file_name}",
        )
        header, row = self.remote_csv(run.file_name)
        self.assertEqual(
            header[:6],
            [
                "Number",
                "Bill reference",
                "Bill date",
                "Due date",
                "Vendor",
                "VAT number",
            ],
        )
        self.assertEqual(row[0], bill.name)
        self.assertEqual(row[1:3], ["INV-77", "02-11-2026"])
        self.assertEqual(row[4:6], ["Drukkerij Hoek B.V.", "NL000099998B57"])
        self.assertEqual(row[8], "1234,50")
        self.assertEqual(run.record_count, 1)
        # The history line's "Vendor bills" tab, as the bookkeeper sees it.
        self.assertEqual(run.with_user(self.bookkeeper).move_ids, bill)
        self.assertFalse(run.expense_ids)
        self.assertEqual(bill.sftp_exported_on, run.date)
        self.assertEqual(run.attachment_id.raw, self.remote_bytes(run.file_name))
        # The "Exported" / "Not exported" filters of the bills list.
        Move = self.env["account.move"].with_user(self.bookkeeper)
        self.assertIn(bill, Move.search([("sftp_exported_on", "!=", False)]))
        self.assertNotIn(bill, Move.search([("sftp_exported_on", "=", False)]))
        self.assertIn(bill, Move.search([("sftp_exported_on", ">=", run.date)]))
        self.assertNotIn(bill, Move.search([("sftp_exported_on", "<", run.date)]))

    def test_nothing_new_is_skipped_and_said_in_the_feed(self):
        self.make_bill()
        schedule = self.make_schedule()
        self.assertEqual(self.export(schedule).state, "delivered")
        run = self.export(schedule)
        self.assertEqual(run.state, "skipped")
        self.assertFalse(run.file_name)
        self.assertIn("Export skipped: no data (Vendor bills)", self.messages(schedule))
        self.assertEqual(len(self.remote_files()), 1)

    def test_already_exported_filter_sends_them_again(self):
        bill = self.make_bill()
        schedule = self.make_schedule()
        self.export(schedule)
        schedule.line_ids.include_exported = True
        self.assertEqual(schedule.line_ids.preview_count, 1)
        run = self.export(schedule)
        self.assertEqual(self.exported_numbers(run), [bill.name])

    def test_bill_filters(self):
        ready = self.make_bill(10)
        draft = self.make_bill(20, post=False)
        unchecked = self.make_bill(30, checked=False)
        paid = self.pay(self.make_bill(40))
        schedule = self.make_schedule()
        line = schedule.line_ids
        cases = [
            ({}, [ready, paid]),
            ({"include_approval_missing": True}, [ready, paid, draft]),
            ({"include_verification_missing": True}, [ready, paid, unchecked]),
            ({"include_unpaid": False}, [paid]),
            ({"include_paid": False}, [ready]),
            ({"include_ready": False, "include_approval_missing": True}, [draft]),
            ({"include_paid": False, "include_unpaid": False}, []),
        ]
        defaults = {
            "include_ready": True,
            "include_paid": True,
            "include_unpaid": True,
            "include_approval_missing": False,
            "include_verification_missing": False,
            "include_exported": True,  # every case sees the same bills
        }
        for values, expected in cases:
            with self.subTest(values=values):
                self.clear_remote()
                line.write({**defaults, **values})
                self.assertEqual(line.preview_count, len(expected))
                run = self.export(schedule)
                if not expected:
                    self.assertEqual(run.state, "skipped")
                    continue
                self.assertEqual(
                    self.exported_numbers(run),
                    sorted(bill.name or "" for bill in expected),
                )

    def test_required_information_missing(self):
        vat_required = self.bill_format.copy({"name": "VAT required"})
        vat_required.column_ids.filtered(
            lambda c: c.header == "VAT number"
        ).required = True
        complete = self.make_bill(10)
        without_vat = self.make_bill(20, partner=self.vendor_no_vat)
        schedule = self.make_schedule(export_format=vat_required)
        run = self.export(schedule)
        self.assertEqual(self.exported_numbers(run), [complete.name])
        self.assertIn(
            "1 item could not be exported: "
            f"{without_vat.display_name} misses VAT number",
            self.messages(schedule),
        )
        self.assertFalse(without_vat.sftp_exported_on, "left out, so not marked")
        schedule.line_ids.include_missing_info = True
        run = self.export(schedule)
        self.assertEqual(self.exported_numbers(run), [without_vat.name])

    def test_card_transactions_and_expense_claims(self):
        card = self.make_expense("Hotel Amersfoort", mode="company_account")
        claim = self.make_expense("Treinkaartje", mode="own_account")
        draft_claim = self.make_expense(
            "Lunch klant", mode="own_account", status="draft"
        )
        submitted = self.make_expense(
            "Parkeren", mode="own_account", status="submitted"
        )
        approved = self.make_expense(
            "Taxi Schiphol", mode="own_account", status="approved"
        )
        cards = self.make_schedule("card_transactions")
        run = self.export(cards)
        self.assertEqual(self.exported_numbers(run, column=2), ["Hotel Amersfoort"])
        _header, row = self.remote_csv(run.file_name)
        self.assertEqual(row[1], "Sanne de Vries")
        self.assertEqual(row[5], "42,50")
        self.assertTrue(card.sftp_exported_on)
        self.assertEqual(card.state, "paid", "paid by the company")

        claims = self.make_schedule("expense_claims")
        run = self.export(claims)
        self.assertEqual(self.exported_numbers(run, column=2), ["Treinkaartje"])
        claims.line_ids.write(
            {"include_approval_missing": True, "include_exported": True}
        )
        run = self.export(claims)
        self.assertEqual(
            self.exported_numbers(run, column=2),
            ["Lunch klant", "Parkeren", "Treinkaartje"],
        )
        claims.line_ids.write(
            {"include_verification_missing": True, "include_approval_missing": False}
        )
        run = self.export(claims)
        self.assertEqual(
            self.exported_numbers(run, column=2), ["Taxi Schiphol", "Treinkaartje"]
        )
        claims.line_ids.write(
            {"include_paid": False, "include_verification_missing": False}
        )
        run = self.export(claims)
        self.assertEqual(self.exported_numbers(run, column=2), ["Treinkaartje"])
        self.assertTrue(draft_claim.sftp_exported_on and submitted.sftp_exported_on)
        self.assertTrue(claim.sftp_exported_on)
        self.assertEqual(approved.state, "approved")

    def test_format_options_in_the_delivered_file(self):
        custom = self.env["sftp.export.format"].create(
            {
                "name": "Boekhouder Windows",
                "dataset": "vendor_bills",
                "delimiter": ",",
                "quotechar": "'",
                "quoting": "all",
                "decimal_separator": ".",
                "encoding": "cp1252",
                "date_format": "%Y%m%d",
                "file_name_pattern": "{company}-{format}-{date}.txt",
                "column_ids": [
                    Command.create({"header": "Factuur", "field_path": "name"}),
                    Command.create(
                        {"header": "Leverancier", "field_path": "partner_id.name"}
                    ),
                    Command.create({"header": "Datum", "field_path": "invoice_date"}),
                    Command.create(
                        {
                            "header": "Vervaldatum",
                            "field_path": "invoice_date_due",
                            "date_format": "%d/%m/%y",
                        }
                    ),
                    Command.create(
                        {"header": "Bedrag", "field_path": "amount_total", "digits": 1}
                    ),
                ],
            }
        )
        self.vendor.name = "Café Émile"
        bill = self.make_bill(99.96)
        run = self.export(self.make_schedule(export_format=custom))
        self.assertRegex(run.file_name, r"^.+-Boekhouder_Windows-\d{8}\.txt$")
        data = self.remote_bytes(run.file_name)
        due = bill.invoice_date_due.strftime("%d/%m/%y")
        expected = (
            "'Factuur','Leverancier','Datum','Vervaldatum','Bedrag'\r\n"
            f"'{bill.name}','Café Émile','20261102','{due}',"
            f"'{bill.amount_total:.1f}'\r\n"
        ).encode("cp1252")
        self.assertEqual(data, expected)

    def test_send_again_by_the_bookkeeper_is_marked_and_identical(self):
        bill = self.make_bill()
        schedule = self.make_schedule()
        first = self.export(schedule)
        kept = first.attachment_id.raw
        self.clear_remote()  # the accountant's side took the file away
        action = first.with_user(self.bookkeeper).action_resend()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            action["params"]["message"],
            f"{first.file_name} is sent again: the new line in the export history "
            "shows when it arrived.",
        )
        again = schedule.run_ids.sorted("id")[-1]
        self.assertEqual((again.trigger, again.state), ("resend", "ready"))
        self.assertEqual(again.resent_from_id, first)
        self.run_cron()
        self.assertEqual(again.state, "delivered")
        self.assertEqual(self.remote_bytes(first.file_name), kept, "byte for byte")
        self.assertEqual(bill.sftp_exported_on, again.date, "marked when it arrived")

    def test_an_employee_cannot_export_or_send_again(self):
        self.make_bill()
        schedule = self.make_schedule()
        run = self.export(schedule)
        employee = self.env["res.users"].create(
            {
                "name": "Medewerker",
                "login": "sftp_employee",
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
                "group_ids": [Command.set(self.env.ref("base.group_user").ids)],
            }
        )
        message = "Only users with Invoicing rights"
        with self.assertRaisesRegex(AccessError, message):
            schedule.with_user(employee).action_run_now()
        with self.assertRaisesRegex(AccessError, message):
            run.with_user(employee).action_resend()

    def test_server_down_is_retried_with_growing_delays(self):
        bill = self.make_bill()
        schedule = self.make_schedule()
        self.sshd.stop()
        start = self.now()
        run = self.export(schedule)
        self.assertEqual(run.state, "ready", "kept to try again")
        self.assertIn("Attempt 1 of 5 failed: The server 127.0.0.1 refuses", run.error)
        self.assertIn("The next attempt is at", run.error)
        delays = []
        for _attempt in range(4):
            delays.append(round((run.next_attempt - start).total_seconds() / 60))
            with freeze_time(run.next_attempt, tick=True):
                start = run.next_attempt
                self.run_cron()
        self.assertEqual(delays, [1, 5, 15, 60], "minutes before each next attempt")
        self.assertEqual(run.state, "failed")
        self.assertEqual(run.attempts, 5)
        self.assertFalse(bill.sftp_exported_on, "not delivered, not marked")
        self.assertIn(
            "1 item could not be exported (Vendor bills)", self.messages(schedule)
        )
        self.assertTrue(run.attachment_id, "the file is kept to send again")
        self.sshd._spawn()
        run = self.export(schedule)
        self.assertEqual(run.state, "delivered")
        self.assertEqual(self.exported_numbers(run), [bill.name], "sent next time")

    def test_a_retry_delivers_once_the_server_is_back(self):
        bill = self.make_bill()
        schedule = self.make_schedule()
        self.company.partner_id.lang = "nl_NL"  # the cron writes in Dutch
        self.sshd.stop()
        run = self.export(schedule)
        self.assertIn("Poging 1 van 5 is mislukt", run.error)
        self.sshd._spawn()
        self.run_cron()
        self.assertEqual(run.state, "ready", "not before the next attempt is due")
        with freeze_time(run.next_attempt, tick=True):
            self.run_cron()
        self.assertEqual(run.state, "delivered")
        self.assertEqual(self.remote_files(), [run.file_name])
        self.assertEqual(bill.sftp_exported_on, run.date)

    def test_a_crash_while_writing_the_file_delivers_nothing(self):
        bill = self.make_bill()
        schedule = self.make_schedule()
        Line = type(self.env["sftp.export.schedule.line"])

        real_csv_data = Line._csv_data

        def write_then_crash(line, records, rows=None):
            real_csv_data(line, records, rows)
            raise ZeroDivisionError("a bug while writing")

        with (
            patch.object(Line, "_csv_data", write_then_crash),
            mute_logger(DELIVERY_LOGGER),
        ):
            run = self.export(schedule)
        self.assertEqual(run.state, "failed")
        self.assertIn("because of an error in Odoo", run.error)
        self.assertFalse(run.attachment_id)
        self.assertEqual(self.remote_files(), [], "no final file, no temporary file")
        self.assertFalse(bill.sftp_exported_on)

    def test_server_without_key_fails_with_the_reason_and_keeps_the_file(self):
        bill = self.make_bill()
        keyless = self.server.copy({"name": "No key yet"})
        keyless.auth_method = "key"
        schedule = self.make_schedule()
        schedule.server_id = keyless
        run = self.export(schedule)
        self.assertEqual(run.state, "failed")
        self.assertIn("Generate a key for the server No key yet first", run.error)
        self.assertIn(bill.name.encode(), run.attachment_id.raw)
        self.assertEqual(self.remote_files(), [])

    def test_changed_host_key_is_refused(self):
        bill = self.make_bill()
        schedule = self.make_schedule()
        self.sshd.restart_with_new_host_key()
        self.addCleanup(self.sshd.restore_host_key)
        run = self.export(schedule)
        self.assertEqual(run.state, "failed", "not tried again: it will not pass")
        self.assertIn("instead of the trusted", run.error)
        self.assertFalse(bill.sftp_exported_on)
        self.assertEqual(self.remote_files(), [])
        state, result = self.connection_test(self.server, self.admin)
        self.assertEqual(state, "failed")
        self.assertIn("instead of the trusted", result)
        # The administrator knows the server was reinstalled: trust its new key.
        self.server.with_user(self.admin).action_forget_host_key()
        self.assertEqual(self.connection_test(self.server, self.admin)[0], "ok")
        self.assertEqual(self.server.host_key_fingerprint, self.sshd.host_fingerprint)
        self.assertEqual(self.export(schedule).state, "delivered")
        self.assertTrue(bill.sftp_exported_on)

    def test_read_only_directory_fails_with_the_reason(self):
        self.make_bill()
        self.server.directory = str(self.sshd.readonly_dir)
        state, result = self.connection_test(self.server, self.manager)
        self.assertEqual(state, "failed")
        self.assertIn("give the user write access", result)
        run = self.export(self.make_schedule())
        self.assertEqual(run.state, "failed")
        self.assertIn("give the user write access", run.error)

    def test_full_disk_is_retried_and_said(self):
        self.make_bill()
        small = self.sshd.small_disk(size_kb=64)
        with (
            open(small / "filler.bin", "wb", buffering=0) as filler,
            contextlib.suppress(OSError),  # written until the disk is full
        ):
            while True:
                filler.write(b"0" * 4096)
        self.server.directory = str(small)
        run = self.export(self.make_schedule())
        self.assertEqual(run.state, "ready")
        self.assertIn("its disk may be full", run.error)
        self.assertEqual(sorted(p.name for p in small.iterdir()), ["filler.bin"])
        (small / "filler.bin").unlink()  # the administrator made room
        with freeze_time(run.next_attempt, tick=True):
            self.run_cron()
        self.assertEqual(run.state, "delivered")
        self.assertEqual(sorted(p.name for p in small.iterdir()), [run.file_name])
