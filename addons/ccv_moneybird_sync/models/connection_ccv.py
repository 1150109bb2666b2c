"""The CCV side of a connection: API key, test call, fetching payments, webhook."""

import datetime
import logging
import secrets

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..clients import ccv
from ..clients.errors import ApiError, CcvAuthError
from .ccv_moneybird_connection import error_text, notify

_logger = logging.getLogger(__name__)

CCV_STATES = [
    ("not_connected", "Not connected"),
    ("connected", "Connected"),
    ("error", "Error"),
]
WEBHOOK_PATH = "/ccv_moneybird_sync/webhook"
# Overlap when asking CCV for new payments, so none created at the cursor is missed.
FETCH_OVERLAP = datetime.timedelta(minutes=10)
# First fetch of a new connection goes this far back.
FIRST_FETCH = datetime.timedelta(days=30)
# Warn the responsible user this long before the Moneybird authorization expires.
CCV_BATCH = 50


class CcvMoneybirdConnection(models.Model):
    _inherit = "ccv.moneybird.connection"

    ccv_api_key = fields.Char(
        string="CCV API key", groups="base.group_system", copy=False, tracking=False
    )
    ccv_base_url = fields.Char(
        string="CCV API URL", default=ccv.CCV_DEFAULT_URL, required=True
    )
    ccv_state = fields.Selection(
        CCV_STATES,
        string="CCV connection",
        default="not_connected",
        readonly=True,
        copy=False,
    )
    ccv_mode = fields.Selection(
        [("test", "Test key"), ("live", "Live key")],
        string="CCV key type",
        compute="_compute_ccv_mode",
    )
    ccv_fetched_until = fields.Datetime(
        string="Payments fetched until", readonly=True, copy=False
    )
    webhook_token = fields.Char(
        string="Webhook token",
        groups="base.group_system",
        copy=False,
        default=lambda self: secrets.token_urlsafe(24),
    )
    webhook_url = fields.Char(string="Webhook URL", compute="_compute_webhook_url")

    @api.depends_context("uid")
    def _compute_ccv_mode(self):
        for connection in self:
            key = connection.sudo().ccv_api_key or ""  # sudo: only the prefix is shown
            connection.ccv_mode = {"t_": "test", "l_": "live"}.get(key[:2], False)

    def _compute_webhook_url(self):
        base = self.get_base_url() if self else ""
        for connection in self:
            # sudo: the URL holds the token; only administrators see it on the form
            token = connection.sudo().webhook_token
            connection.webhook_url = f"{base}{WEBHOOK_PATH}/{token}" if token else False

    # -- CRUD -------------------------------------------------------------
    def write(self, vals):
        if "ccv_api_key" in vals and "ccv_state" not in vals:
            # a new key is not tested yet: the dot is no longer green
            vals = dict(vals, ccv_state="not_connected")
        return super().write(vals)

    # -- actions ----------------------------------------------------------
    def action_test_ccv(self):
        """Test call to CCV; the dot turns green when the key is accepted."""
        self.ensure_one()
        self._check_group("base.group_system")
        try:
            methods = self._ccv_client().test_connection()
        except (CcvAuthError, ApiError, ValueError) as exc:
            self.ccv_state = "error"
            raise UserError(
                self.env._(
                    "CCV did not accept the connection: %s", error_text(self.env, exc)
                )
            ) from exc
        self.ccv_state = "connected"
        self._add_methods(methods)
        return notify(
            self.env._("Connected to CCV Online Payments"),
            self.env._(
                "Payment methods on the account: %s", ", ".join(filter(None, methods))
            ),
        )

    def _add_methods(self, methods):
        """Every method CCV reports gets a line, to be given its clearing account."""
        known = set(self.method_map_ids.mapped("method"))
        new = [m for m in dict.fromkeys(filter(None, methods)) if m not in known]
        # sudo: the administrator tested the key; the lines belong to this connection
        self.env["ccv.moneybird.method.map"].sudo().create(
            [{"connection_id": self.id, "method": method} for method in new]
        )

    # -- clients ----------------------------------------------------------
    def _ccv_client(self):
        self.ensure_one()
        key = (
            self.sudo().ccv_api_key
        )  # sudo: system-only secret, used only for the call
        if not key:
            raise UserError(self.env._("Fill in the CCV API key first."))
        return ccv.CcvClient(key, self.ccv_base_url)

    # -- business ---------------------------------------------------------
    def _fetch_new_payments(self):
        """New CCV payments since the last fetch become ccv.payment records."""
        self.ensure_one()
        client = self._ccv_client()
        since = (
            self.ccv_fetched_until or fields.Datetime.now() - FIRST_FETCH
        ) - FETCH_OVERLAP
        newest = self.ccv_fetched_until
        transactions, unreadable = [], []
        for transaction in client.iter_transactions(since, unreadable):
            transactions.append(transaction)
            newest = max(newest or transaction.created, transaction.created)
        payments = self.env["ccv.payment"]._upsert_from_ccv(self, transactions)
        self._log_unreadable(unreadable)
        self.write({"ccv_fetched_until": newest, "ccv_state": "connected"})
        return payments

    def _log_unreadable(self, unreadable):
        """Rows CCV sent that we cannot read: said on the connection, others go on."""
        for exc in unreadable:
            _logger.warning("CCV connection %s: skipped a row: %s", self.id, exc)
            self.message_post(
                body=self.env._(
                    "A CCV transaction was skipped: %s", error_text(self.env, exc)
                )
            )

    def _refresh_from_ccv(self, payments):
        """Read the current CCV status of ``payments`` again (in batches)."""
        self.ensure_one()
        return self._read_references(payments.mapped("reference"))

    def _read_references(self, references):
        client = self._ccv_client()
        transactions, unreadable = [], []
        for start in range(0, len(references), CCV_BATCH):
            transactions += client.get_transactions(
                references[start : start + CCV_BATCH], unreadable
            )
        self._log_unreadable(unreadable)
        return self.env["ccv.payment"]._upsert_from_ccv(self, transactions)

    def _record_webhook(self, reference):
        """CCV says something changed: only remember the reference and wake the cron.

        No call to CCV or Moneybird inside the public request; the cron reads the
        transaction from CCV (never the body) and sends it.
        """
        self.ensure_one()
        self.env["ccv.webhook.reference"].create(
            {"connection_id": self.id, "reference": reference}
        )
        self.env.ref("ccv_moneybird_sync.ir_cron_fetch_payments")._trigger()

    def _read_webhook_references(self):
        """The references CCV announced since the last run, read from CCV."""
        self.ensure_one()
        announced = self.env["ccv.webhook.reference"].search(
            [("connection_id", "=", self.id)], limit=CCV_BATCH * 4
        )
        if not announced:
            return self.env["ccv.payment"]
        payments = self._read_references(list(set(announced.mapped("reference"))))
        announced.unlink()
        return payments
