"""Sending paid CCV payments to Moneybird, and the crons."""

import dataclasses
import datetime
import logging
import math

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..clients.errors import ApiError, AuthorizationRevoked, RateLimitExhausted
from ..clients.sync import (
    AUTHORIZATION_REVOKED,
    RECHECKED_REASONS,
    TRANSIENT_REASONS,
    PaymentSyncer,
)
from .ccv_moneybird_connection import error_text, notify

_logger = logging.getLogger(__name__)

# Bounded batches for the crons.
CRON_CONNECTIONS = 50
# One run sends what fits in one Moneybird window (150 requests, a few for reading
# the open invoices); a bigger backlog makes the cron run again soon.
CRON_PAYMENTS = 140
# Payments read again from CCV per connection per night.
RECHECK_PAYMENTS = 2000
# Payments committed together in a cron run (a kill loses at most this much work).
COMMIT_BATCH = 10
# Seconds left in the cron window below which a run stops and leaves the rest.
STOP_BEFORE_END = 15


class CcvMoneybirdConnection(models.Model):
    _inherit = "ccv.moneybird.connection"

    def action_fetch_now(self):
        self.ensure_one()
        self._check_group("account.group_account_manager")
        self._fetch_new_payments()
        self.with_context(ccv_fresh_invoices=True)._process_ready_payments()
        return notify(
            self.env._("Payments fetched"),
            self.env._(
                "Open: %(open)s, report: %(done)s, errors: %(error)s",
                open=self.open_count,
                done=self.done_count,
                error=self.error_count,
            ),
        )

    def _ready_domain(self, reasons=(*TRANSIENT_REASONS, AUTHORIZATION_REVOKED)):
        return [
            ("connection_id", "=", self.id),
            ("ccv_status", "=", "success"),
            "|",
            ("state", "=", "open"),
            "&",
            ("state", "=", "error"),
            ("error_code", "in", list(reasons)),
        ]

    def _process_ready_payments(self, limit=None, reasons=None):
        self.ensure_one()
        domain = self._ready_domain(reasons) if reasons else self._ready_domain()
        payments = self.env["ccv.payment"].search(
            domain, limit=limit or CRON_PAYMENTS, order="id"
        )
        return self._process_payments(payments)

    def _process_payments(self, payments):
        """Register successful payments in Moneybird; one Moneybird client (and so one
        invoice cache and one request budget) for the whole run.

        In a cron every small batch is committed, and the run stops while there is
        time left in the cron window (the rest is picked up by the next run).
        """
        self.ensure_one()
        if not payments:
            return None
        if self.moneybird_state == "revoked":
            payments._set_error_authorization()
            return None
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        client = self._moneybird_client()
        syncer = PaymentSyncer(
            client,
            self._method_accounts(),
            fields.Date.context_today(self),
            # the open invoices read by this worker's last run are used again, but
            # not when a person presses Process or Fetch now: they read them anew
            snapshot_key=f"{client.base_url}|{client.administration_id}",
            fresh=not in_cron and bool(self.env.context.get("ccv_fresh_invoices")),
        )
        Sending = self.env["ccv.payment.sending"]
        for start in range(0, len(payments), COMMIT_BATCH):
            marked = set() if in_cron else None
            if not self._process_batch(
                syncer, payments[start : start + COMMIT_BATCH], marked
            ):
                break
            if in_cron:
                time_left = self.env["ir.cron"]._commit_progress()
                Sending._unmark(marked)
                if time_left < STOP_BEFORE_END:
                    if start + COMMIT_BATCH < len(payments):
                        # the rest is for a fresh run of this cron, soon
                        self.env["ir.cron"].browse(
                            self.env.context.get("cron_id")
                        ).exists()._trigger()
                    break
        _logger.info(
            "CCV–Moneybird %s: %s payments, %s Moneybird requests, %s answered 429",
            self.id,
            len(payments),
            client.request_count,
            client.rate_limited_count,
        )
        return client

    def _process_batch(self, syncer, payments, marked=None):
        """One batch; False when the run must stop (authorization, request budget).

        With ``marked`` (a set, in a cron run that commits each batch) the payments
        are marked as being sent before they are sent; their references are added to
        ``marked`` so that the caller removes the marks once the outcome is committed.
        """
        # a webhook, the cron, a second worker and a user may send the same payment
        # at once: the row lock makes one of them do it, the others skip it
        try:
            with self.env.cr.savepoint():
                payments = payments.try_lock_for_update(allow_referencing=True)
        except psycopg2.errors.SerializationFailure:
            # another worker committed these payments after this transaction began:
            # they are theirs. Skipping them keeps this run (and the payments it
            # already registered in Moneybird) from being rolled back.
            return True
        payments.invalidate_recordset()
        payments = payments.filtered(
            lambda p: p.ccv_status == "success" and p.state != "done"
        )
        unsure = set()
        if marked is not None and payments:
            Sending = self.env["ccv.payment.sending"]
            unsure = Sending._unsure(payments)
            Sending._mark(payments.mapped("reference"))
            marked.update(payments.mapped("reference"))
        for position, payment in enumerate(payments):
            data = payment._payment_data()
            if payment.reference in unsure:
                data = dataclasses.replace(data, verify_first=True)
            try:
                outcome = syncer.process(data)
            except AuthorizationRevoked as exc:
                self._authorization_lost(exc)
                payments[position:]._set_error_authorization()
                return False
            except RateLimitExhausted as exc:
                # the payments stay open; the cron comes back when Moneybird allows
                self._retry_later(exc)
                syncer.client.postponed = True
                return False
            with self.env.cr.savepoint():
                payment._apply_outcome(outcome)
        return True

    def _retry_later(self, exc):
        delay = max(exc.retry_after or 0, 1.0)
        _logger.info(
            "CCV–Moneybird %s: %s; the cron runs again in %.0f s", self.id, exc, delay
        )
        self.env.ref("ccv_moneybird_sync.ir_cron_fetch_payments")._trigger(
            at=fields.Datetime.now() + datetime.timedelta(seconds=math.ceil(delay))
        )

    def _run_connections(self, work):
        """Each connection in its own step; a broken one does not stop the others.

        ``work`` returns the Moneybird client it used (or None); a client that was
        ``postponed`` (request budget used up) leaves its backlog to the trigger.
        """
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        if in_cron:
            time_left = self.env["ir.cron"]._commit_progress(remaining=len(self))
            if time_left <= 0:
                # Odoo calls a job again while it reports work left, and every due
                # job of a cron worker shares that worker's time limit: once this
                # job's own window is spent, sending one more batch (seconds at
                # Moneybird's pace) could get the worker killed. Nothing done in
                # this call ends Odoo's loop; the trigger brings the rest back.
                self.env["ir.cron"].browse(
                    self.env.context.get("cron_id")
                ).exists()._trigger()
                return self._backlog_count()
        succeeded = self.browse()
        for connection in self:
            # ir.cron gives no language: chatter posts and payment errors are
            # written in the language of the connection's company
            connection = connection.with_context(
                lang=connection.company_id.partner_id.lang or self.env.user.lang
            )
            try:
                if in_cron:
                    # the work commits its batches itself: no savepoint around it
                    client = work(connection)
                else:
                    with self.env.cr.savepoint():
                        client = work(connection)
                if not getattr(client, "postponed", False):
                    succeeded |= connection
            except (ApiError, UserError, ValueError) as exc:
                if in_cron:
                    self.env.cr.rollback()  # back to the last committed batch
                _logger.warning("CCV–Moneybird connection %s: %s", connection.id, exc)
                connection.message_post(
                    body=connection.env._(
                        "Synchronisation stopped: %s", error_text(connection.env, exc)
                    )
                )
            if in_cron:
                self.env["ir.cron"]._commit_progress(1)
        backlog = succeeded._backlog_count()
        if in_cron and backlog:
            # more paid payments than one run sends: the cron runs again soon
            self.env["ir.cron"]._commit_progress(remaining=backlog)
        return backlog

    def _backlog_count(self):
        """Paid payments waiting to be sent (not errors: those wait for a user)."""
        ready = self.filtered(
            lambda c: c.moneybird_administration_id and c.moneybird_state == "connected"
        )
        if not ready:
            return 0
        return self.env["ccv.payment"].search_count(
            [
                ("connection_id", "in", ready.ids),
                ("state", "=", "open"),
                ("ccv_status", "=", "success"),
            ]
        )

    @api.model
    def _cron_fetch_payments(self):
        """Hourly: fetch new CCV payments and send the successful ones to Moneybird."""
        connections = self.search(
            [("ccv_state", "!=", "not_connected")], limit=CRON_CONNECTIONS
        )

        def work(connection):
            connection._check_authorization()
            connection._fetch_new_payments()
            connection._read_webhook_references()
            if connection.moneybird_administration_id:
                return connection._process_ready_payments()
            return None

        return connections._run_connections(work)

    @api.model
    def _cron_recheck_payments(self):
        """Nightly: payments fetched earlier but not sent yet are read again."""
        self.env["ccv.payment.sending"]._forget_finished()
        connections = self.search(
            [("ccv_state", "!=", "not_connected")], limit=CRON_CONNECTIONS
        )

        def work(connection):
            waiting = connection.env["ccv.payment"].search(
                [
                    ("connection_id", "=", connection.id),
                    "|",
                    "|",
                    ("state", "=", "open"),
                    ("ccv_status", "=", "manualintervention"),
                    "&",
                    ("state", "=", "error"),
                    ("error_code", "in", list(RECHECKED_REASONS)),
                ],
                limit=RECHECK_PAYMENTS,
                order="id",
            )
            connection._refresh_from_ccv(waiting)
            if connection.moneybird_administration_id:
                # "no open invoice" too: the invoice may have been made since
                return connection._process_ready_payments(reasons=RECHECKED_REASONS)
            return None

        return connections._run_connections(work)
