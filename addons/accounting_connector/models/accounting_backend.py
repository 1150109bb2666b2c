from odoo import api, fields, models

from ..backends import BACKENDS, BackendError
from .accounting_task import error_text

# Odoo stops a scheduled action after limit_time_real_cron (by default the
# 120 s of limit_time_real, counted for all jobs of one poll): runs stay short
MAX_RUN_SECONDS = 45


class AccountingBackend(models.Model):
    """A connector to one accounting package: where it is, how it runs."""

    _name = "accounting.backend"
    _description = "Accounting connector"
    _check_company_auto = True
    _order = "name, id"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty when the connector serves the dossiers of every company.",
    )
    backend_type = fields.Selection(
        selection=[("odoo_json2", "Odoo (JSON-2 API)")],
        string="Accounting package",
        required=True,
        default="odoo_json2",
    )
    url = fields.Char(string="URL", help="Address of the accounting package.")
    database = fields.Char(help="Database of the accounting package.")
    api_key = fields.Char(
        string="API key", groups="base.group_system", copy=False, prefetch=False
    )
    interval_minutes = fields.Integer(
        string="Run every (minutes)",
        default=5,
        required=True,
        help="How often the connector looks for tasks: every 5 to 10 minutes.",
    )
    worker_count = fields.Integer(
        string="Parallel workers",
        default=1,
        required=True,
        help="Workers carry the tasks of different dossiers at the same time; "
        "an office with many dossiers runs more than one.",
    )
    time_budget_seconds = fields.Integer(
        string="Time per run (seconds)",
        default=20,
        required=True,
        help="A run takes no new task once this time is spent and hands the rest "
        "to the next run at once. Odoo stops a scheduled action after about a "
        "minute, so a run stays well under that (5 to 45 seconds).",
    )
    lease_seconds = fields.Integer(
        string="Task claim (seconds)",
        default=30,
        required=True,
        help="A running task is claimed for this long; the claim is renewed while "
        "its worker is alive. When a worker stops (server restarted or killed), "
        "another run takes the task over once the claim ran out (15 to 120 "
        "seconds).",
    )
    max_attempts = fields.Integer(
        string="Attempts",
        default=5,
        required=True,
        help="How often a task is tried when the accounting package cannot be "
        "reached, before the dossier is blocked.",
    )
    retry_delay_seconds = fields.Integer(
        string="First retry after (seconds)",
        default=60,
        required=True,
        help="The wait doubles after each failed attempt.",
    )
    support_group_id = fields.Many2one(
        "res.groups",
        string="Support team (group)",
        help="Its users receive an e-mail for every red instruction: a problem "
        "the office cannot solve.",
    )
    support_email = fields.Char(
        string="Support e-mail address",
        help="Receives an e-mail for every red instruction (e.g. the helpdesk of "
        "the accounting package).",
    )
    cron_id = fields.Many2one(
        "ir.cron", string="Scheduled action", readonly=True, copy=False
    )
    dossier_ids = fields.One2many("accounting.dossier", "backend_id")
    dossier_count = fields.Integer(compute="_compute_dossier_count")

    _interval_range = models.Constraint(
        "CHECK(interval_minutes BETWEEN 5 AND 10)",
        "A connector runs every 5 to 10 minutes.",
    )
    _workers_range = models.Constraint(
        "CHECK(worker_count BETWEEN 1 AND 8)",
        "A connector has 1 to 8 parallel workers.",
    )
    _run_limits = models.Constraint(
        f"CHECK(time_budget_seconds BETWEEN 5 AND {MAX_RUN_SECONDS} "
        "AND lease_seconds BETWEEN 15 AND 120)",
        "A run lasts 5 to 45 seconds and a task claim 15 to 120 seconds.",
    )
    _positive_limits = models.Constraint(
        "CHECK(max_attempts > 0 AND retry_delay_seconds >= 0)",
        "Attempts must be positive and the retry delay not negative.",
    )

    @api.depends("dossier_ids")
    def _compute_dossier_count(self):
        for backend in self:
            backend.dossier_count = len(backend.dossier_ids)

    @api.model_create_multi
    def create(self, vals_list):
        backends = super().create(vals_list)
        backends._sync_cron()
        return backends

    def write(self, vals):
        result = super().write(vals)
        if {"name", "active", "interval_minutes"} & set(vals):
            self._sync_cron()
        return result

    def unlink(self):
        crons = self.cron_id
        result = super().unlink()
        # sudo: the connector's own scheduled action, created by _sync_cron
        crons.sudo().unlink()
        return result

    def action_test_connection(self):
        self.ensure_one()
        try:
            answer = self._get_client().connect()
        except BackendError as error:
            return self._notify(
                self.env._("Connection failed"), error_text(self.env, error), "danger"
            )
        return self._notify(
            self.env._("Connection works"),
            self.env._("Connected to %s", answer),
            "success",
        )

    def action_run_now(self):
        """Start the connector's scheduled run now (never inside the request)."""
        self.ensure_one()
        if not self.active or not self.cron_id:
            return self._notify(
                self.env._("Connector archived"),
                self.env._("Restore the connector before you start a run."),
                "warning",
            )
        # sudo: the connector's own scheduled action (ir.cron is system-only);
        # only system administrators see the button (view and ACL)
        self.cron_id.sudo()._trigger()
        return self._notify(
            self.env._("Connector started"),
            self.env._(
                "The connector starts within a minute; the monitoring shows "
                "the tasks it carries."
            ),
            "info",
        )

    def _notify(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind},
        }

    def _sync_cron(self):
        """One scheduled action per connector, at the connector's interval."""
        model = self.env["ir.model"]._get("accounting.backend")
        for backend in self:
            vals = {
                "name": self.env._("Accounting connector: %s", backend.name),
                "model_id": model.id,
                "state": "code",
                "code": f"model._cron_run_connectors([{backend.id}])",
                "interval_number": backend.interval_minutes,
                "interval_type": "minutes",
                "active": backend.active,
                # the connector works for every dossier, like Odoo's own crons
                "user_id": self.env.ref("base.user_root").id,
            }
            # sudo: scheduled actions belong to the system; only connector
            # managers (ACL) get here
            if backend.cron_id:
                backend.cron_id.sudo().write(vals)
            else:
                backend.cron_id = self.env["ir.cron"].sudo().create(vals)

    def _support_partners(self):
        """Who is told of a red instruction: the group's users and the address."""
        self.ensure_one()
        # sudo: users of the support group are read whoever ran the task
        partners = self.sudo().support_group_id.all_user_ids.partner_id.filtered(
            "email"
        )
        if self.support_email:
            partners |= (
                self.env["res.partner"]
                .sudo()
                ._find_or_create_from_emails([self.support_email])[0]
            )
        return partners

    def _get_client(self, session=None):
        """The plain-Python client of this connector's accounting package.

        :param session: the HTTP session to use (tests pass Odoo's test opener)
        """
        self.ensure_one()
        # sudo: the key is needed to connect; it is never shown or logged
        secret = self.sudo().api_key
        return BACKENDS[self.backend_type](
            self.url, self.database, secret, session=session
        )

    def _client_maker(self):
        """A function making clients from values read now (no ORM in workers)."""
        self.ensure_one()
        backend_class = BACKENDS[self.backend_type]
        # sudo: the worker needs the key; it is never shown or logged
        url, database, secret = self.url, self.database, self.sudo().api_key
        return lambda: backend_class(url, database, secret)
