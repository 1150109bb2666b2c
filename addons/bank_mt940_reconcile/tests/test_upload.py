"""Upload an MT940 file: refused at once, or waiting in the journal of its account."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import Mt940Common, build_mt940


@tagged("post_install", "-at_install")
class TestUpload(Mt940Common):
    def test_file_that_is_not_mt940_is_refused_at_once(self):
        with self.assertRaisesRegex(UserError, "not an MT940 file"):
            self.upload(b"%PDF-1.4 ...", name="factuur.pdf")
        with self.assertRaisesRegex(UserError, "not an MT940 bank statement"):
            self.upload(b"Datum;Bedrag\n01-01-2026;10,00\n", name="export.sta")
        with self.assertRaisesRegex(
            UserError, "leeg.940 is refused: The file is empty"
        ):
            self.upload(b"", name="leeg.940")
        with self.assertRaisesRegex(UserError, "it is not text"):
            self.upload(bytes(range(256)) * 8, name="rommel.940")

    def test_accepted_file_waits_linked_to_the_journal_of_its_account(self):
        record = self.upload(build_mt940([{"amount": 10, "remi": "x"}]))
        self.assertEqual(record.state, "waiting")
        self.assertEqual(record.journal_id, self.journal)
        self.assertEqual(record.name, "bank.940")

    def test_old_account_number_finds_the_iban_journal(self):
        data = build_mt940([{"amount": 10, "remi": "x"}], account="0417164300")
        self.assertEqual(self.upload(data).journal_id, self.journal)

    def test_unknown_account_goes_to_error_with_the_reason(self):
        record = self.upload(
            build_mt940([{"amount": 1, "remi": "x"}], account="NL39RABO0300065264")
        )
        self.assertEqual(record.state, "error")
        self.assertIn("No bank journal", record.message)
        self.assertIn("NL39RABO0300065264", record.message)
        # Once the account is added to a journal, Process now imports it.
        self.journal.bank_account_id.acc_number = "NL39RABO0300065264"
        record.action_process()
        self.assertEqual(record.state, "processed")
        self.assertEqual(len(record.statement_line_ids), 1)

    def test_upload_wizard_creates_one_waiting_file_per_upload(self):
        attachments = self.env["ir.attachment"].create(
            [
                {"name": "a.940", "raw": build_mt940([{"amount": 1, "remi": "a"}])},
                {"name": "b.swi", "raw": build_mt940([{"amount": 2, "remi": "b"}])},
            ]
        )
        wizard = self.env["bank.mt940.upload"].create(
            {"attachment_ids": [(6, 0, attachments.ids)]}
        )
        notification = wizard.action_upload()
        # A success message first, then the list of the uploaded files.
        self.assertEqual(notification["params"]["type"], "success")
        self.assertIn("2 MT940 file(s) uploaded", notification["params"]["message"])
        action = notification["params"]["next"]
        files = self.env["bank.mt940.file"].search(action["domain"])
        self.assertEqual(sorted(files.mapped("file_name")), ["a.940", "b.swi"])
        self.assertEqual(set(files.mapped("state")), {"waiting"})
