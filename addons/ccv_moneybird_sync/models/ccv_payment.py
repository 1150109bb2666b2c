"""The CCV payment as the bookkeeper sees it (Open, Report, Errors) and its buttons."""

import json
import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_amount

from ..clients import sync
from ..clients.errors import ApiError
from .ccv_moneybird_connection import error_text

_logger = logging.getLogger(__name__)

STATES = [("open", "Open"), ("done", "Done"), ("error", "Error")]
CCV_STATUSES = [
    ("pending", "Pending"),
    ("success", "Success"),
    ("failed", "Failed"),
    ("manualintervention", "Manual intervention"),
]


class CcvPayment(models.Model):
    _name = "ccv.payment"
    _description = "CCV payment"
    _inherit = ["mail.thread", "mail.activity.mixin"]  # noqa: RUF012
    _order = "ccv_created desc, id desc"
    _rec_name = "reference"
    _check_company_auto = True

    connection_id = fields.Many2one(
        "ccv.moneybird.connection",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        related="connection_id.company_id", store=True, index=True
    )
    reference = fields.Char(string="CCV reference", required=True, readonly=True)
    merchant_order_reference = fields.Char(string="Order reference", readonly=True)
    description = fields.Char(readonly=True)
    amount = fields.Monetary(readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    # any method CCV reports (GET /api/v1/method), also ones we never heard of
    method = fields.Char(string="Payment method", readonly=True)
    ccv_status = fields.Selection(
        CCV_STATUSES, string="CCV status", readonly=True, tracking=True
    )
    failure_code = fields.Char(string="CCV failure code", readonly=True)
    ccv_created = fields.Datetime(string="Created at CCV", readonly=True)
    payment_date = fields.Date(string="Payment date", readonly=True)
    state = fields.Selection(
        STATES, default="open", required=True, readonly=True, index=True, tracking=True
    )
    error_code = fields.Char(
        string="Reason code", readonly=True, help="Technical reason code"
    )
    error_reason = fields.Text(string="Reason", readonly=True)
    result = fields.Char(readonly=True)
    details = fields.Text(readonly=True, help="What Moneybird and CCV answered")
    details_text = fields.Text(
        string="What Moneybird and CCV answered", compute="_compute_details_text"
    )
    moneybird_invoice_id = fields.Char(string="Moneybird invoice ID", readonly=True)
    moneybird_invoice_number = fields.Char(string="Invoice", readonly=True)
    moneybird_payment_id = fields.Char(string="Moneybird payment ID", readonly=True)
    attempt_count = fields.Integer(string="Attempts", readonly=True)
    last_attempt = fields.Datetime(string="Last attempt", readonly=True)

    @api.depends("details")
    @api.depends_context("lang")
    def _compute_details_text(self):
        """The details as sentences a bookkeeper reads, not as raw JSON."""
        labels = {
            "moneybird": self.env._("Moneybird's answer"),
            "http": self.env._("HTTP status"),
            "open_amount": self.env._("Still open on the invoice"),
            "still_open": self.env._("Still open on the invoice"),
            "invoice_currency": self.env._("Currency of the invoice"),
            "invoice_state": self.env._("State of the invoice in Moneybird"),
            "looked_for": self.env._("Looked for in"),
        }
        amounts = ("open_amount", "still_open")
        for payment in self:
            try:
                details = json.loads(payment.details or "{}")
            except ValueError:
                details = {}
            lines = []
            for key, value in (details if isinstance(details, dict) else {}).items():
                if value in (None, "", [], ()):
                    continue
                if key in amounts:
                    value = format_amount(self.env, float(value), payment.currency_id)
                elif isinstance(value, list | tuple):
                    value = ", ".join(f"'{v}'" for v in value if v)
                lines.append(f"{labels.get(key, key)}: {value}")
            payment.details_text = "\n".join(lines)

    _reference_uniq = models.Constraint(
        "UNIQUE(connection_id, reference)",
        "A CCV payment can exist only once per connection.",
    )

    # -- actions ----------------------------------------------------------
    def action_process(self):
        """Try again after the user fixed the cause (blue Process button)."""
        self.check_access("write")
        # sudo: accountants may retry payments they can write; the connection's secrets
        # are used for the calls but never shown to them
        for connection, payments in self.grouped("connection_id").items():
            connection = connection.sudo()
            payments = payments.filtered(lambda p: p.state != "done")
            if not payments:
                continue
            try:
                connection._refresh_from_ccv(payments)
            except ApiError as exc:
                raise UserError(
                    self.env._("CCV could not be read: %s", error_text(self.env, exc))
                ) from exc
            payments = payments.filtered(lambda p: p.state != "done")
            connection.with_context(ccv_fresh_invoices=True)._process_payments(payments)
        return True

    def action_more_info(self):
        """Yellow More info button: the details of the problem."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("More info"),
            "res_model": "ccv.payment",
            "res_id": self.id,
            "view_mode": "form",
            "views": [
                (
                    self.env.ref("ccv_moneybird_sync.ccv_payment_view_form_info").id,
                    "form",
                )
            ],
            "target": "new",
        }

    def action_report_problem(self):
        """Red Report problem button: all data support needs, without secrets."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Report problem"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_composition_mode": "comment",
                "default_subject": self.env._(
                    "Problem with CCV payment %s", self.reference
                ),
                "default_body": self._problem_report(),
            },
        }

    # -- business ---------------------------------------------------------
    def _problem_report(self):
        self.ensure_one()
        connection = self.connection_id
        rows = [
            (self.env._("Connection"), connection.name),
            (
                self.env._("CCV key type"),
                dict(
                    connection._fields["ccv_mode"]._description_selection(self.env)
                ).get(connection.ccv_mode, ""),
            ),
            (
                self.env._("Moneybird administration"),
                connection.moneybird_administration_id or "",
            ),
            (self.env._("CCV reference"), self.reference),
            (self.env._("Order reference"), self.merchant_order_reference or ""),
            (self.env._("Description"), self.description or ""),
            (
                self.env._("Amount"),
                format_amount(self.env, self.amount, self.currency_id),
            ),
            (self.env._("Payment method"), self.method or ""),
            (self.env._("CCV status"), self.ccv_status or ""),
            (self.env._("Status"), self.state),
            (self.env._("Reason"), self.error_reason or ""),
            (
                self.env._("Moneybird invoice"),
                (
                    f"{self.moneybird_invoice_number or ''} "
                    f"({self.moneybird_invoice_id or ''})"
                ),
            ),
            (self.env._("Attempts"), str(self.attempt_count)),
            (self.env._("Details"), self.details_text or ""),
        ]
        items = Markup("").join(
            Markup("<li><b>%s</b>: %s</li>") % (label, value) for label, value in rows
        )
        return Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._(
                "Please help with this CCV payment; I tried to solve it myself first."
            ),
            items,
        )

    def _payment_data(self):
        self.ensure_one()
        return sync.PaymentData(
            reference=self.reference,
            merchant_order_reference=self.merchant_order_reference or "",
            description=self.description or "",
            amount=self.amount,
            currency=self.currency_id.name,
            method=self.method or "",
            payment_date=self.payment_date or fields.Date.context_today(self),
        )
