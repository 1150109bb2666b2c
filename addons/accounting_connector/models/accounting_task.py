import logging
import uuid
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..backends import RED, TRANSIENT, AccountingBackend, BackendError

_logger = logging.getLogger(__name__)

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
MAX_RETRY_DELAY = 3600


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
    attempt_count = fields.Integer(string="Attempts", readonly=True, copy=False)
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
    instruction_ids = fields.One2many("accounting.instruction", "task_id")
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

    def action_restart(self):
        """Try a failed task again (after the cause was fixed)."""
        if any(task.state != "failed" for task in self):
            raise UserError(self.env._("Only failed tasks can be restarted."))
        self.write(
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
        self.write({"state": "cancelled", "lease_token": False})
        self.instruction_ids.filtered(lambda i: i.state == "open")._close()
        self.dossier_id._sync_state()
        return True

    def action_open_document(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "views": [(False, "form")],
        }

    # ----------------------------------------------------------- the queue
    @api.model
    def _claim_next(self, backend, token):
        """Lock and lease the oldest task that is due at the head of its dossier.

        Only the oldest open task of a dossier can be taken (FIFO), and only when
        it is waiting or its worker's lease expired. Workers that look at the same
        time skip each other's locked rows, so two workers never take the same
        task and never two tasks of one dossier.
        """
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
            SELECT task.id
              FROM accounting_dossier dossier
              CROSS JOIN LATERAL (
                    SELECT head.id
                      FROM accounting_task head
                     WHERE head.dossier_id = dossier.id
                       AND head.state IN ('pending', 'running', 'failed')
                     ORDER BY head.id
                     LIMIT 1
                   ) head
              JOIN accounting_task task ON task.id = head.id
             WHERE dossier.backend_id = %(backend)s
               AND dossier.active
               AND dossier.state IN ('activating', 'active', 'blocked')
               AND (
                    (task.state = 'pending'
                     AND (task.next_attempt_at IS NULL
                          OR task.next_attempt_at <= %(now)s))
                 OR (task.state = 'running' AND task.lease_until < %(now)s)
               )
             ORDER BY task.id
             LIMIT 1
               FOR UPDATE OF task SKIP LOCKED
            """,
                backend=backend.id,
                now=now,
            ),
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        if not row:
            return self.browse()
        task = self.browse(row[0])
        task.write(
            {
                "state": "running",
                "lease_token": token,
                "lease_until": now + timedelta(seconds=backend.lease_seconds),
                "attempt_count": task.attempt_count + 1,
                "started_at": now,
                "next_attempt_at": False,
            }
        )
        return task

    def _request_values(self):
        """What a backend needs to carry the task out (plain values)."""
        self.ensure_one()
        return {
            "task_id": self.id,
            "task_type": self.task_type,
            "dossier_code": self.dossier_id.code,
            "payload": self.payload or {},
            "idempotency_key": self.idempotency_key,
        }

    def _record_result(self, token, result=None, error=None):
        """Store the outcome of an attempt, if this worker still holds the lease."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                "SELECT lease_token FROM accounting_task "
                "WHERE id = %s AND state = 'running' FOR UPDATE",
                self.id,
            ),
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        if not row or row[0] != token:
            # another worker took over after our lease expired: its result counts
            _logger.warning("Accounting task %s: lease lost, result ignored", self.id)
            return False
        self.invalidate_recordset()
        if error is None:
            self._mark_done(result)
            return True
        kind = AccountingBackend.classify(error)
        backend = self.dossier_id.backend_id
        if kind == TRANSIENT and self.attempt_count < backend.max_attempts:
            self._retry_later(error, backend)
        else:
            self._mark_failed(error, kind)
        return True

    def _mark_done(self, result):
        now = fields.Datetime.now()
        vals = {
            "state": "done",
            "done_at": now,
            "lease_token": False,
            "lease_until": False,
            "error_message": False,
            "error_kind": False,
        }
        dossier = self.dossier_id
        if self.task_type in ("post_proposal", "delete_proposal"):
            vals["external_ref"] = result or False
        elif self.task_type == "activate_dossier":
            dossier.write(
                {"activation_date": now, "package_name": (result or {}).get("name")}
            )
        elif self.task_type == "sync_dossier":
            dossier.write(
                {"last_sync_date": now, "package_name": (result or {}).get("name")}
            )
        self.write(vals)
        if self.has_open_instruction:
            self.instruction_ids.filtered(lambda i: i.state == "open")._close()
        if dossier.state != "active":
            dossier._sync_state()

    def _retry_later(self, error, backend):
        delay = error.retry_after or backend.retry_delay_seconds * 2 ** (
            self.attempt_count - 1
        )
        self.write(
            {
                "state": "pending",
                "next_attempt_at": fields.Datetime.now()
                + timedelta(seconds=min(delay, MAX_RETRY_DELAY)),
                "lease_token": False,
                "lease_until": False,
                "error_message": error.message,
                "error_kind": TRANSIENT,
            }
        )

    def _mark_failed(self, error, kind):
        if isinstance(error, BackendError):
            message, code, details = error.message, error.code, error.details
        else:
            message = self.env._("Internal error: %s", repr(error))
            code, details = "internal", {}
        if kind == TRANSIENT:
            # retries exhausted: the package stays unreachable, support looks at it
            code, kind = "unreachable", RED
            message = self.env._(
                "%(error)s (gave up after %(count)s attempts)",
                error=message,
                count=self.attempt_count,
            )
        self.write(
            {
                "state": "failed",
                "lease_token": False,
                "lease_until": False,
                "error_message": message,
                "error_kind": kind,
            }
        )
        open_instructions = self.instruction_ids.filtered(lambda i: i.state == "open")
        if not any(i.message == message for i in open_instructions):
            open_instructions._close()
            instruction = self.env["accounting.instruction"].create(
                {
                    "task_id": self.id,
                    "dossier_id": self.dossier_id.id,
                    "severity": kind,
                    "message": message,
                    "action_required": self.env["accounting.instruction"]._action_for(
                        code, details, self
                    ),
                }
            )
            instruction._send_new_instruction_mail()
        self.dossier_id._sync_state()
