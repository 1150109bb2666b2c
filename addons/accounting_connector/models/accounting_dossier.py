from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

DOSSIER_STATES = [
    ("draft", "Draft"),
    ("activating", "Activating"),
    ("active", "Active"),
    ("blocked", "Blocked"),
]
MARKERS = [("none", "None"), ("orange", "Orange"), ("red", "Red")]
# what an office user (Invoicing rights) may correct on a dossier
OFFICE_FIELDS = {"code"}
# dossiers in these states receive the tasks of their company's invoices
LINKED_STATES = ("activating", "active", "blocked")


class AccountingDossier(models.Model):
    """One client administration in the accounting package."""

    _name = "accounting.dossier"
    _description = "Dossier"
    _inherit = "mail.thread"
    _check_company_auto = True
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    code = fields.Char(
        string="Dossier code",
        tracking=True,
        help="How the accounting package knows this administration "
        "(for Odoo: the company registry, KvK number, of the company there).",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    backend_id = fields.Many2one(
        "accounting.backend",
        string="Connector",
        check_company=True,
        tracking=True,
    )
    manager_ids = fields.Many2many(
        "res.users",
        string="Dossier managers",
        domain=[("share", "=", False)],
        help="They receive an e-mail for every new accountant instruction and "
        "the reminders.",
    )
    state = fields.Selection(
        DOSSIER_STATES,
        string="Status",
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    marker = fields.Selection(
        MARKERS,
        compute="_compute_marker",
        store=True,
        help="Red: support must act. Orange: an accountant instruction for you.",
    )
    activation_date = fields.Datetime(readonly=True, copy=False)
    last_sync_date = fields.Datetime(
        string="Last synchronisation", readonly=True, copy=False
    )
    package_name = fields.Char(string="Name in package", readonly=True, copy=False)
    task_ids = fields.One2many("accounting.task", "dossier_id")
    instruction_ids = fields.One2many("accounting.instruction", "dossier_id")
    open_instruction_ids = fields.One2many(
        "accounting.instruction",
        "dossier_id",
        string="Open instructions",
        domain=[("state", "=", "open")],
    )
    monitoring_count = fields.Integer(compute="_compute_monitoring_count")
    open_instruction_count = fields.Integer(compute="_compute_marker", store=True)

    @api.depends("instruction_ids.state", "instruction_ids.severity")
    def _compute_marker(self):
        for dossier in self:
            severities = set(
                dossier.instruction_ids.filtered(lambda i: i.state == "open").mapped(
                    "severity"
                )
            )
            dossier.marker = (
                "red" if "red" in severities else "orange" if severities else "none"
            )
            dossier.open_instruction_count = len(
                dossier.instruction_ids.filtered(lambda i: i.state == "open")
            )

    def _compute_monitoring_count(self):
        counts = dict(
            self.env["accounting.task"]._read_group(
                [
                    ("dossier_id", "in", self.ids),
                    "|",
                    ("state", "=", "failed"),
                    ("has_open_instruction", "=", True),
                ],
                ["dossier_id"],
                ["__count"],
            )
        )
        for dossier in self:
            dossier.monitoring_count = counts.get(dossier, 0)

    @api.constrains("company_id", "state", "active")
    def _check_one_linked_dossier_per_company(self):
        for dossier in self.filtered(lambda d: d.state in LINKED_STATES and d.active):
            others = self.search_count(
                [
                    ("company_id", "=", dossier.company_id.id),
                    ("state", "in", LINKED_STATES),
                    ("id", "!=", dossier.id),
                ],
                limit=1,
            )
            if others:
                raise ValidationError(
                    self.env._(
                        "%s already has a dossier in use: the invoices of a "
                        "company go to one dossier.",
                        dossier.company_id.name,
                    )
                )

    def write(self, vals):
        if self.env.su:
            return super().write(vals)
        if set(vals) - OFFICE_FIELDS:
            if not self.env.user.has_group("account.group_account_manager"):
                raise AccessError(
                    self.env._(
                        "Only an accounting manager can change a dossier; office "
                        "users can correct its dossier code."
                    )
                )
        elif vals and self.env.user.has_group("account.group_account_invoice"):
            # A dossier of one of the user's companies (the read rule)...
            self.check_access("read")
            # sudo: ...whose code office users correct (and whose task they
            # restart) also when its company is not selected in the switcher
            return super(AccountingDossier, self.sudo()).write(vals)
        return super().write(vals)

    def action_restart_failed_tasks(self):
        """Restart the failed task(s) of the dossier once the cause is fixed."""
        failed = self.env["accounting.task"].search(
            [("dossier_id", "in", self.ids), ("state", "=", "failed")]
        )
        if not failed:
            raise UserError(self.env._("This dossier has no failed task."))
        return failed.action_restart()

    def action_activate(self):
        """Ask the accounting package to activate the dossier (a task)."""
        for dossier in self:
            if dossier.state != "draft":
                raise UserError(
                    self.env._("Dossier %s is not a draft.", dossier.display_name)
                )
            if not dossier.code or not dossier.backend_id:
                raise UserError(
                    self.env._(
                        "Dossier %s needs a dossier code and a connector before it "
                        "can be activated.",
                        dossier.display_name,
                    )
                )
        self.write({"state": "activating"})
        self.env["accounting.task"].create(
            [
                {"dossier_id": dossier.id, "task_type": "activate_dossier"}
                for dossier in self
            ]
        )
        return True

    def action_sync(self):
        """Queue a synchronisation of the dossier with the accounting package."""
        if any(dossier.state == "draft" for dossier in self):
            raise UserError(self.env._("Activate the dossier before synchronising it."))
        self.env["accounting.task"].create(
            [
                {"dossier_id": dossier.id, "task_type": "sync_dossier"}
                for dossier in self
            ]
        )
        return True

    def action_open_monitoring(self):
        """The monitoring list of this dossier (failed tasks, instructions)."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "accounting_connector.accounting_task_action_monitoring"
        )
        action["domain"] = [("dossier_id", "in", self.ids)]
        if len(self) == 1:
            action["display_name"] = self.env._("Monitoring %s", self.display_name)
        return action

    def _sync_state(self):
        """Blocked while a task fails; otherwise where its activation stands."""
        Task = self.env["accounting.task"]
        for dossier in self:
            failed = Task.search_count(
                [("dossier_id", "=", dossier.id), ("state", "=", "failed")], limit=1
            )
            if failed:
                state = "blocked"
            elif dossier.activation_date:
                state = "active"
            elif Task.search_count(
                [
                    ("dossier_id", "=", dossier.id),
                    ("task_type", "=", "activate_dossier"),
                    ("state", "in", ("pending", "running")),
                ],
                limit=1,
            ):
                state = "activating"
            else:
                state = "draft"
            if dossier.state != state:
                # sudo: the state follows the tasks, whoever's action moved them
                dossier.sudo().state = state

    @api.model
    def _linked_to_companies(self, companies):
        """The dossier that receives the tasks of each company's documents."""
        dossiers = self.sudo().search(
            [("company_id", "in", companies.ids), ("state", "in", LINKED_STATES)]
        )
        return {dossier.company_id: dossier for dossier in dossiers}
