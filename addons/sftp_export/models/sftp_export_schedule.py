import datetime
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.base.models.res_partner import _tz_get

from ..services.schedule import next_occurrence
from .sftp_export_run import notification
from .sftp_export_run_delivery import CRON_XMLID

WEEKDAYS = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
]
CRON_BATCH = 20  # schedules per cron step


class SftpExportSchedule(models.Model):
    _name = "sftp.export.schedule"
    _description = "Automatic export"
    _inherit = "mail.thread"
    _check_company_auto = True
    _order = "name, id"

    name = fields.Char(
        required=True, default=lambda self: self.env._("Automatic export")
    )
    active = fields.Boolean(default=True)
    enabled = fields.Boolean(
        string="Enable automatic export",
        tracking=True,
        help="When enabled, the files are sent on the chosen days at the chosen time.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    server_id = fields.Many2one(
        "sftp.export.server", string="SFTP server", check_company=True, tracking=True
    )
    server_host = fields.Char(related="server_id.host", readonly=False)
    server_port = fields.Integer(related="server_id.port", readonly=False)
    server_directory = fields.Char(related="server_id.directory", readonly=False)
    server_username = fields.Char(related="server_id.username", readonly=False)
    server_auth_method = fields.Selection(
        related="server_id.auth_method", readonly=False
    )
    server_password = fields.Char(
        related="server_id.password", readonly=False, groups="base.group_system"
    )
    server_public_key = fields.Char(related="server_id.public_key")
    server_host_key_fingerprint = fields.Char(related="server_id.host_key_fingerprint")
    server_connection_state = fields.Selection(related="server_id.connection_state")
    server_connection_result = fields.Text(related="server_id.connection_result")
    server_connection_tested_on = fields.Datetime(
        related="server_id.connection_tested_on"
    )
    monday = fields.Boolean(default=True)
    tuesday = fields.Boolean(default=True)
    wednesday = fields.Boolean(default=True)
    thursday = fields.Boolean(default=True)
    friday = fields.Boolean(default=True)
    saturday = fields.Boolean()
    sunday = fields.Boolean()
    time = fields.Float(
        string="Time", default=7.0, help="Local time of day in the chosen timezone."
    )
    tz = fields.Selection(
        _tz_get,
        string="Timezone",
        required=True,
        default=lambda self: self.env.user.tz or "Europe/Amsterdam",
    )
    next_run = fields.Datetime(
        string="Next export",
        compute="_compute_next_run",
        store=True,
        readonly=True,
        copy=False,
    )
    next_run_label = fields.Char(compute="_compute_next_run_label")
    line_ids = fields.One2many(
        "sftp.export.schedule.line", "schedule_id", string="Datasets", copy=True
    )
    run_ids = fields.One2many("sftp.export.run", "schedule_id", string="History")
    run_count = fields.Integer(compute="_compute_run_count")

    _time_range = models.Constraint(
        "CHECK(time >= 0 AND time < 24)", "The time must be between 00:00 and 23:59."
    )

    @api.depends("enabled", "time", "tz", *WEEKDAYS)
    def _compute_next_run(self):
        now = fields.Datetime.now()
        for schedule in self:
            schedule.next_run = schedule._next_run_after(now)

    @api.depends("next_run", "tz")
    @api.depends_context("lang")
    def _compute_next_run_label(self):
        for schedule in self:
            if not schedule.next_run:
                schedule.next_run_label = self.env._("Automatic export is off.")
                continue
            local = schedule.next_run.replace(tzinfo=datetime.UTC).astimezone(
                ZoneInfo(schedule.tz)
            )
            schedule.next_run_label = self.env._(
                "Next export on %(day)s at %(time)s (%(tz)s)",
                day=local.strftime("%d-%m-%Y"),
                time=local.strftime("%H:%M"),
                tz=schedule.tz,
            )

    def _compute_run_count(self):
        groups = self.env["sftp.export.run"]._read_group(
            [("schedule_id", "in", self.ids)], ["schedule_id"], ["__count"]
        )
        counts = {schedule.id: count for schedule, count in groups}
        for schedule in self:
            schedule.run_count = counts.get(schedule.id, 0)

    def action_run_now(self):
        """Queue a file per dataset; the cron makes and sends them at once."""
        self.ensure_one()
        Run = self.env["sftp.export.run"]
        Run._check_export_right()
        self._require_server()
        # sudo: bookkeepers may start an export but not write the history
        # itself; their right to this action was checked above.
        runs = self.sudo()._queue_runs("manual")
        self.env.ref(CRON_XMLID).sudo()._trigger()
        return notification(
            self.env._(
                "The export has started: %s file(s) are made and sent in the "
                "background. The export history shows their progress.",
                len(runs),
            ),
            "info",
            Run._history_action([("schedule_id", "=", self.id)]),
        )

    def action_generate_key(self):
        self.ensure_one()
        return self._require_server().action_generate_key()

    def action_test_connection(self):
        self.ensure_one()
        return self._require_server().action_test_connection()

    def action_open_runs(self):
        self.ensure_one()
        return self.env["sftp.export.run"]._history_action(
            [("schedule_id", "=", self.id)]
        )

    # -- business methods -----------------------------------------------------
    def _require_server(self):
        if not self.server_id:
            raise UserError(self.env._("Choose or create an SFTP server first."))
        return self.server_id

    def _weekdays(self):
        return {index for index, day in enumerate(WEEKDAYS) if self[day]}

    def _next_run_after(self, moment):
        self.ensure_one()
        if not self.enabled:
            return False
        return next_occurrence(moment, self._weekdays(), self.time, self.tz) or False

    def _local_now(self):
        return datetime.datetime.now(ZoneInfo(self.tz)).replace(tzinfo=None)

    def _queue_runs(self, trigger):
        """A queued history line per dataset (none for a dataset already queued)."""
        self.ensure_one()
        server = self._require_server()
        Run = self.env["sftp.export.run"]
        queued = Run.search(
            [("schedule_id", "=", self.id), ("state", "=", "queued")]
        ).schedule_line_id
        return Run.create(
            [
                {
                    "company_id": self.company_id.id,
                    "schedule_id": self.id,
                    "schedule_line_id": line.id,
                    "server_id": server.id,
                    "dataset": line.dataset,
                    "format_id": line.format_id.id,
                    "trigger": trigger,
                }
                for line in self.line_ids - queued
            ]
        )

    def _post_run_feed(self, run):
        """The update feed in the chatter: failures and skipped exports."""
        labels = dict(run._fields["dataset"]._description_selection(self.env))
        dataset = labels[run.dataset]
        if run.state == "skipped":
            self.message_post(body=self.env._("Export skipped: no data (%s).", dataset))
        elif run.state == "failed" and run.record_count == 1:
            self.message_post(
                body=self.env._(
                    "1 item could not be exported (%(dataset)s): %(error)s",
                    dataset=dataset,
                    error=run.error,
                )
            )
        elif run.state == "failed":
            self.message_post(
                body=self.env._(
                    "%(count)s items could not be exported (%(dataset)s): %(error)s",
                    count=run.record_count,
                    dataset=dataset,
                    error=run.error,
                )
            )

    def _cron_run_due_schedules(self):
        """Queue the schedules whose time has come, then make and send the
        queued files (sftp.export.run._process_due_runs), each step committed."""
        now = fields.Datetime.now()
        domain = [("enabled", "=", True), ("next_run", "<=", now)]
        # sudo: the cron serves every company, whatever companies its user has.
        Schedule = self.sudo()
        due = Schedule.search(domain, limit=CRON_BATCH, order="next_run, id")
        # Another worker (or Export now) may hold one: skipped, it stays due.
        for schedule in due.try_lock_for_update(allow_referencing=True):
            if schedule.server_id and schedule.line_ids:
                schedule._queue_runs("automatic")
            # Records of a failed run are not marked exported: the next
            # planned run sends them again.
            schedule.next_run = schedule._next_run_after(now)
        more = Schedule.search_count(domain)
        self.env["sftp.export.run"]._process_due_runs(more_remaining=more)
