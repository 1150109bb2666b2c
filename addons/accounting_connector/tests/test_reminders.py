from datetime import date, datetime

from odoo.tests import new_test_user, tagged

from .common import ConnectorCase


@tagged("post_install", "-at_install")
class TestReminders(ConnectorCase):
    """Every other Monday, one mail per manager with the instructions left open."""

    def _instruction(self, dossier, when, message):
        task = self._task(dossier, name=message)
        task.state = "failed"
        return self.env["accounting.instruction"].create(
            {
                "task_id": task.id,
                "dossier_id": dossier.id,
                "severity": "orange",
                "message": message,
                "action_required": f"Fix {message}",
                "date": when,
            }
        )

    def test_seed_example_of_20_november_2023(self):
        only_a = new_test_user(
            self.env, login="conn_only_a", email="a@office.example.com"
        )
        only_b = new_test_user(
            self.env, login="conn_only_b", email="b@office.example.com"
        )
        self.dossier_a.manager_ids = only_a | self.manager
        self.dossier_b.manager_ids = only_b | self.manager
        self._instruction(self.dossier_a, datetime(2023, 11, 16, 9, 0), "A-16-11")
        self._instruction(self.dossier_b, datetime(2023, 11, 15, 9, 0), "B-15-11")
        self._instruction(self.dossier_b, datetime(2023, 11, 19, 9, 0), "B-19-11")
        before = self.env["mail.mail"].search([]).ids

        sent = self.env["accounting.instruction"]._cron_send_reminders(
            today=date(2023, 11, 20)
        )

        mails = self.env["mail.mail"].search([("id", "not in", before)])
        self.assertEqual(sent, 2)
        self.assertEqual(len(mails), 2, "one mail per manager")
        self.assertEqual(
            mails.recipient_ids, (only_b | self.manager).partner_id, "nobody of A only"
        )
        for mail in mails:
            self.assertIn("B-15-11", mail.body_html)
            self.assertIn("B-19-11", mail.body_html)
            self.assertIn("Fix B-19-11", mail.body_html)
            self.assertNotIn("A-16-11", mail.body_html)
            self.assertIn("2 accountant instruction", mail.subject)

    def test_no_reminder_for_instructions_done(self):
        instruction = self._instruction(
            self.dossier_a, datetime(2023, 11, 1, 9, 0), "A-01-11"
        )
        instruction._close()
        self.assertEqual(
            self.env["accounting.instruction"]._cron_send_reminders(
                today=date(2023, 11, 20)
            ),
            0,
        )

    def test_reminder_cron_runs_every_other_monday(self):
        cron = self.env.ref("accounting_connector.ir_cron_send_reminders")
        self.assertEqual((cron.interval_number, cron.interval_type), (2, "weeks"))
        self.assertEqual(cron.nextcall.weekday(), 0)
        self.assertIn("_cron_send_reminders", cron.code)
