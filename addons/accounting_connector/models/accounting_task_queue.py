"""The queue of accounting.task: claim the head of a dossier, record its outcome."""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..backends import RED, TRANSIENT, AccountingBackend, BackendError
from .accounting_task import error_text

_logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = 3600


def due_heads_sql(backend_id, now):
    """``FROM ... WHERE`` of the tasks a worker of the connector could take now.

    Each dossier's queue is served in order: only its oldest open task (the
    head) can be taken, when it is waiting and due, or running with a claim
    that ran out. The tables are named ``dossier`` and ``task``.
    """
    return SQL(
        """
              accounting_dossier dossier
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
               AND ((task.state = 'pending'
                     AND (task.next_attempt_at IS NULL
                          OR task.next_attempt_at <= %(now)s))
                    OR (task.state = 'running' AND task.lease_until < %(now)s))
        """,
        backend=backend_id,
        now=now,
    )


class AccountingTask(models.Model):
    _inherit = "accounting.task"

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
                  FROM %(due_heads)s
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
                due_heads=due_heads_sql(backend.id, now),
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
