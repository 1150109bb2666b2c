"""Decide what happens to one successful CCV payment in Moneybird (no ORM).

The model orchestrates (which payments, storing results); this decides and talks to
Moneybird through :class:`MoneybirdClient`.
"""

import datetime
import logging
import threading
import time
from dataclasses import dataclass, field

from .errors import ApiError, AuthorizationRevoked, RateLimitExhausted, Unprocessable
from .matcher import OpenInvoiceIndex, candidate_numbers, has_payment, money
from .moneybird import OPEN_STATES

_logger = logging.getLogger(__name__)

DONE = "done"
ERROR = "error"

# Reason codes; the model turns them into sentences a bookkeeper understands.
NO_OPEN_INVOICE = "no_open_invoice"
INVOICE_ALREADY_PAID = "invoice_already_paid"
AMOUNT_MISMATCH = "amount_mismatch"
CURRENCY_MISMATCH = "currency_mismatch"
NO_FINANCIAL_ACCOUNT = "no_financial_account"
MONEYBIRD_REFUSED = "moneybird_refused"
AUTHORIZATION_REVOKED = "authorization_revoked"
TEMPORARY = "temporary"
REGISTERED = "registered"
PARTIALLY_REGISTERED = "partially_registered"
ALREADY_REGISTERED = "already_registered"

# Errors that go away by themselves: tried again by the nightly recheck.
TRANSIENT_REASONS = (TEMPORARY,)
# Errors the nightly recheck looks at again: the invoice may have appeared since.
RECHECKED_REASONS = (TEMPORARY, NO_OPEN_INVOICE)
# Refusals that depend on the invoice: checked again when the invoice was read earlier.
INVOICE_REASONS = (AMOUNT_MISMATCH, CURRENCY_MISMATCH)
# Lookups by number when a payment matches no open invoice (each costs one request).
MAX_NUMBER_LOOKUPS = 2
# How far back open invoices are read (Moneybird's default period is this year only).
PERIOD_YEARS = 3
# The open invoices one run read are used again by the next runs of the same worker
# for this long (seconds): a cron that loops, or comes back when a used-up rate window
# is over, does not read them all again. What the snapshot misses is looked up by
# number, and a refusal decided on a reused snapshot is checked against Moneybird.
SNAPSHOT_MAX_AGE = 600.0

# {key: (read at, OpenInvoiceIndex)} per thread: one Odoo worker, one snapshot
_snapshots = threading.local()


def _snapshot_store():
    store = getattr(_snapshots, "store", None)
    if store is None:
        store = _snapshots.store = {}
    return store


def forget_snapshots():
    """Drop this worker's snapshots (the next run reads the open invoices again)."""
    _snapshot_store().clear()


@dataclass(frozen=True)
class PaymentData:
    reference: str
    merchant_order_reference: str
    description: str
    amount: object
    currency: str
    method: str
    payment_date: datetime.date
    # an earlier attempt may have sent it without recording the outcome
    verify_first: bool = False


@dataclass
class Outcome:
    state: str
    reason: str
    invoice_id: str = ""
    invoice_number: str = ""
    payment_id: str = ""
    details: dict = field(default_factory=dict)
    # what Moneybird said: a message of the clients (_lt) or Moneybird's own words
    error: object = ""


def default_period(today):
    start = datetime.date(today.year - PERIOD_YEARS + 1, 1, 1)
    end = datetime.date(today.year, 12, 31)
    return f"{start:%Y%m%d}..{end:%Y%m%d}"


