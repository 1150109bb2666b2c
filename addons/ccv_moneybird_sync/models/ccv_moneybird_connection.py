import datetime
import logging
import secrets

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..clients import ccv, moneybird
from ..clients.errors import ApiError, AuthorizationRevoked, CcvAuthError
from ..clients.ratelimit import (
    MONEYBIRD_MAX_REQUESTS,
    MONEYBIRD_WINDOW_SECONDS,
    shared_limiter,
)
from ..clients.sync import AUTHORIZATION_REVOKED, TRANSIENT_REASONS, PaymentSyncer

_logger = logging.getLogger(__name__)

CCV_STATES = [
    ("not_connected", "Not connected"),
    ("connected", "Connected"),
    ("error", "Error"),
]
MONEYBIRD_STATES = [
    ("not_connected", "Not connected"),
    ("connected", "Connected"),
    ("expiring", "Authorization about to expire"),
    ("revoked", "Authorization revoked"),
]
CALLBACK_PATH = "/ccv_moneybird_sync/oauth/callback"
WEBHOOK_PATH = "/ccv_moneybird_sync/webhook"
# Overlap when asking CCV for new payments, so none created at the cursor is missed.
FETCH_OVERLAP = datetime.timedelta(minutes=10)
# First fetch of a new connection goes this far back.
FIRST_FETCH = datetime.timedelta(days=30)
# Warn the responsible user this long before the Moneybird authorization expires.
EXPIRY_WARNING = datetime.timedelta(days=7)
# Bounded batches for the crons.
CRON_CONNECTIONS = 50
# One run sends what fits in one Moneybird window (150 requests, a few for reading
# the open invoices); a bigger backlog makes the cron run again soon.
CRON_PAYMENTS = 140
CCV_BATCH = 50
# Payments read again from CCV per connection per night.
RECHECK_PAYMENTS = 2000


def _error_templates(env):
    """The clients' messages (clients.errors.MESSAGES) in the user's language."""
    return {
        "timeout": env._("No answer from %(host)s within the time limit"),
        "unreachable": env._("Could not reach %(host)s"),
        "ccv_no_key": env._("No CCV API key"),
        "ccv_rate_limited": env._("CCV kept answering 'too many requests'"),
        "ccv_key_refused": env._("CCV does not accept the API key"),
        "ccv_not_found": env._("CCV does not know this transaction"),
        "ccv_http": env._("CCV answered HTTP %(status)s"),
        "ccv_not_json": env._("CCV sent an answer that is not JSON"),
        "ccv_no_reference": env._("CCV sent a transaction without a reference"),
        "ccv_unknown_status": env._(
            "CCV transaction %(reference)s: unknown status %(status)s"
        ),
        "ccv_bad_amount": env._("CCV transaction %(reference)s: no valid amount"),
        "ccv_bad_timestamp": env._("CCV transaction %(reference)s: no valid timestamp"),
        "mb_no_token": env._("Moneybird sent no access token"),
        "mb_authorization_refused": env._(
            "Moneybird refused the authorization (%(answer)s)"
        ),
        "mb_token_http": env._("Moneybird's token endpoint answered HTTP %(status)s"),
        "mb_no_refresh_token": env._(
            "There is no refresh token; connect Moneybird again"
        ),
        "mb_token_expired": env._("The Moneybird access token expired"),
        "mb_no_administration": env._("No Moneybird administration chosen"),
        "mb_rate_limited": env._("Moneybird kept answering 'too many requests'"),
        "mb_revoked": env._("Moneybird no longer accepts the authorization"),
        "mb_scopes": env._(
            "The Moneybird authorization lacks the rights needed (scopes)"
        ),
        "mb_not_found": env._("Moneybird does not know this object"),
        "mb_refused": env._("Moneybird refused the data: %(answer)s"),
        "mb_http": env._("Moneybird answered HTTP %(status)s"),
    }


def kind_text(env, kind, params, default=""):
    """The sentence ``kind`` of the clients, filled in, in the language of ``env``."""
    template = _error_templates(env).get(kind)
    if not template:
        return default
    return template % {key: str(value) for key, value in (params or {}).items()}


def error_text(env, exc):
    """What the user reads of an error of the clients (or of Odoo)."""
    if isinstance(exc, UserError):
        return exc.args[0]
    english = getattr(exc, "message", None) or str(exc)
    return kind_text(
        env, getattr(exc, "kind", None), getattr(exc, "params", {}), english
    )


