import logging
import uuid
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
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

    # ----------------------------------------------------------- the queue
    @api.model
    def _claim_next(self, backend, token):
        """Claim the next task (see ``_claim``); returns the task only."""
        return self._claim(backend, token)[0]

    @api.model
    def _claim(self, backend, token, lease_seconds=None, slot=(0, 1)):
        """Lock and lease the oldest task that is due at the head of its dossier.

        Only the oldest open task of a dossier can be taken (FIFO), and only when
        it is waiting or its worker's lease expired. Workers that look at the same
        time skip each other's locked rows, so two workers never take the same
        task and never two tasks of one dossier.

        :param slot: ``(index, count)`` of the worker: each worker first looks
            at its own share of the dossiers, so parallel workers rarely reach
            for the same row (then in order of arrival)
        :return: ``(task, request)``: the leased task (empty when none is due)
            and the plain values a backend needs to carry it out
        """
        now = fields.Datetime.now()
        # the queue's hot path is one plain SQL statement (find, lock, lease);
        # the ORM cache of the task is invalidated right after
        self.env.cr.execute(
            SQL(
                """
            WITH claimed AS (
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
                 ORDER BY dossier.id %% %(slots)s = %(slot)s DESC, task.id
                 LIMIT 1
                   FOR UPDATE OF task SKIP LOCKED
            )
            UPDATE accounting_task task
               SET state = 'running',
                   lease_token = %(token)s,
                   lease_until = %(until)s,
                   attempt_count = COALESCE(task.attempt_count, 0) + 1,
                   started_at = %(now)s,
                   next_attempt_at = NULL,
                   write_uid = %(uid)s,
                   write_date = %(now)s
              FROM claimed, accounting_dossier dossier
             WHERE task.id = claimed.id AND dossier.id = task.dossier_id
         RETURNING task.id, task.task_type, dossier.code, task.payload,
                   task.idempotency_key
            """,
                backend=backend.id,
                now=now,
                slot=slot[0],
                slots=slot[1],
                token=token,
                until=now + timedelta(seconds=lease_seconds or backend.lease_seconds),
                uid=self.env.uid,
            ),
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        if not row:
            return self.browse(), None
        task = self.browse(row[0])
        _task_id, task_type, code, payload, key = row
        task.invalidate_recordset()
        request = {
            "task_id": task.id,
            "task_type": task_type,
            "dossier_code": code,
            "payload": payload or {},
            "idempotency_key": key,
        }
        return task, request

    def _record_result(self, token, result=None, error=None):
        """Store the outcome of an attempt, if this worker still holds the lease."""
        self.ensure_one()
        if error is None:
            return self._mark_done(token, result)
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
        kind = AccountingBackend.classify(error)
        backend = self.dossier_id.backend_id
        if kind == TRANSIENT and self.attempt_count < backend.max_attempts:
            self._retry_later(error, backend)
        else:
            self._mark_failed(error, kind)
        return True

    def _mark_done(self, token, result):
        now = fields.Datetime.now()
        reference = result if isinstance(result, str) else None
        # hot path: one statement, guarded by the lease token
        self.env.cr.execute(
            SQL(
                """
            UPDATE accounting_task task
               SET state = 'done',
                   done_at = %(now)s,
                   external_ref = %(reference)s,
                   lease_token = NULL,
                   lease_until = NULL,
                   error_message = NULL,
                   error_kind = NULL,
                   write_uid = %(uid)s,
                   write_date = %(now)s
              FROM accounting_dossier dossier
             WHERE task.id = %(id)s
               AND task.state = 'running'
               AND task.lease_token = %(token)s
               AND dossier.id = task.dossier_id
         RETURNING task.task_type, task.has_open_instruction, dossier.state
            """,
                now=now,
                reference=reference or None,
                uid=self.env.uid,
                id=self.id,
                token=token,
            ),
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        self.invalidate_recordset()
        if not row:
            _logger.warning("Accounting task %s: lease lost, result ignored", self.id)
            return False
        task_type, has_open_instruction, dossier_state = row
        facts = result if isinstance(result, dict) else {}
        if task_type == "activate_dossier":
            self.dossier_id.write(
                {"activation_date": now, "package_name": facts.get("name")}
            )
        elif task_type == "sync_dossier":
            self.dossier_id.write(
                {"last_sync_date": now, "package_name": facts.get("name")}
            )
        if has_open_instruction:
            self.instruction_ids.filtered(lambda i: i.state == "open")._close()
        if dossier_state != "active" or task_type == "activate_dossier":
            self.dossier_id._sync_state()
        return True

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
                "error_message": error_text(self.env, error),
                "error_kind": TRANSIENT,
            }
        )

    def _mark_failed(self, error, kind):
        if isinstance(error, BackendError):
            message = error_text(self.env, error)
            code, details = error.code, error.details
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
            instruction._send_support_mail()
        self.dossier_id._sync_state()
