import uuid

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..backends import RED, TRANSIENT, BackendError

TASK_TYPES = [
    ("post_proposal", "Post booking proposal"),
    ("delete_proposal", "Delete booking proposal"),
    ("sync_dossier", "Synchronise dossier"),
    ("activate_dossier", "Activate dossier"),
]
TASK_STATES = [
    ("pending", "Pending"),
    ("running", "Running"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
# a task in one of these states keeps the later tasks of its dossier waiting
OPEN_STATES = ("pending", "running", "failed")


def error_text(env, error):
    """A backend error as the user reads it, in the language of ``env``.

    The package's own words and technical values stay as sent.
    """
    if isinstance(error, BackendError):
        return error.text(env)
    return str(error)


class AccountingTask(models.Model):
    """One thing to carry to the accounting package, strictly in order per dossier."""

    _name = "accounting.task"
    _description = "Accounting connector task"
    _check_company_auto = True
    _order = "id desc"

    dossier_id = fields.Many2one(
        "accounting.dossier",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(
        related="dossier_id.company_id", store=True, index=True, precompute=True
    )
    backend_id = fields.Many2one(related="dossier_id.backend_id")
    task_type = fields.Selection(TASK_TYPES, string="Task", required=True)
    state = fields.Selection(
        TASK_STATES, string="Status", default="pending", required=True, index=True
    )
    res_model = fields.Char(string="Document model", readonly=True)
    res_id = fields.Many2oneReference(
        string="Document", model_field="res_model", readonly=True
    )
    record_name = fields.Char(string="Document name", readonly=True)
    payload = fields.Json(
        readonly=True, help="The booking proposal, as it was when it was queued."
    )
    idempotency_key = fields.Char(
        default=lambda self: uuid.uuid4().hex,
        required=True,
        readonly=True,
        copy=False,
        help="Sent with the task so the accounting package never books it twice.",
    )
    attempt_count = fields.Integer(
        string="Attempts", default=0, readonly=True, copy=False
    )
    next_attempt_at = fields.Datetime(string="Next attempt", readonly=True, copy=False)
    lease_until = fields.Datetime(readonly=True, copy=False)
    lease_token = fields.Char(readonly=True, copy=False)
    started_at = fields.Datetime(readonly=True, copy=False)
    done_at = fields.Datetime(string="Done on", readonly=True, copy=False)
    error_message = fields.Text(string="Error", readonly=True, copy=False)
    error_kind = fields.Selection(
        [
            (TRANSIENT, "Temporary"),
            ("orange", "Office can fix"),
            (RED, "Support must act"),
        ],
        readonly=True,
        copy=False,
    )
    external_ref = fields.Char(string="Reference in package", readonly=True, copy=False)
    instruction_ids = fields.One2many(
        "accounting.instruction", "task_id", string="Accountant instructions"
    )
    has_open_instruction = fields.Boolean(
        string="With instruction", compute="_compute_open_instruction", store=True
    )
    instruction_severity = fields.Selection(
        [("orange", "Orange"), ("red", "Red")],
        string="Instruction",
        compute="_compute_open_instruction",
        store=True,
    )
    instruction_action = fields.Text(
        string="Instruction to carry out", compute="_compute_instruction_action"
    )

    _idempotency_key_unique = models.UniqueIndex("(idempotency_key)")
    # the head of each dossier's queue is found with this index
    _open_head_idx = models.Index(
        "(dossier_id, id) WHERE state IN ('pending', 'running', 'failed')"
    )

    @api.depends("task_type", "record_name")
    def _compute_display_name(self):
        labels = dict(self._fields["task_type"]._description_selection(self.env))
        for task in self:
            label = labels.get(task.task_type, "")
            task.display_name = (
                f"{label} {task.record_name}" if task.record_name else label
            )

    @api.depends("instruction_ids.state", "instruction_ids.severity")
    def _compute_open_instruction(self):
        for task in self:
            instruction = task.instruction_ids.filtered(lambda i: i.state == "open")[:1]
            task.has_open_instruction = bool(instruction)
            task.instruction_severity = instruction.severity

    @api.depends("instruction_ids.state", "instruction_ids.action_required")
    def _compute_instruction_action(self):
        for task in self:
            instruction = task.instruction_ids.filtered(lambda i: i.state == "open")[:1]
            task.instruction_action = instruction.action_required

    @api.model_create_multi
    def create(self, vals_list):
        dossier_ids = sorted({vals["dossier_id"] for vals in vals_list})
        if dossier_ids:
            # Tasks of one dossier are created one transaction after the other,
            # so the order of their ids is the order in which they commit: the
            # FIFO the workers rely on.
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM accounting_dossier WHERE id = ANY(%s) "
                    "ORDER BY id FOR NO KEY UPDATE",
                    dossier_ids,
                )
            )
        return super().create(vals_list)

    def _check_office_user(self):
        """Office users (Invoicing rights) restart and cancel tasks they can see."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(
                self.env._(
                    "Only office users with Invoicing rights can restart or cancel "
                    "a task of the accounting connector."
                )
            )
        self.check_access("read")

    def action_restart(self):
        """Try a failed task again (after the cause was fixed)."""
        self._check_office_user()
        if any(task.state != "failed" for task in self):
            raise UserError(self.env._("Only failed tasks can be restarted."))
        # sudo: office users may restart (checked above) but not write tasks,
        # instructions and dossiers themselves
        self.sudo().write(
            {
                "state": "pending",
                "attempt_count": 0,
                "next_attempt_at": False,
                "lease_token": False,
                "lease_until": False,
            }
        )
        return True

    def action_cancel(self):
        """Stop a wrong activation: the dossier goes back to draft."""
        self._check_office_user()
        if any(
            task.task_type != "activate_dossier"
            or task.state not in ("pending", "failed")
            for task in self
        ):
            raise UserError(
                self.env._(
                    "Only a waiting or failed 'Activate dossier' task can be cancelled."
                )
            )
        # sudo: office users may cancel (checked above) but not write tasks,
        # instructions and dossiers themselves
        tasks = self.sudo()
        tasks.write({"state": "cancelled", "lease_token": False})
        tasks.instruction_ids.filtered(lambda i: i.state == "open")._close()
        tasks.dossier_id._sync_state()
        return True

    def action_open_document(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "views": [(False, "form")],
        }
