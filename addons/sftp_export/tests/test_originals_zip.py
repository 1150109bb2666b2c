"""Originals in one zip with the CSV, against a real sshd: only the CSV is kept,
and the zip is made again byte for byte for Send again and after a killed
worker; a deleted original stops a resend with the reason."""

import io
import zipfile

from odoo.tests import tagged

from .common import SftpServerCase

PDF = b"%PDF-1.4 original scan " + bytes(range(256)) * 40


@tagged("post_install", "-at_install")
class TestOriginalsZip(SftpServerCase):
    def attach(self, record, name="scan.pdf", data=PDF):
        return self.env["ir.attachment"].create(
            {"name": name, "raw": data, "res_model": record._name, "res_id": record.id}
        )

    def test_originals_go_in_one_zip_with_the_csv(self):
        bill = self.make_bill()
        self.attach(bill)
        run = self.export(self.make_schedule(include_attachments=True))
        self.assertTrue(run.file_name.endswith(".zip"))
        self.assertEqual(run.attachment_count, 1)
        data = self.remote_bytes(run.file_name)
        self.assertEqual(run.file_size, len(data))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            self.assertEqual(len(names), 2)
            csv_name = next(name for name in names if name.endswith(".csv"))
            self.assertIn(bill.name.encode(), archive.read(csv_name))
            original = next(name for name in names if name.startswith("originals/"))
            self.assertTrue(original.endswith("scan.pdf"))
            self.assertEqual(archive.read(original), PDF)
            # The history keeps the CSV in the zip, not the zip a second time.
            self.assertEqual(run.attachment_id.name, csv_name)
            self.assertEqual(run.attachment_id.raw, archive.read(csv_name))
        self.assertFalse(
            self.env["ir.attachment"].search(
                [("res_model", "=", run._name), ("mimetype", "=", "application/zip")]
            )
        )

    def test_send_again_sends_the_identical_zip(self):
        bill = self.make_bill()
        self.attach(bill)
        self.attach(bill, "bon.jpg", b"\xff\xd8\xff" + bytes(3000))
        schedule = self.make_schedule(include_attachments=True)
        first = self.export(schedule)
        sent = self.remote_bytes(first.file_name)
        self.clear_remote()  # the accountant's side took the file away
        bill.ref = "changed afterwards"  # a resend sends what was sent
        first.with_user(self.bookkeeper).action_resend()
        self.run_cron()
        again = schedule.run_ids.sorted("id")[-1]
        self.assertEqual((again.trigger, again.state), ("resend", "delivered"))
        self.assertEqual(self.remote_bytes(first.file_name), sent, "byte for byte")

    def test_a_deleted_original_stops_the_resend_with_the_reason(self):
        bill = self.make_bill()
        scan = self.attach(bill)
        schedule = self.make_schedule(include_attachments=True)
        first = self.export(schedule)
        self.clear_remote()
        scan.unlink()
        first.with_user(self.bookkeeper).action_resend()
        self.run_cron()
        again = schedule.run_ids.sorted("id")[-1]
        self.assertEqual(again.state, "failed")
        self.assertIn("scan.pdf was deleted or changed after the file", again.error)
        self.assertIn("export the records again", again.error)
        self.assertEqual(self.remote_files(), [], "nothing half sent")

    def test_a_worker_killed_after_the_upload_delivers_the_zip_once(self):
        bill = self.make_bill()
        self.attach(bill)
        schedule = self.make_schedule(include_attachments=True)
        schedule.with_user(self.bookkeeper).action_run_now()
        self.run_cron_killed_after_upload()
        run = schedule.run_ids
        self.assertEqual(run.state, "ready")
        final = self.sshd.upload_dir / run.file_name
        sent, inode = final.read_bytes(), final.stat().st_ino
        # The next run makes the zip again: identical, so it is not sent twice.
        self.run_cron()
        self.assertEqual(run.state, "delivered")
        self.assertEqual(self.remote_files(), [run.file_name], "one file, once")
        self.assertEqual(final.stat().st_ino, inode, "not renamed a second time")
        self.assertEqual(final.read_bytes(), sent)
        self.assertEqual(bill.sftp_exported_on, run.date)
