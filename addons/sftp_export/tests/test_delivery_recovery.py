"""Nothing lost, nothing twice: a worker killed between "ready" and
"delivered", a connection cut mid-upload, the cron's bounded steps, and the
one login of a delivery (made while the file is made)."""

from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.sftp_export.models import sftp_export_run_delivery
from odoo.addons.sftp_export.services import sftp_transfer
from odoo.addons.sftp_export.services.sftp_client import SftpClient

from .common import SftpServerCase
from .test_sftp_client import CallAtRead


@tagged("post_install", "-at_install")
class TestDeliveryRecovery(SftpServerCase):
    def test_export_now_queues_and_the_history_shows_it(self):
        self.make_bill()
        schedule = self.make_schedule()
        action = schedule.with_user(self.bookkeeper).action_run_now()
        self.assertEqual(action["params"]["type"], "info")
        self.assertIn(
            "The export history shows their progress", action["params"]["message"]
        )
        history = action["params"]["next"]
        self.assertEqual(history["res_model"], "sftp.export.run")
        run = self.env["sftp.export.run"].search(history["domain"])
        self.assertEqual((run.state, run.trigger), ("queued", "manual"))
        self.assertEqual(self.remote_files(), [], "nothing sent inside the request")
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]),
            "the cron is asked to run at once",
        )
        # Clicking twice does not queue the same dataset twice.
        schedule.with_user(self.bookkeeper).action_run_now()
        self.assertEqual(len(schedule.run_ids), 1)
        self.run_cron()
        self.assertEqual(run.state, "delivered")
        self.assertEqual(self.remote_files(), [run.file_name])

    def test_a_worker_killed_after_the_upload_delivers_exactly_once(self):
        bill = self.make_bill()
        schedule = self.make_schedule()
        schedule.with_user(self.bookkeeper).action_run_now()
        self.run_cron_killed_after_upload()
        run = schedule.run_ids
        self.assertEqual(run.state, "ready", "the last commit: the file was made")
        self.assertFalse(bill.sftp_exported_on)
        final = self.sshd.upload_dir / run.file_name
        inode = final.stat().st_ino
        self.run_cron()
        self.assertEqual(run.state, "delivered")
        self.assertEqual(self.remote_files(), [run.file_name], "one file, once")
        self.assertEqual(final.stat().st_ino, inode, "not renamed a second time")
        self.assertEqual(final.read_bytes(), run.attachment_id.raw)
        self.assertEqual(bill.sftp_exported_on, run.date)

    @mute_logger("paramiko.transport")  # the cut is logged as an error
    def test_a_connection_cut_mid_upload_is_delivered_by_the_next_attempt(self):
        bill = self.make_bill(ref="X" * 20)
        schedule = self.make_schedule()
        real_put = sftp_transfer.put

        def put_and_cut(sftp, fileobj, path):
            data = fileobj.read()
            half = CallAtRead(data, len(data) // 2, self.sshd.kill_sessions)
            return real_put(sftp, half, path)

        with patch.object(sftp_transfer, "put", put_and_cut):
            run = self.export(schedule)
        self.assertEqual(run.state, "ready")
        self.assertIn("The connection broke off while", run.error)
        self.assertNotIn(run.file_name, self.remote_files())
        with freeze_time(run.next_attempt, tick=True):
            self.run_cron()
        self.assertEqual(run.state, "delivered")
        finals = [name for name in self.remote_files() if not name.startswith(".")]
        self.assertEqual(finals, [run.file_name])
        self.assertEqual(self.remote_bytes(run.file_name), run.attachment_id.raw)
        self.assertTrue(bill.sftp_exported_on)

    def test_the_cron_works_in_bounded_steps(self):
        for number in range(3):
            self.make_bill(ref=f"R{number}")
        schedules = self.make_schedule() | self.make_schedule("card_transactions")
        self.make_expense("Hotel")
        for schedule in schedules:
            schedule.with_user(self.bookkeeper).action_run_now()
        steps = []
        Run = type(self.env["sftp.export.run"])
        real_step = Run._process_due_runs

        def counted(runs, more_remaining=0):
            steps.append(runs.search_count(runs._due_domain()))
            return real_step(runs, more_remaining)

        # As if each line took the cron's whole time: one line per step.
        with (
            patch.object(sftp_export_run_delivery, "TIME_NEEDED", float("inf")),
            patch.object(Run, "_process_due_runs", counted),
        ):
            self.run_cron()
        self.assertEqual(steps[:2], [2, 1], "one line per step, Odoo runs it again")
        self.assertEqual(set(schedules.run_ids.mapped("state")), {"delivered"})

    @freeze_time("2026-11-30 07:00:00")
    def test_another_file_under_the_same_name_is_kept_and_the_export_numbered(self):
        bill = self.make_bill()
        schedule = self.make_schedule()
        # An export of the same second already on the server (another company
        # exporting to the same folder): a file the recipient has not collected.
        line = schedule.line_ids
        taken = line.format_id._file_name(schedule._local_now())
        (self.sshd.upload_dir / taken).write_bytes(b"the other export\r\n")
        run = self.export(schedule)
        numbered = taken.replace(".csv", "_2.csv")
        self.assertEqual((run.state, run.file_name), ("delivered", numbered))
        self.assertTrue(run.remote_path.endswith("/" + numbered))
        self.assertEqual(self.remote_files(), [taken, numbered])
        self.assertEqual(self.remote_bytes(taken), b"the other export\r\n")
        self.assertEqual(self.remote_bytes(numbered), run.attachment_id.raw)
        self.assertEqual(bill.sftp_exported_on, run.date)

    @freeze_time("2026-11-30 07:00:00")
    def test_a_numbered_export_is_found_again_after_a_killed_worker(self):
        self.make_bill()
        schedule = self.make_schedule()
        taken = schedule.line_ids.format_id._file_name(schedule._local_now())
        (self.sshd.upload_dir / taken).write_bytes(b"the other export\r\n")
        schedule.with_user(self.bookkeeper).action_run_now()
        self.run_cron_killed_after_upload()
        run = schedule.run_ids
        self.assertEqual((run.state, run.file_name), ("ready", taken))
        numbered = taken.replace(".csv", "_2.csv")
        self.run_cron()
        self.assertEqual((run.state, run.file_name), ("delivered", numbered))
        self.assertEqual(self.remote_files(), [taken, numbered], "not a _3 copy")

    def test_the_login_is_made_once_while_the_file_is_made(self):
        self.make_bill()
        schedule = self.make_schedule()
        Line = type(self.env["sftp.export.schedule.line"])
        events = []
        with (
            _recorded(SftpClient, "connect_ahead", events),
            _recorded(SftpClient, "_connect__", events),
            _recorded(Line, "_csv_data", events),
        ):
            run = self.export(schedule)
        self.assertEqual(run.state, "delivered")
        self.assertEqual(self.remote_files(), [run.file_name])
        self.assertEqual(events.count("_connect__"), 1, "one login")
        self.assertLess(
            events.index("connect_ahead"),
            events.index("_csv_data"),
            "the login starts before the file is written",
        )
        # Nothing to export: no login at all.
        events.clear()
        with _recorded(SftpClient, "_connect__", events):
            self.assertEqual(self.export(schedule).state, "skipped")
        self.assertEqual(events, [])


def _recorded(owner, name, events):
    """Patch owner.name to note its name in events at each call."""
    real = getattr(owner, name)

    def wrapper(*args, **kwargs):
        events.append(name)
        return real(*args, **kwargs)

    return patch.object(owner, name, wrapper)
