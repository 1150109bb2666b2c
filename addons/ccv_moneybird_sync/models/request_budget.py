"""Moneybird's request budget, shared through PostgreSQL by every Odoo process.

Moneybird allows 150 requests per 5 minutes per account, whoever sends them: two
workers, the cron of a second server and a user's button together. Each request is
counted in ``ccv_moneybird_request`` in a short transaction of its own (committed at
once, so the others see it); an advisory lock per administration makes the check and
the insert one step. A wait longer than ``max_wait`` is never slept: it raises
:class:`RateLimitExhausted` and the cron is triggered again when a slot is free.
"""

import time

import psycopg2
from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import fields, models
from odoo.sql_db import Cursor
from odoo.tools import SQL

from ..clients.errors import RateLimitExhausted
from ..clients.http import MAX_INLINE_WAIT
from ..clients.ratelimit import budget_used

# first key of pg_advisory_xact_lock(int, int): this addon's request budget
LOCK_CLASS = 7412601


class CcvMoneybirdRequest(models.Model):
    """One request sent to Moneybird, kept as long as the rate window lasts."""

    _name = "ccv.moneybird.request"
    _description = "Request sent to Moneybird"
    _log_access = False

    budget_key = fields.Char(required=True, index=True)
    sent_at = fields.Float(required=True, help="Epoch seconds")


class DatabaseBudget:
    """The limiter interface of the Moneybird client, backed by the database."""

    def __init__(
        self,
        registry,
        key,
        max_requests,
        window,
        max_wait=MAX_INLINE_WAIT,
        clock=time.time,
        sleep=time.sleep,
    ):
        self._registry = registry
        self.key = key
        self.max_requests = max(int(max_requests), 1)
        self.window = float(window)
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0

    def acquire(self):
        while True:
            try:
                slot, oldest, now = self._try_acquire()
            except psycopg2.errors.SerializationFailure:
                # another process cleaned the same old rows at the same moment
                continue
            if slot is not None:
                return slot
            # a small margin so the server, which counts on its own clock, agrees
            delay = oldest + self.window - now + 0.01
            if delay > self.max_wait:
                raise RateLimitExhausted(budget_used(), retry_after=delay)
            self.waited += delay
            self._sleep(delay)

    def _try_acquire(self):
        """(slot, None, now) when a request may go, else (None, oldest, now)."""
        now = self._clock()
        with self._registry.cursor() as cr:
            if isinstance(cr, Cursor):
                # each statement after the lock must see what the process that
                # held the lock before committed (repeatable read would not)
                cr.connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
            cr.execute(
                SQL(
                    "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                    LOCK_CLASS,
                    self.key,
                )
            )
            cr.execute(
                SQL(
                    "DELETE FROM ccv_moneybird_request "
                    "WHERE budget_key = %s AND sent_at <= %s",
                    self.key,
                    now - self.window,
                )
            )
            cr.execute(
                SQL(
                    "SELECT count(*), min(sent_at) FROM ccv_moneybird_request "
                    "WHERE budget_key = %s",
                    self.key,
                )
            )
            used, oldest = cr.fetchone()
            if used >= self.max_requests:
                return None, oldest, now
            cr.execute(
                SQL(
                    "INSERT INTO ccv_moneybird_request (budget_key, sent_at) "
                    "VALUES (%s, %s) RETURNING id",
                    self.key,
                    now,
                )
            )
            return cr.fetchone()[0], None, now

    def finished(self, slot):
        """Answered: count the request from now, when the server surely saw it."""
        with self._registry.cursor() as cr:
            cr.execute(
                SQL(
                    "UPDATE ccv_moneybird_request SET sent_at = %s WHERE id = %s",
                    self._clock(),
                    slot,
                )
            )

    def pause(self, seconds):
        """Moneybird asked us to wait (Retry-After): in place only if it is short."""
        if seconds > self.max_wait:
            raise RateLimitExhausted(budget_used(), retry_after=seconds)
        if seconds > 0:
            self.waited += seconds
            self._sleep(seconds)
