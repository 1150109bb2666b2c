"""The user's flow end to end against a real sshd: export now, filters, formats,
originals in a zip, history and Send again, failures, the cron at local time."""

import io
import zipfile
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.sftp_export.models.sftp_export_schedule import WEEKDAYS

from .common import SftpExportCase


@tagged("post_install", "-at_install")
class TestServer(SftpExportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sshd()
        cls.manager = new_test_user(
            cls.env, login="sftp_manager", groups="account.group_account_manager"
        )

    def test_connection_test_shows_and_trusts_the_host_key(self):
        self.assertFalse(self.server.host_key_fingerprint)
        action = self.server.action_test_connection()
        fingerprint = self.sshd.host_fingerprint
        self.assertIn(fingerprint, action["params"]["message"])
        self.assertEqual(self.server.host_key_fingerprint, fingerprint)
        self.assertEqual(self.remote_files(), [], "the test file is removed again")

    def test_generated_key_is_shown_and_logs_in(self):
        self.assertTrue(self.server.public_key.startswith("ssh-ed25519 "))
        self.assertTrue(
            self.server.sudo().private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY")
        )
        self.assertEqual(self.server.auth_method, "key")
        self.server.action_test_connection()  # the generated key logs in

    def test_secrets_are_for_system_administrators_only(self):
        as_manager = self.server.with_user(self.manager)
        self.assertTrue(as_manager.public_key, "the public half is for everyone")
        with self.assertRaises(AccessError):
            as_manager.read(["private_key"])
        with self.assertRaises(AccessError):
            as_manager.read(["password"])
        with self.assertRaises(UserError):
            as_manager.action_generate_key()
        # ...but the manager can test the connection with them.
        action = as_manager.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")

    def test_bad_credentials_are_explained(self):
        self.server.auth_method = "password"
        self.server.sudo().password = "not-the-password"
        with self.assertRaisesRegex(UserError, "refused the login of user"):
            self.server.action_test_connection()

    def test_directory_with_parent_segments_is_refused(self):
        with self.assertRaisesRegex(Exception, "may not contain"):
            self.server.directory = "/upload/../../etc"


@tagged("post_install", "-at_install")
class TestExportFlow(SftpExportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sshd()
        cls.server.action_test_connection()  # trust the host key

    def setUp(self):
        super().setUp()
        self.clear_remote()
        if self.sshd.process.poll() is not None:
            self.sshd._spawn()

    def export(self, schedule):
        schedule.action_run_now()
        return schedule.run_ids.sorted("id")[-1:]

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
        self.assertEqual(run.move_ids, bill)
        self.assertEqual(bill.sftp_exported_on, run.date)
        self.assertEqual(run.attachment_id.raw, self.remote_bytes(run.file_name))
        # The "Exported" / "Not exported" filters of the bills list.
        Move = self.env["account.move"]
        self.assertIn(bill, Move.search([("sftp_exported_on", "!=", False)]))
        self.assertNotIn(bill, Move.search([("sftp_exported_on", "=", False)]))
        self.assertIn(bill, Move.search([("sftp_exported_on", ">=", run.date)]))

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

    def test_originals_go_in_one_zip_with_the_csv(self):
        bill = self.make_bill()
        pdf = b"%PDF-1.4 original scan " + bytes(range(256)) * 40
        self.env["ir.attachment"].create(
            {
                "name": "scan.pdf",
                "raw": pdf,
                "res_model": "account.move",
                "res_id": bill.id,
            }
        )
        schedule = self.make_schedule(include_attachments=True)
        run = self.export(schedule)
        self.assertTrue(run.file_name.endswith(".zip"))
        self.assertEqual(run.attachment_count, 1)
        with zipfile.ZipFile(io.BytesIO(self.remote_bytes(run.file_name))) as archive:
            names = archive.namelist()
            self.assertEqual(len(names), 2)
            csv_name = next(name for name in names if name.endswith(".csv"))
            self.assertIn(bill.name.encode(), archive.read(csv_name))
            original = next(name for name in names if name.startswith("originals/"))
            self.assertTrue(original.endswith("scan.pdf"))
            self.assertEqual(archive.read(original), pdf)

    def test_send_again_uploads_the_same_bytes(self):
        bill = self.make_bill()
        schedule = self.make_schedule()
        self.sshd.stop()
        failed = self.export(schedule)
        self.assertEqual(failed.state, "failed")
        self.assertFalse(bill.sftp_exported_on)
        kept = failed.attachment_id.raw
        self.assertIn(bill.name.encode(), kept)
        self.sshd._spawn()
        failed.action_resend()
        again = schedule.run_ids.sorted("id")[-1]
        self.assertEqual(again.resent_from_id, failed)
        self.assertEqual(again.state, "delivered")
        self.assertEqual(self.remote_bytes(failed.file_name), kept)
        self.assertEqual(bill.sftp_exported_on, again.date, "marked when it arrived")
        # A delivered file sent once more arrives identical too.
        self.clear_remote()
        again.action_resend()
        self.assertEqual(self.remote_bytes(failed.file_name), kept)

    def test_server_down_fails_the_run_and_keeps_the_records(self):
        bill = self.make_bill()
        schedule = self.make_schedule()
        self.sshd.stop()
        run = self.export(schedule)
        self.assertEqual(run.state, "failed")
        self.assertIn("failed after 3 attempts", run.error)
        self.assertFalse(bill.sftp_exported_on, "not delivered, not marked")
        self.assertIn(
            "1 item could not be exported (Vendor bills)", self.messages(schedule)
        )
        self.assertTrue(run.attachment_id, "the file is kept to send again")
        # A Dutch bookkeeper reads the reason in Dutch.
        run = self.export(schedule.with_context(lang="nl_NL"))
        self.assertIn("is na 3 pogingen mislukt", run.error)
        self.assertIn(
            "1 item kon niet worden gedownload (Facturen)", self.messages(schedule)
        )
        self.sshd._spawn()
        run = self.export(schedule)
        self.assertEqual(run.state, "delivered")
        self.assertEqual(
            self.exported_numbers(run), [bill.name], "the next run sends it"
        )

    def test_a_crash_while_writing_the_file_delivers_nothing(self):
        bill = self.make_bill()
        schedule = self.make_schedule()
        Line = type(self.env["sftp.export.schedule.line"])

        def write_half_then_crash(line, target, records, local_now, run):
            target.write(b"Number;Total\r\n" * 50_000)  # the upload is under way
            raise ZeroDivisionError("a bug while writing")

        with (
            patch.object(Line, "_write_file", write_half_then_crash),
            self.assertRaises(ZeroDivisionError),
        ):
            schedule.action_run_now()
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
        self.assertEqual(run.state, "failed")
        self.assertIn("instead of the trusted", run.error)
        self.assertFalse(bill.sftp_exported_on)
        self.assertEqual(self.remote_files(), [])
        with self.assertRaisesRegex(UserError, "instead of the trusted"):
            self.server.action_test_connection()
        # The administrator knows the server was reinstalled: trust its new key.
        self.server.action_forget_host_key()
        self.server.action_test_connection()
        self.assertEqual(self.server.host_key_fingerprint, self.sshd.host_fingerprint)
        self.assertEqual(self.export(schedule).state, "delivered")
        self.assertTrue(bill.sftp_exported_on)

    def test_read_only_directory_fails_with_the_reason(self):
        if not self.sshd.as_root:
            self.skipTest("only a non-root test user meets a read-only directory")
        self.make_bill()
        self.server.directory = str(self.sshd.readonly_dir)
        with self.assertRaisesRegex(UserError, "Permission denied"):
            self.server.action_test_connection()
        run = self.export(self.make_schedule())
        self.assertEqual(run.state, "failed")
        self.assertIn("Permission denied", run.error)


@tagged("post_install", "-at_install")
class TestScheduleTiming(SftpExportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sshd()
        cls.server.action_test_connection()
        cls.cron = cls.env.ref("sftp_export.ir_cron_run_due_schedules")

    def setUp(self):
        super().setUp()
        self.clear_remote()
        if self.sshd.process.poll() is not None:
            self.sshd._spawn()

    def schedule_at(self, time=7.0, tz="Europe/Amsterdam", days=("monday",)):
        schedule = self.make_schedule()
        schedule.write(
            {
                "enabled": True,
                "time": time,
                "tz": tz,
                **{day: day in days for day in WEEKDAYS},
            }
        )
        schedule.flush_recordset()  # planned now, as when the user saves the form
        return schedule

    def run_cron(self):
        """Run the cron as Odoo's scheduler does (its own cursor, its commits),
        here on cursors that share the test's transaction."""
        with self.enter_registry_test_mode():
            result = self.cron.method_direct_trigger()
        self.assertIs(result, True, "the cron ran without an error")

    def exported_numbers_of(self, run):
        return [row[0] for row in self.remote_csv(run.file_name)[1:]]

    def test_next_export_is_shown_in_local_time_across_dst(self):
        with freeze_time("2026-03-25 12:00:00"):
            schedule = self.schedule_at()
            # Summer time starts on 29 March: 07:00 is then 05:00 UTC.
            self.assertEqual(str(schedule.next_run), "2026-03-30 05:00:00")
            self.assertEqual(
                schedule.next_run_label,
                "Next export on 30-03-2026 at 07:00 (Europe/Amsterdam)",
            )
            schedule.enabled = False
            self.assertFalse(schedule.next_run)
            self.assertEqual(schedule.next_run_label, "Automatic export is off.")
        with freeze_time("2026-10-21 12:00:00"):
            schedule.enabled = True
            # Winter time from 25 October: 07:00 is 06:00 UTC again.
            self.assertEqual(str(schedule.next_run), "2026-10-26 06:00:00")
            self.assertEqual(
                schedule.next_run_label,
                "Next export on 26-10-2026 at 07:00 (Europe/Amsterdam)",
            )
            self.assertEqual(
                schedule.with_context(lang="nl_NL").next_run_label,
                "Volgende download is op 26-10-2026 om 07:00 (Europe/Amsterdam)",
            )

    def test_cron_exports_at_the_local_time_and_plans_the_next(self):
        self.assertEqual(
            (self.cron.interval_number, self.cron.interval_type), (5, "minutes")
        )
        bill = self.make_bill()
        with freeze_time("2026-03-28 12:00:00", tick=True):
            amsterdam = self.schedule_at(7.0, "Europe/Amsterdam")
            new_york = self.schedule_at(7.0, "America/New_York")
        with freeze_time("2026-03-30 04:58:00", tick=True):
            self.run_cron()
        self.assertFalse(amsterdam.run_ids, "06:58 in Amsterdam: not yet")
        with freeze_time("2026-03-30 05:01:00", tick=True):
            self.run_cron()
        self.assertEqual(amsterdam.run_ids.state, "delivered")
        self.assertEqual(self.exported_numbers_of(amsterdam.run_ids), [bill.name])
        self.assertEqual(str(amsterdam.next_run), "2026-04-06 05:00:00")
        self.assertTrue(bill.sftp_exported_on)
        self.assertFalse(new_york.run_ids, "01:01 in New York: not yet")
        # 07:00 in New York (summer time there too) is 11:00 UTC.
        self.assertEqual(str(new_york.next_run), "2026-03-30 11:00:00")
        with freeze_time("2026-03-30 11:01:00", tick=True):
            self.run_cron()
        self.assertEqual(new_york.run_ids.state, "skipped", "sent by the other one")
        self.assertEqual(len(amsterdam.run_ids), 1, "not due again before Monday")
        self.assertEqual(str(new_york.next_run), "2026-04-06 11:00:00")

    def test_cron_writes_in_the_language_of_the_company(self):
        self.make_bill()
        with freeze_time("2026-03-28 12:00:00", tick=True):
            schedule = self.schedule_at(7.0)
        schedule.company_id.partner_id.lang = "nl_NL"
        self.sshd.stop()
        with freeze_time("2026-03-30 05:01:00", tick=True):
            self.run_cron()
        self.assertIn("pogingen mislukt", schedule.run_ids.error)
        self.assertIn("niet bereikbaar", schedule.run_ids.error)

    def test_a_failed_run_is_sent_by_the_next_schedule(self):
        bill = self.make_bill()
        with freeze_time("2026-03-28 12:00:00", tick=True):
            schedule = self.schedule_at(
                7.0, days=("monday", "tuesday", "wednesday", "thursday", "friday")
            )
        self.sshd.stop()
        with freeze_time("2026-03-30 05:01:00", tick=True):
            self.run_cron()
        failed = schedule.run_ids
        self.assertEqual(failed.state, "failed")
        self.assertIn("failed after 3 attempts", failed.error)
        self.assertFalse(bill.sftp_exported_on, "not delivered, not marked")
        self.assertEqual(str(schedule.next_run), "2026-03-31 05:00:00")
        self.sshd._spawn()
        with freeze_time("2026-03-31 05:01:00", tick=True):
            self.run_cron()
        delivered = schedule.run_ids - failed
        self.assertEqual(delivered.state, "delivered")
        self.assertEqual(self.exported_numbers_of(delivered), [bill.name])
        self.assertEqual(bill.sftp_exported_on, delivered.date)
