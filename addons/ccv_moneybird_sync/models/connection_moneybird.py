"""The Moneybird side of a connection: OAuth, tokens, administration, accounts."""

import datetime
import logging
import secrets

from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.sql_db import Cursor
from odoo.tools import SQL

from ..clients import moneybird
from ..clients.errors import ApiError, AuthorizationRevoked
from ..clients.ratelimit import MONEYBIRD_MAX_REQUESTS, MONEYBIRD_WINDOW_SECONDS
from .ccv_moneybird_connection import error_text, notify
from .request_budget import DatabaseBudget

_logger = logging.getLogger(__name__)

MONEYBIRD_STATES = [
    ("not_connected", "Not connected"),
    ("connected", "Connected"),
    ("expiring", "Authorization about to expire"),
    ("revoked", "Authorization revoked"),
]
CALLBACK_PATH = "/ccv_moneybird_sync/oauth/callback"
# Warn the responsible user this long before the Moneybird authorization expires.
EXPIRY_WARNING = datetime.timedelta(days=7)
# Bounded batches for the crons.


class CcvMoneybirdConnection(models.Model):
    _inherit = "ccv.moneybird.connection"

    # Moneybird
    moneybird_base_url = fields.Char(
        string="Moneybird URL", default=moneybird.MONEYBIRD_DEFAULT_URL, required=True
    )
    moneybird_client_id = fields.Char(
        string="Moneybird client ID", groups="base.group_system"
    )
    moneybird_client_secret = fields.Char(
        string="Moneybird client secret", groups="base.group_system", copy=False
    )
    # kept in ccv.moneybird.token (see there why a row of their own)
    moneybird_access_token = fields.Char(
        string="Moneybird access token",
        groups="base.group_system",
        compute="_compute_tokens",
        inverse="_inverse_tokens",
    )
    moneybird_refresh_token = fields.Char(
        string="Moneybird refresh token",
        groups="base.group_system",
        compute="_compute_tokens",
        inverse="_inverse_tokens",
    )
    moneybird_token_expires = fields.Datetime(
        string="Authorization valid until",
        readonly=True,
        compute="_compute_tokens",
        inverse="_inverse_tokens",
    )
    moneybird_oauth_state = fields.Char(
        string="Moneybird OAuth state", groups="base.group_system", copy=False
    )
    moneybird_state = fields.Selection(
        MONEYBIRD_STATES,
        string="Moneybird connection",
        default="not_connected",
        readonly=True,
        copy=False,
        tracking=True,
    )
    moneybird_administration_id = fields.Char(
        string="Moneybird administration ID", copy=False, tracking=True
    )
    administration_ids = fields.One2many(
        "ccv.moneybird.administration",
        "connection_id",
        string="Administrations",
        readonly=True,
    )
    administration_choice_id = fields.Many2one(
        "ccv.moneybird.administration",
        string="Administration",
        compute="_compute_administration_choice",
        inverse="_inverse_administration_choice",
        domain="[('connection_id', '=', id)]",
    )
    financial_account_ids = fields.One2many(
        "ccv.moneybird.financial.account",
        "connection_id",
        string="Financial accounts",
        readonly=True,
    )
    method_map_ids = fields.One2many(
        "ccv.moneybird.method.map", "connection_id", string="Payment methods"
    )
    moneybird_rate_limit = fields.Integer(
        string="Moneybird requests per window", default=MONEYBIRD_MAX_REQUESTS
    )
    moneybird_rate_window = fields.Float(
        string="Moneybird rate window (seconds)", default=MONEYBIRD_WINDOW_SECONDS
    )

    @api.depends("moneybird_administration_id", "administration_ids")
    def _compute_administration_choice(self):
        for connection in self:
            connection.administration_choice_id = (
                connection.administration_ids.filtered(
                    lambda a, c=connection: (
                        a.moneybird_id == c.moneybird_administration_id
                    )
                )[:1]
            )

    def _inverse_administration_choice(self):
        for connection in self:
            chosen = connection.administration_choice_id.moneybird_id
            if chosen and chosen != connection.moneybird_administration_id:
                connection.moneybird_administration_id = chosen
                connection.financial_account_ids.unlink()

    def action_connect_moneybird(self):
        """Start OAuth2: send the browser to Moneybird's authorize page."""
        self.ensure_one()
        self._check_group("base.group_system")
        conn = self.sudo()  # sudo: the OAuth state and client id are system-only fields
        if not conn.moneybird_client_id or not conn.moneybird_client_secret:
            raise UserError(
                self.env._("Fill in the Moneybird client ID and client secret first.")
            )
        conn.moneybird_oauth_state = secrets.token_urlsafe(24)
        return {
            "type": "ir.actions.act_url",
            "url": self._moneybird_oauth().authorize_url(conn.moneybird_oauth_state),
            "target": "self",
        }

    def action_refresh_moneybird_accounts(self):
        self.ensure_one()
        self._check_group("account.group_account_manager")
        self._load_financial_accounts()
        return notify(
            self.env._("Moneybird accounts read"),
            self.env._("%s financial accounts", len(self.financial_account_ids)),
        )

    # -- OAuth ------------------------------------------------------------
    def _moneybird_oauth(self):
        # sudo: the client secret is system-only, used only for the token call
        conn = self.sudo()
        return moneybird.MoneybirdOAuth(
            conn.moneybird_client_id,
            conn.moneybird_client_secret,
            self.get_base_url() + CALLBACK_PATH,
            base_url=conn.moneybird_base_url,
        )

    def _finish_oauth(self, code):
        """Callback of the OAuth flow: exchange the code, read the administrations.

        The tokens are kept even when reading the administrations or the accounts
        fails afterwards: the user then reads them again from the form.
        """
        self.ensure_one()
        tokens = self._moneybird_oauth().exchange_code(code)
        self._store_tokens(tokens)
        self.sudo().moneybird_oauth_state = False
        # the reminders to reconnect are done now
        self.activity_ids.filtered(
            lambda a: a.summary in self._reconnect_summaries()
        ).action_feedback(feedback=self.env._("Moneybird connected again."))
        try:
            with self.env.cr.savepoint():
                self._load_administrations()
        except (ApiError, UserError, ValueError) as exc:
            _logger.warning("Moneybird connection %s: %s", self.id, exc)
            self.message_post(
                body=self.env._(
                    "Moneybird is connected, but reading the administrations and "
                    "accounts failed: %s Press Read Moneybird accounts to try again.",
                    error_text(self.env, exc),
                )
            )
            return
        self.message_post(body=self.env._("Moneybird connected."))

    def _load_administrations(self):
        admins = self._moneybird_client(administration=False).administrations()
        self.administration_ids.unlink()
        self.env["ccv.moneybird.administration"].create(
            [
                {
                    "connection_id": self.id,
                    "name": a.get("name") or a["id"],
                    "moneybird_id": str(a["id"]),
                }
                for a in admins
            ]
        )
        if len(admins) == 1:
            self.moneybird_administration_id = str(admins[0]["id"])
        if self.moneybird_administration_id:
            self._load_financial_accounts()

    def _store_tokens(self, tokens):
        # Kept in this transaction; Moneybird access tokens stay valid until revoked.
        self.sudo().write(
            {
                "moneybird_access_token": tokens.access_token,
                "moneybird_refresh_token": tokens.refresh_token,
                "moneybird_token_expires": tokens.expires_at,
                "moneybird_state": "connected",
            }
        )

    def _authorization_lost(self, exc):
        """Moneybird refused us: show it and ask the responsible user to reconnect."""
        self.moneybird_state = "revoked"
        _logger.warning(
            "Moneybird authorization of connection %s lost: %s", self.id, exc
        )
        self._schedule_reconnect(self._reconnect_summaries()[0])

    def _reconnect_summaries(self):
        return (
            self.env._("Moneybird authorization revoked: connect Moneybird again"),
            self.env._("Moneybird authorization expires soon: connect again"),
        )

    def _schedule_reconnect(self, summary):
        user = self.user_id or self.env.user
        existing = self.activity_ids.filtered(lambda a: a.summary == summary)
        if not existing:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                note=self.env._(
                    "Open the connection %s and press Connect next to Moneybird.",
                    self.name,
                ),
                user_id=user.id,
            )

    def _check_authorization(self):
        """Authorization that expires soon without a way to refresh it: warn."""
        now = fields.Datetime.now()
        for connection in self.filtered(lambda c: c.moneybird_state == "connected"):
            expires = connection.moneybird_token_expires
            if (
                expires
                and expires - EXPIRY_WARNING <= now
                and not connection.sudo().moneybird_refresh_token
            ):
                connection.moneybird_state = "expiring"
                connection._schedule_reconnect(connection._reconnect_summaries()[1])

    def _compute_tokens(self):
        # sudo: tokens are system-only secrets; the fields carry the groups
        rows = (
            self.env["ccv.moneybird.token"]
            .sudo()
            .search([("connection_id", "in", self.ids)])
        )
        by_connection = {row.connection_id.id: row for row in rows}
        for connection in self:
            row = by_connection.get(connection.id)
            connection.moneybird_access_token = row.access_token if row else False
            connection.moneybird_refresh_token = row.refresh_token if row else False
            connection.moneybird_token_expires = row.expires_at if row else False

    def _inverse_tokens(self):
        Token = self.env["ccv.moneybird.token"].sudo()  # sudo: system-only secrets
        for connection in self:
            vals = {
                "access_token": connection.sudo().moneybird_access_token,
                "refresh_token": connection.sudo().moneybird_refresh_token,
                "expires_at": connection.moneybird_token_expires,
            }
            row = Token.search([("connection_id", "=", connection.id)])
            if row:
                row.write(vals)
            else:
                Token.create(dict(vals, connection_id=connection.id))

    def _refresh_tokens(self, stale):
        """Refresh the access token with the connection's token row locked.

        Moneybird rotates the refresh token: the new one is committed in a
        transaction of its own, so a rollback of the run cannot lose it, and a second
        worker that waited for the lock uses the tokens the first one stored instead
        of refreshing with a token that is no longer valid
        (tests/test_token_rotation.py).
        """
        self.ensure_one()
        oauth = self._moneybird_oauth()
        with self.env.registry.cursor() as cr:
            if isinstance(cr, Cursor):
                # a worker that waited for the lock must read the tokens the other
                # one committed (repeatable read would fail on the updated row)
                cr.connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
            cr.execute(
                SQL(
                    "SELECT access_token, refresh_token, expires_at "
                    "FROM ccv_moneybird_token WHERE connection_id = %s FOR UPDATE",
                    self.id,
                )
            )
            row = cr.fetchone()
            if row is None:
                # connected in this very transaction: nothing committed to lock yet
                tokens = oauth.refresh(stale.refresh_token)
                self._store_tokens(tokens)
                return tokens
            access, refresh, expires = row
            if refresh and refresh != stale.refresh_token:
                return moneybird.OAuthTokens(access, refresh, expires)
            tokens = oauth.refresh(stale.refresh_token)
            cr.execute(
                SQL(
                    "UPDATE ccv_moneybird_token SET access_token = %s, "
                    "refresh_token = %s, expires_at = %s, write_date = now() "
                    "WHERE connection_id = %s",
                    tokens.access_token,
                    tokens.refresh_token,
                    tokens.expires_at,
                    self.id,
                )
            )
        # committed; this transaction's cache must not keep the old tokens
        self.invalidate_recordset(["moneybird_access_token", "moneybird_refresh_token"])
        return tokens

    def _moneybird_client(self, administration=True):
        self.ensure_one()
        conn = self.sudo()  # sudo: tokens are system-only secrets
        if not conn.moneybird_access_token:
            raise UserError(self.env._("Connect Moneybird first."))
        if administration and not conn.moneybird_administration_id:
            raise UserError(self.env._("Choose the Moneybird administration first."))
        tokens = moneybird.OAuthTokens(
            conn.moneybird_access_token,
            conn.moneybird_refresh_token or "",
            conn.moneybird_token_expires,
        )
        # one budget per Moneybird account, shared by every worker and server
        limiter = DatabaseBudget(
            self.env.registry,
            f"{conn.moneybird_base_url}|{conn.moneybird_administration_id or ''}",
            conn.moneybird_rate_limit,
            conn.moneybird_rate_window or MONEYBIRD_WINDOW_SECONDS,
        )
        return moneybird.MoneybirdClient(
            tokens,
            conn.moneybird_administration_id if administration else None,
            base_url=conn.moneybird_base_url,
            oauth=self._moneybird_oauth() if conn.moneybird_client_id else None,
            on_tokens=self._store_tokens,
            refresher=self._refresh_tokens if conn.moneybird_client_id else None,
            limiter=limiter,
        )

    def _load_financial_accounts(self):
        self.ensure_one()
        try:
            accounts = self._moneybird_client().financial_accounts()
        except AuthorizationRevoked as exc:
            self._authorization_lost(exc)
            raise UserError(
                self.env._(
                    "Moneybird refused the authorization: connect Moneybird again."
                )
            ) from exc
        known = {a.moneybird_id: a for a in self.financial_account_ids}
        for account in accounts:
            moneybird_id = str(account["id"])
            name = account.get("name") or account.get("identifier") or moneybird_id
            if moneybird_id in known:
                known[moneybird_id].name = name
            else:
                self.env["ccv.moneybird.financial.account"].create(
                    {
                        "connection_id": self.id,
                        "name": name,
                        "moneybird_id": moneybird_id,
                    }
                )

    def _method_accounts(self):
        return {
            line.method: (
                line.financial_account_id.moneybird_id,
                line.ledger_account_id or None,
            )
            for line in self.method_map_ids
        }