class PaymentSyncer:
    """One run: open invoices are read once (paged) and cached for all payments.

    With a ``snapshot_key`` (one per Moneybird administration) the invoices read are
    kept for the next runs of this worker, up to :data:`SNAPSHOT_MAX_AGE` seconds.
    """

    def __init__(
        self,
        client,
        method_accounts,
        today=None,
        snapshot_key=None,
        clock=time.monotonic,
        fresh=False,
    ):
        self.client = client
        # {ccv method: (financial_account_id, ledger_account_id or None)}
        self.method_accounts = method_accounts
        self.period = default_period(today or datetime.date.today())
        self._snapshot_key = snapshot_key and f"{snapshot_key}|{self.period}"
        self._clock = clock
        # a person pressed a button: read what Moneybird has now (and keep it)
        self._fresh = fresh
        self._index = None
        self._index_error = None
        # the index was read by an earlier run: what it says may be out of date
        self.reused = False

    @property
    def index(self):
        # read once per run; a failed read is not repeated for every payment
        if self._index_error is not None:
            raise self._index_error
        if self._index is None:
            store = _snapshot_store() if self._snapshot_key else {}
            read_at, index = store.get(self._snapshot_key, (None, None))
            if (
                index is not None
                and not self._fresh
                and self._clock() - read_at < SNAPSHOT_MAX_AGE
            ):
                self._index, self.reused = index, True
                return index
            read_at = self._clock()
            try:
                self._index = OpenInvoiceIndex(
                    self.client.iter_open_invoices(self.period)
                )
            except ApiError as exc:
                if not isinstance(exc, (AuthorizationRevoked, RateLimitExhausted)):
                    self._index_error = exc
                raise
            if self._snapshot_key:
                for key, (when, _index) in list(store.items()):
                    if read_at - when >= SNAPSHOT_MAX_AGE:
                        del store[key]  # nobody will use it any more
                store[self._snapshot_key] = (read_at, self._index)
        return self._index

    def process(self, payment):
        """Register one successful payment; returns an :class:`Outcome`.

        :class:`AuthorizationRevoked` propagates: every later payment would fail too;
        so does :class:`RateLimitExhausted`: the run stops and the cron comes back.
        """
        try:
            return self._process(payment)
        except (AuthorizationRevoked, RateLimitExhausted):
            raise
        except Unprocessable as exc:
            # Moneybird's own words, shown as it sent them
            answer = exc.answer or str(exc)
            return Outcome(
                ERROR, MONEYBIRD_REFUSED, details={"moneybird": answer}, error=answer
            )
        except ApiError as exc:
            reason = TEMPORARY if exc.transient else MONEYBIRD_REFUSED
            details = {"moneybird": str(exc), "http": exc.status}
            # exc.message is shown in the user's language by the Odoo side
            return Outcome(ERROR, reason, details=details, error=exc.message)

    def _process(self, payment):
        texts = (payment.merchant_order_reference, payment.description)
        invoice = self.index.find(*texts)  # reads or reuses the open invoices
        if payment.verify_first and self.reused:
            # the invoices kept from an earlier run cannot show what a killed
            # worker sent: ask Moneybird how the invoice is now
            return self._not_open(payment, texts)
        if invoice is None:
            return self._not_open(payment, texts)
        outcome = self._register(payment, invoice)
        if outcome.reason in INVOICE_REASONS and self.reused:
            # decided on an invoice read by an earlier run: ask Moneybird how it is now
            fresh = self.client.find_invoice_by_number(invoice.get("invoice_id") or "")
            if fresh is not None:
                return self._decide_fresh(payment, fresh, outcome.invoice_number)
        return outcome

    def _register(self, payment, invoice):
        """Register ``payment`` on the open ``invoice``, or say why not."""
        number = invoice.get("invoice_id") or ""
        found = {"invoice_id": str(invoice.get("id")), "invoice_number": number}
        already = _already_registered(payment, invoice, found)
        if already:
            return already
        currency = (invoice.get("currency") or payment.currency).upper()
        if currency != payment.currency.upper():
            return Outcome(
                ERROR,
                CURRENCY_MISMATCH,
                details={"invoice_currency": currency},
                **found,
            )
        unpaid = money(invoice.get("total_unpaid"))
        amount = money(payment.amount)
        if amount > unpaid or amount <= 0:
            # a partial payment is booked; more than is open goes to a person
            return Outcome(
                ERROR, AMOUNT_MISMATCH, details={"open_amount": str(unpaid)}, **found
            )
        accounts = self.method_accounts.get(payment.method)
        if not accounts or not accounts[0]:
            return Outcome(ERROR, NO_FINANCIAL_ACCOUNT, **found)
        created = self.client.register_payment(
            invoice["id"],
            payment.payment_date,
            money(payment.amount),
            payment.reference,
            accounts[0],
            accounts[1],
        )
        self.index.record_payment(
            invoice,
            dict(
                created,
                transaction_identifier=payment.reference,
                price=str(payment.amount),
            ),
        )
        rest = unpaid - amount
        return Outcome(
            DONE,
            REGISTERED if rest <= 0 else PARTIALLY_REGISTERED,
            payment_id=str(created.get("id") or ""),
            details={"still_open": str(rest)} if rest > 0 else {},
            **found,
        )

    def _decide_fresh(self, payment, invoice, number):
        """The invoice as Moneybird has it now (looked up by number)."""
        if invoice.get("state") in OPEN_STATES:
            # open, yet not in the snapshot (made since, or skipped while reading
            # the pages as another worker paid invoices), or changed since
            self.index.add(invoice)
            return self._register(payment, invoice)
        self.index.forget(invoice)
        found = {
            "invoice_id": str(invoice.get("id")),
            "invoice_number": invoice.get("invoice_id") or number,
        }
        already = _already_registered(payment, invoice, found)
        if already:
            return already
        return Outcome(
            ERROR,
            INVOICE_ALREADY_PAID if invoice.get("state") == "paid" else NO_OPEN_INVOICE,
            details={"invoice_state": invoice.get("state")},
            **found,
        )

    def _not_open(self, payment, texts):
        """No open invoice known: maybe it is new, or paid already (possibly by this
        very payment); Moneybird is asked by number."""
        for number in candidate_numbers(*texts)[:MAX_NUMBER_LOOKUPS]:
            invoice = self.client.find_invoice_by_number(number)
            if invoice:
                return self._decide_fresh(payment, invoice, number)
        return Outcome(ERROR, NO_OPEN_INVOICE, details={"looked_for": texts})


def _already_registered(payment, invoice, found):
    """The Outcome when ``payment`` is on ``invoice`` in Moneybird already, or None."""
    existing = has_payment(invoice, payment.reference)
    if not existing:
        return None
    _logger.info(
        "CCV payment %s is already on Moneybird invoice %s; not sent again",
        payment.reference,
        found["invoice_number"],
    )
    return Outcome(
        DONE, ALREADY_REGISTERED, payment_id=str(existing.get("id")), **found
    )