class CcvMoneybirdConnection(models.Model):
    _name = "ccv.moneybird.connection"
    _description = "CCV – Moneybird connection"
    _inherit = ["mail.thread", "mail.activity.mixin"]  # noqa: RUF012
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        help="Gets an activity when the Moneybird authorization expires or is revoked.",
    )
    # CCV
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
    moneybird_access_token = fields.Char(
        string="Moneybird access token", groups="base.group_system", copy=False
    )
    moneybird_refresh_token = fields.Char(
        string="Moneybird refresh token", groups="base.group_system", copy=False
    )
    moneybird_token_expires = fields.Datetime(
        string="Authorization valid until", readonly=True, copy=False
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
    # Dashboard
    payment_ids = fields.One2many("ccv.payment", "connection_id")
    open_count = fields.Integer(string="Open", compute="_compute_counts")
    done_count = fields.Integer(string="Report", compute="_compute_counts")
    error_count = fields.Integer(string="Errors", compute="_compute_counts")

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

    @api.depends("payment_ids.state")
    def _compute_counts(self):
        groups = self.env["ccv.payment"]._read_group(
            [("connection_id", "in", self.ids)], ["connection_id", "state"], ["__count"]
        )
        counts = {(conn.id, state): count for conn, state, count in groups}
        for connection in self:
            connection.open_count = counts.get((connection.id, "open"), 0)
            connection.done_count = counts.get((connection.id, "done"), 0)
            connection.error_count = counts.get((connection.id, "error"), 0)

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
        return _notify(
            self.env._("Connected to CCV Online Payments"),
            self.env._(
                "Payment methods on the account: %s", ", ".join(filter(None, methods))
            ),
        )

    def action_connect_moneybird(self):
        """Start OAuth2: send the browser to Moneybird's authorize page."""
        self.ensure_one()
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
        self._load_financial_accounts()
        return _notify(
            self.env._("Moneybird accounts read"),
            self.env._("%s financial accounts", len(self.financial_account_ids)),
        )

    def action_fetch_now(self):
        self.ensure_one()
        self._fetch_new_payments()
        self._process_ready_payments()
        return _notify(
            self.env._("Payments fetched"),
            self.env._(
                "Open: %(open)s, report: %(done)s, errors: %(error)s",
                open=self.open_count,
                done=self.done_count,
                error=self.error_count,
            ),
        )

    def _action_payments(self, state, name):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "ccv.payment",
            "view_mode": "list,form",
            "domain": [("connection_id", "=", self.id), ("state", "=", state)],
            "context": {"default_connection_id": self.id},
        }

    def action_open_payments(self):
        return self._action_payments("open", self.env._("Open"))

    def action_report_payments(self):
        return self._action_payments("done", self.env._("Report"))

    def action_error_payments(self):
        return self._action_payments("error", self.env._("Errors"))

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
        """Callback of the OAuth flow: exchange the code, read the administrations."""
        self.ensure_one()
        tokens = self._moneybird_oauth().exchange_code(code)
        self._store_tokens(tokens)
        self.sudo().moneybird_oauth_state = False
        client = self._moneybird_client(administration=False)
        admins = client.administrations()
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
        # the reminders to reconnect are done now
        self.activity_ids.filtered(
            lambda a: a.summary in self._reconnect_summaries()
        ).action_feedback(feedback=self.env._("Moneybird connected again."))
        self.message_post(body=self.env._("Moneybird connected."))

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

    # -- clients ----------------------------------------------------------
    def _ccv_client(self):
        self.ensure_one()
        key = (
            self.sudo().ccv_api_key
        )  # sudo: system-only secret, used only for the call
        if not key:
            raise UserError(self.env._("Fill in the CCV API key first."))
        return ccv.CcvClient(key, self.ccv_base_url)

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
        limiter = shared_limiter(
            (conn.moneybird_base_url, conn.moneybird_administration_id or ""),
            max(conn.moneybird_rate_limit, 1),
            conn.moneybird_rate_window or MONEYBIRD_WINDOW_SECONDS,
        )
        return moneybird.MoneybirdClient(
            tokens,
            conn.moneybird_administration_id if administration else None,
            base_url=conn.moneybird_base_url,
            oauth=self._moneybird_oauth() if conn.moneybird_client_id else None,
            on_tokens=self._store_tokens,
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

    # -- business ---------------------------------------------------------
    def _fetch_new_payments(self):
        """New CCV payments since the last fetch become ccv.payment records."""
        self.ensure_one()
        client = self._ccv_client()
        since = (
            self.ccv_fetched_until or fields.Datetime.now() - FIRST_FETCH
        ) - FETCH_OVERLAP
        newest = self.ccv_fetched_until
        transactions = []
        for transaction in client.iter_transactions(since):
            transactions.append(transaction)
            newest = max(newest or transaction.created, transaction.created)
        payments = self.env["ccv.payment"]._upsert_from_ccv(self, transactions)
        self.write({"ccv_fetched_until": newest, "ccv_state": "connected"})
        return payments

    def _refresh_from_ccv(self, payments):
        """Read the current CCV status of ``payments`` again (in batches)."""
        self.ensure_one()
        client = self._ccv_client()
        references = payments.mapped("reference")
        transactions = []
        for start in range(0, len(references), CCV_BATCH):
            transactions += client.get_transactions(
                references[start : start + CCV_BATCH]
            )
        return self.env["ccv.payment"]._upsert_from_ccv(self, transactions)

    def _ready_domain(self):
        return [
            ("connection_id", "=", self.id),
            ("ccv_status", "=", "success"),
            "|",
            ("state", "=", "open"),
            "&",
            ("state", "=", "error"),
            ("error_code", "in", [*TRANSIENT_REASONS, AUTHORIZATION_REVOKED]),
        ]

    def _process_ready_payments(self, limit=None):
        self.ensure_one()
        payments = self.env["ccv.payment"].search(
            self._ready_domain(), limit=limit or CRON_PAYMENTS, order="id"
        )
        return self._process_payments(payments)

    def _process_payments(self, payments):
        """Register successful payments in Moneybird; one Moneybird client (and so one
        invoice cache and one rate limiter) for the whole run."""
        self.ensure_one()
        # a webhook, the cron and a user may send the same payment at once: the
        # row lock makes one of them do it, the others skip it
        payments = payments.try_lock_for_update(allow_referencing=True).filtered(
            lambda p: p.ccv_status == "success" and p.state != "done"
        )
        if not payments:
            return None
        if self.moneybird_state == "revoked":
            payments._set_error_authorization()
            return None
        client = self._moneybird_client()
        syncer = PaymentSyncer(
            client, self._method_accounts(), fields.Date.context_today(self)
        )
        for position, payment in enumerate(payments):
            try:
                outcome = syncer.process(payment._payment_data())
            except AuthorizationRevoked as exc:
                self._authorization_lost(exc)
                payments[position:]._set_error_authorization()
                break
            with self.env.cr.savepoint():
                payment._apply_outcome(outcome)
        _logger.info(
            "CCV–Moneybird %s: %s payments, %s Moneybird requests, %s answered 429",
            self.id,
            len(payments),
            client.request_count,
            client.rate_limited_count,
        )
        return client

    def _handle_webhook(self, reference):
        """CCV says something changed: read the transaction from CCV, never the body."""
        self.ensure_one()
        try:
            transaction = self._ccv_client().get_transaction(reference)
        except ApiError as exc:
            _logger.info("CCV webhook for unknown/unreadable transaction: %s", exc)
            return False
        if transaction.type not in ccv.PAYMENT_TYPES:
            return False
        payment = self.env["ccv.payment"]._upsert_from_ccv(self, [transaction])
        if self.moneybird_administration_id and self.moneybird_state != "not_connected":
            self._process_payments(payment)
        return True

    def _run_connections(self, work):
        """Each connection in its own step; a broken one does not stop the others."""
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        if in_cron:
            self.env["ir.cron"]._commit_progress(remaining=len(self))
        succeeded = self.browse()
        for connection in self:
            # ir.cron gives no language: chatter posts and payment errors are
            # written in the language of the connection's company
            connection = connection.with_context(
                lang=connection.company_id.partner_id.lang or self.env.user.lang
            )
            try:
                with self.env.cr.savepoint():
                    work(connection)
                succeeded |= connection
            except (ApiError, UserError, ValueError) as exc:
                # ValueError: CCV sent a transaction we cannot read; nothing is kept
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
            if connection.moneybird_administration_id:
                connection._process_ready_payments()

        return connections._run_connections(work)

    @api.model
    def _cron_recheck_payments(self):
        """Nightly: payments fetched earlier but not sent yet are read again."""
        connections = self.search(
            [("ccv_state", "!=", "not_connected")], limit=CRON_CONNECTIONS
        )

        def work(connection):
            waiting = connection.env["ccv.payment"].search(
                [
                    ("connection_id", "=", connection.id),
                    "|",
                    ("state", "=", "open"),
                    ("ccv_status", "=", "manualintervention"),
                ],
                limit=RECHECK_PAYMENTS,
                order="id",
            )
            connection._refresh_from_ccv(waiting)
            if connection.moneybird_administration_id:
                connection._process_ready_payments()

        return connections._run_connections(work)


def _notify(title, message):
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {
            "title": title,
            "message": message,
            "type": "success",
            "sticky": False,
        },
    }
