"""CCV → payment: new transactions become payments, later statuses are followed."""

import datetime
import zoneinfo

from odoo import api, models

MANUAL_INTERVENTION = "manualintervention"
CCV_FAILED = "ccv_failed"
DEFAULT_TZ = "Europe/Amsterdam"


def local_date(connection, moment):
    """The date of a UTC moment where the company is (Europe/Amsterdam by default):
    a payment at 00:30 in Amsterdam is booked on that day, not on yesterday (UTC)."""
    tz_name = connection.company_id.partner_id.tz or DEFAULT_TZ
    try:
        zone = zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(DEFAULT_TZ)
    return moment.replace(tzinfo=datetime.UTC).astimezone(zone).date()


class CcvPayment(models.Model):
    _inherit = "ccv.payment"

    @api.model
    def _upsert_from_ccv(self, connection, transactions):
        """CCV transactions → payments of ``connection`` (created, later updated)."""
        if not transactions:
            return self.browse()
        by_reference = {t.reference: t for t in transactions}
        existing = self.search(
            [
                ("connection_id", "=", connection.id),
                ("reference", "in", list(by_reference)),
            ]
        )
        known = {p.reference: p for p in existing}
        currencies = {}
        to_create = []
        for reference, transaction in by_reference.items():
            payment = known.get(reference)
            if payment:
                payment._update_status(transaction)
                continue
            if transaction.currency not in currencies:
                currencies[transaction.currency] = (
                    self.env["res.currency"]
                    .with_context(active_test=False)
                    .search([("name", "=", transaction.currency)], limit=1)
                )
            to_create.append(
                {
                    "connection_id": connection.id,
                    "reference": reference,
                    "merchant_order_reference": transaction.merchant_order_reference,
                    "description": transaction.description,
                    "amount": float(transaction.amount),
                    "currency_id": (
                        currencies[transaction.currency]
                        or connection.company_id.currency_id
                    ).id,
                    "method": transaction.method or False,
                    "ccv_created": transaction.created,
                    "payment_date": local_date(connection, transaction.paid_on),
                }
            )
        created = self.create(to_create)
        for payment in created:
            payment._update_status(by_reference[payment.reference])
        return existing | created

    def _update_status(self, transaction):
        """Follow the CCV status; never touches a payment that is done."""
        self.ensure_one()
        if self.state == "done":
            return
        vals = {
            "ccv_status": transaction.status,
            "failure_code": transaction.failure_code,
            "payment_date": local_date(self.connection_id, transaction.paid_on),
        }
        if transaction.status == "failed":
            vals.update(
                state="done",
                error_code=CCV_FAILED,
                error_reason=False,
                result=self.env._(
                    "Not sent: the payment failed at CCV (%s).",
                    transaction.failure_code or self.env._("no code"),
                ),
            )
        elif transaction.status == MANUAL_INTERVENTION:
            vals.update(
                state="error",
                error_code=MANUAL_INTERVENTION,
                error_reason=self.env._(
                    "CCV put this payment on manual intervention. Contact CCV's "
                    "helpdesk with reference %s.",
                    self.reference,
                ),
            )
        elif self.error_code == MANUAL_INTERVENTION:
            vals.update(state="open", error_code=False, error_reason=False)
        # payments are read again every run: write only what CCV changed
        changed = {
            name: value
            for name, value in vals.items()
            if self._fields[name].convert_to_cache(value, self) != self[name]
            and not (not value and not self[name])
        }
        if changed:
            self.write(changed)
