"""Automatic exports at their local time, across summer and winter time, in
the company's language; a failed run's records go with the next one."""

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.sftp_export.models.sftp_export_schedule import WEEKDAYS

from .common import SftpServerCase


@tagged("post_install", "-at_install")
class TestScheduleTiming(SftpServerCase):
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
                "Volgende export is op 26-10-2026 om 07:00 (Europe/Amsterdam)",
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
        self.assertEqual(amsterdam.run_ids.trigger, "automatic")
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
        self.assertIn("Poging 1 van 5 is mislukt", schedule.run_ids.error)
        self.assertIn("weigert verbindingen op poort", schedule.run_ids.error)

    def test_a_failed_run_is_sent_by_the_next_schedule(self):
        bill = self.make_bill()
        with freeze_time("2026-03-28 12:00:00", tick=True):
            schedule = self.schedule_at(
                7.0, days=("monday", "tuesday", "wednesday", "thursday", "friday")
            )
        good_key = self.server.sudo().private_key
        self.server.with_user(self.admin).action_generate_key()  # not authorized
        with freeze_time("2026-03-30 05:01:00", tick=True):
            self.run_cron()
        failed = schedule.run_ids
        self.assertEqual(failed.state, "failed")
        self.assertIn("refused the login", failed.error)
        self.assertFalse(bill.sftp_exported_on, "not delivered, not marked")
        self.assertEqual(str(schedule.next_run), "2026-03-31 05:00:00")
        self.server.sudo().private_key = good_key
        with freeze_time("2026-03-31 05:01:00", tick=True):
            self.run_cron()
        delivered = schedule.run_ids - failed
        self.assertEqual(delivered.state, "delivered")
        self.assertEqual(self.exported_numbers_of(delivered), [bill.name])
        self.assertEqual(bill.sftp_exported_on, delivered.date)
