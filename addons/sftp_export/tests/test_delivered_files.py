"""Every format option and file-name rule, checked on the files as the SFTP
server received them; the three tabs driven through their forms."""

import logging
import re

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from odoo.addons.sftp_export.services.csv_writer import csv_bytes

from .common import SftpExportCase

VENDOR = 'Café "Zon"; Émile'  # a delimiter, a quote and accents in one value


@tagged("post_install", "-at_install")
class TestDeliveredFiles(SftpExportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sshd()
        cls.trust_host_key()
        cls.odd_vendor = cls.env["res.partner"].create(
            {"name": VENDOR, "is_company": True}
        )

    def setUp(self):
        super().setUp()
        self.clear_remote()

    def make_format(self, **values):
        columns = [
            ("Factuur", "name", ""),
            ("Leverancier", "partner_id.name", ""),
            ("Datum", "invoice_date", ""),
        ]
        return self.env["sftp.export.format"].create(
            {
                "name": "Test format",
                "dataset": "vendor_bills",
                "column_ids": [
                    *(
                        Command.create(
                            {"header": header, "field_path": path, "date_format": df}
                        )
                        for header, path, df in columns
                    ),
                    Command.create(
                        {"header": "Bedrag", "field_path": "amount_total", "digits": 2}
                    ),
                ],
                **values,
            }
        )

    def test_every_csv_option_as_the_server_received_it(self):
        bill = self.make_bill(1234.5, partner=self.odd_vendor)
        name = bill.name

        def amount(separator):
            return f"{bill.amount_total:.2f}".replace(".", separator)

        cases = [
            (
                {"encoding": "utf-8", "delimiter": ";", "date_format": "%d-%m-%Y"},
                (
                    "Factuur;Leverancier;Datum;Bedrag\r\n"
                    f'{name};"Café ""Zon""; Émile";02-11-2026;{amount(",")}\r\n'
                ),
                b"",
                "utf-8",
            ),
            (
                {
                    "encoding": "utf-8-sig",
                    "delimiter": ",",
                    "quoting": "all",
                    "decimal_separator": ".",
                    "date_format": "%Y-%m-%d",
                },
                (
                    '"Factuur","Leverancier","Datum","Bedrag"\r\n'
                    f'"{name}","Café ""Zon""; Émile","2026-11-02","{amount(".")}"\r\n'
                ),
                b"\xef\xbb\xbf",  # the BOM Excel looks for
                "utf-8",
            ),
            (
                {
                    "encoding": "cp1252",
                    "delimiter": "\t",
                    "quotechar": "'",
                    "date_format": "%d/%m/%Y",
                },
                (
                    "Factuur\tLeverancier\tDatum\tBedrag\r\n"
                    f'{name}\tCafé "Zon"; Émile\t02/11/2026\t{amount(",")}\r\n'
                ),
                b"",
                "cp1252",
            ),
            (
                {
                    "encoding": "utf-8",
                    "delimiter": "|",
                    "with_header": False,
                    "decimal_separator": ".",
                    "date_format": "%d.%m.%Y",
                },
                f'{name}|"Café ""Zon""; Émile"|02.11.2026|{amount(".")}\r\n',
                b"",
                "utf-8",
            ),
        ]
        schedule = self.make_schedule(include_exported=True)
        for options, text, prefix, encoding in cases:
            with self.subTest(options=options):
                self.clear_remote()
                schedule.line_ids.format_id = self.make_format(**options)
                run = self.export(schedule)
                self.assertEqual(run.state, "delivered", run.error)
                self.assertEqual(self.remote_files(), [run.file_name])
                data = self.remote_bytes(run.file_name)
                self.assertEqual(data, prefix + text.encode(encoding))
                self.assertEqual(data, run.attachment_id.raw, "kept as sent")
                if encoding == "cp1252":  # one byte per accented letter
                    self.assertIn(b"Caf\xe9", data)

    def test_values_read_with_sql_equal_those_of_the_orm(self):
        # Stored paths are read with one SQL query, the others through the ORM:
        # every column must come out as the ORM gives it.
        paths = [
            "name",  # char
            "partner_id",  # many2one, shown by name
            "partner_id.vat",  # through a relation, sometimes empty
            "partner_id.country_id.code",  # two steps
            "invoice_date",  # date
            "amount_total",  # monetary
            "checked",  # boolean
            "payment_state",  # selection
            "currency_id.name",
            "invoice_user_id.name",  # a field res.users inherits from its partner
            "invoice_line_ids.name",  # a to-many step: first line
            "invoice_line_ids",  # to-many: names joined
            "amount_residual_signed",  # computed and stored
            "sftp_exported_on",  # computed, not stored
        ]
        export_format = self.env["sftp.export.format"].create(
            {
                "name": "All kinds",
                "dataset": "vendor_bills",
                "column_ids": [
                    Command.create({"header": path, "field_path": path})
                    for path in paths
                ],
            }
        )
        self.vendor.country_id = self.env.ref("base.nl")
        bills = self.make_bill(12.34) | self.make_bill(
            0, partner=self.vendor_no_vat, post=False
        )
        bills = bills.sudo()
        through_orm = [
            [column._getter()(bill) for column in export_format.column_ids]
            for bill in bills
        ]
        through_sql = list(export_format._rows(bills))
        options = export_format._csv_options()
        self.assertEqual(
            csv_bytes(through_sql, options), csv_bytes(through_orm, options)
        )
        self.assertEqual(through_sql[0][2:4], ["NL000099998B57", "NL"])
        self.assertFalse(any(through_sql[1][2:4]), "no VAT, no country")
        self.assertEqual(through_sql[0][5], bills[0].amount_total)

    def test_file_name_patterns(self):
        self.make_bill()
        schedule = self.make_schedule(include_exported=True)
        company = re.escape("Export_Test_B.V")
        cases = [
            ("{dataset}_{date}_{time}.csv", r"vendor_bills_\d{8}_\d{6}\.csv"),
            ("{company}-{format}.csv", company + r"-Test_format\.csv"),
            ("boekhouding {date}.txt", r"boekhouding_\d{8}\.txt"),
            # Paths in a pattern never leave the configured directory.
            ("../../etc/{date}.csv", r"etc_\d{8}\.csv"),
            ("/etc/passwd", r"etc_passwd"),
            # Too long for a file name: shortened before the extension.
            ("{format}-" + "x" * 250 + ".csv", r"Test_format-x{184}\.csv"),
        ]
        for pattern, expected in cases:
            with self.subTest(pattern=pattern):
                self.clear_remote()
                schedule.line_ids.format_id = self.make_format(
                    file_name_pattern=pattern
                )
                run = self.export(schedule)
                self.assertEqual(run.state, "delivered", run.error)
                self.assertRegex(run.file_name, f"^{expected}$")
                self.assertEqual(self.remote_files(), [run.file_name])
        parent = self.sshd.upload_dir.parent
        self.assertFalse(list(parent.glob("etc*")), "nothing outside the directory")

    def test_refunds_travel_with_the_bills(self):
        bill = self.make_bill(50)
        refund = self.env["account.move"].create(
            {
                "move_type": "in_refund",
                "partner_id": self.vendor.id,
                "invoice_date": "2026-11-03",
                "invoice_line_ids": [
                    Command.create({"name": "Retour", "quantity": 1, "price_unit": 20})
                ],
            }
        )
        refund.action_post()
        refund.checked = True
        run = self.export(self.make_schedule())
        numbers = [row[0] for row in self.remote_csv(run.file_name)[1:]]
        self.assertEqual(sorted(numbers), sorted([bill.name, refund.name]))

    def test_nothing_left_after_the_required_filter_is_skipped(self):
        vat_required = self.bill_format.copy({"name": "VAT required"})
        vat_required.column_ids.filtered(
            lambda c: c.header == "VAT number"
        ).required = True
        without_vat = self.make_bill(20, partner=self.vendor_no_vat)
        schedule = self.make_schedule(export_format=vat_required)
        self.assertEqual(schedule.line_ids.preview_count, 0)
        run = self.export(schedule)
        self.assertEqual(run.state, "skipped")
        self.assertFalse(run.file_name or run.attachment_id)
        self.assertEqual(self.remote_files(), [], "no file, no temporary file")
        feed = " | ".join(schedule.message_ids.mapped("body"))
        self.assertIn(
            f"1 item could not be exported: {without_vat.display_name} misses "
            "VAT number",
            feed,
        )
        self.assertIn("Export skipped: no data (Vendor bills)", feed)

    def test_two_items_left_out_are_counted_in_the_feed(self):
        vat_required = self.bill_format.copy({"name": "VAT required"})
        vat_required.column_ids.filtered(
            lambda c: c.header == "VAT number"
        ).required = True
        self.make_bill(20, partner=self.vendor_no_vat)
        self.make_bill(30, partner=self.vendor_no_vat)
        self.make_bill(40)
        schedule = self.make_schedule(export_format=vat_required)
        self.assertEqual(schedule.line_ids.preview_count, 1)
        self.assertEqual(self.export(schedule).record_count, 1)
        feed = " | ".join(schedule.message_ids.mapped("body"))
        self.assertIn("2 items could not be exported: ", feed)

    def test_secrets_never_reach_logs_files_or_exports(self):
        secret = "Geheim-wachtwoord-42"
        self.server.write({"auth_method": "password"})
        self.server.sudo().password = secret
        self.make_bill()
        schedule = self.make_schedule()
        # Written by the test itself: Odoo's runner logs that UPDATE's SQL.
        self.env.flush_all()
        with self.assertLogs(level=logging.DEBUG) as logs:
            logging.getLogger("odoo.addons.sftp_export").info("export starts")
            run = self.export(schedule)
        self.assertEqual(run.state, "failed")
        self.assertIn("refused the login", run.error)
        self.assertNotIn(secret, "\n".join(logs.output))
        self.assertNotIn(secret, run.error)
        self.assertNotIn(secret, run.attachment_id.raw.decode())
        self.assertNotIn(secret, " ".join(schedule.message_ids.mapped("body")))
        description = self.env["sftp.export.server"].fields_get(
            ["password", "private_key"], ["exportable"]
        )
        self.assertEqual(
            description,
            {"password": {"exportable": False}, "private_key": {"exportable": False}},
        )


@tagged("post_install", "-at_install")
class TestTheThreeTabs(SftpExportCase):
    """Export formats, Automatic export and Export history through their forms,
    as the web client fills them in."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sshd()

    def test_format_form(self):
        with Form(self.env["sftp.export.format"]) as form:
            form.name = "Mijn boekhouder"
            form.dataset = "expense_claims"
            form.encoding = "utf-8-sig"
            with form.column_ids.new() as column:
                column.header = "Omschrijving"
                column.field_path = "name"
                column.required = True
            with form.column_ids.new() as column:
                column.header = "Medewerker"
                column.field_path = "employee_id.name"
        export_format = form.record
        self.assertEqual(
            export_format.column_ids.mapped("header"), ["Omschrijving", "Medewerker"]
        )
        form = Form(export_format)
        with form.column_ids.new() as column:
            column.header = "Fout"
            column.field_path = "partner_id.vat"
        with self.assertRaisesRegex(ValidationError, "is not a field of"):
            form.save()

    def test_password_typed_on_the_automatic_export_form(self):
        schedule = self.make_schedule()
        with Form(schedule) as form:
            form.server_auth_method = "password"
            form.server_password = "Wachtwoord-1"
        self.assertEqual(self.server.auth_method, "password")
        self.assertEqual(self.server.sudo().password, "Wachtwoord-1")
        as_manager = Form(schedule.with_user(self.manager))
        with self.assertRaisesRegex(AssertionError, "server_password"):
            as_manager.server_password = "anders"

    def test_automatic_export_form_and_history(self):
        claim = self.make_expense("Treinkaartje", mode="own_account")
        with Form(self.env["sftp.export.schedule"]) as form:
            form.name = "Naar de boekhouder"
            form.server_id = self.server
            self.assertEqual(form.server_host, "127.0.0.1")
            form.enabled = True
            form.tz = "Europe/Amsterdam"
            form.time = 6.5
            with form.line_ids.new() as line:
                line.dataset = "expense_claims"
                # The format follows the dataset.
                self.assertEqual(line.format_id, self.claim_format)
        schedule = form.record
        self.assertEqual(schedule.line_ids.preview_count, 1)
        self.assertRegex(
            schedule.next_run_label,
            r"^Next export on \d\d-\d\d-\d{4} at 06:30 \(Europe/Amsterdam\)$",
        )
        # Test connection from the form: trusts the key the server shows.
        state, _result = self.connection_test(schedule, self.manager)
        self.assertEqual(state, "ok")
        self.assertEqual(self.server.host_key_fingerprint, self.sshd.host_fingerprint)
        action = schedule.with_user(self.bookkeeper).action_run_now()
        self.assertEqual(action["params"]["type"], "info")
        self.run_cron()
        # The history tab: the line opened from the schedule, and its form.
        history = self.env["sftp.export.run"].search(
            schedule.action_open_runs()["domain"]
        )
        self.assertEqual(len(history), 1)
        run_form = Form(history)
        self.assertEqual(run_form.state, "delivered")
        self.assertEqual(run_form.record_count, 1)
        self.assertEqual(run_form.dataset, "expense_claims")
        self.assertEqual(history.expense_ids, claim)
        self.assertTrue(claim.sftp_exported_on)
