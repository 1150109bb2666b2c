"""The interface every accounting package client implements, and its errors.

A backend knows nothing of Odoo's ORM: it receives plain values (the dossier code,
a booking proposal as a dict, an idempotency key) and either returns plain values
or raises a :class:`BackendError` whose ``kind`` tells the queue what to do:

* ``transient``: try again later (connection refused, timeout, HTTP 5xx/429);
* ``orange``: the accounting office can fix it (wrong period, unknown journal...);
* ``red``: support must act (unknown or internal errors).
"""

TRANSIENT = "transient"
ORANGE = "orange"
RED = "red"
ERROR_KINDS = (TRANSIENT, ORANGE, RED)

# Every HTTP call of a backend gives up after this many seconds (connect and read).
REQUEST_TIMEOUT = 30

# The English text of each error message (server log, ``str(error)``); the Odoo
# side shows the same sentences translated (models/accounting_task.py
# ``_error_templates``). ``%(answer)s`` is the package's own text, kept as sent.
MESSAGES = {
    "no_dossier_code": "The dossier has no dossier code.",
    "unknown_task": "Unknown task type %(task_type)s.",
    "incomplete_configuration": "The connector needs a URL, a database and an API key.",
    "timeout": "The accounting package did not answer in time: %(reason)s",
    "connection": "The accounting package cannot be reached: %(reason)s",
    "bad_answer": "The accounting package sent no JSON: %(reason)s",
    "unavailable": "The accounting package is unavailable (HTTP %(status)s): "
    "%(answer)s",
    "authentication": "The accounting package refused our API key (HTTP %(status)s).",
    "refused": "The accounting package refused the booking: %(answer)s",
    "unexpected": "The accounting package answered HTTP %(status)s %(name)s: "
    "%(answer)s",
    "unknown_dossier": "The accounting package has no dossier (company registry) "
    "%(code)s.",
    "duplicate_booking": "%(ref)s is already booked in the accounting package "
    "(%(name)s).",
    "already_booked": "%(ref)s was already booked in the accounting package "
    "(%(name)s); it cannot be deleted there any more.",
    "wrong_period": "The period of %(date)s is closed in the accounting package "
    "(locked until %(lock_date)s).",
    "unknown_journal": "The accounting package has no journal %(journal)s.",
    "unknown_account": "The accounting package has no account %(account)s.",
    "wrong_vat_code": "The accounting package has no VAT code %(tax)s.",
}


class BackendError(Exception):
    """A task could not be carried out by the accounting package.

    :param code: a stable, machine-readable reason (``unknown_journal``...); the
        Odoo side turns it into the action the accountant must take
    :param message: a text to show as it is (e.g. the package's own words); when
        empty, ``text`` names the sentence in :data:`MESSAGES` and ``params``
        fill it in, so that Odoo can show it in the user's language
    :param details: values the action text may quote (a journal code...)
    """

    kind = RED

    def __init__(
        self, code, message=None, details=None, retry_after=None, text=None, params=None
    ):
        self.text = text if message is None else None
        self.params = params or {}
        if message is None:
            message = MESSAGES[text] % {k: str(v) for k, v in self.params.items()}
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        # seconds the package asked us to wait (HTTP Retry-After), if any
        self.retry_after = retry_after


class TransientError(BackendError):
    """Worth retrying: the package is unreachable or asked us to slow down."""

    kind = TRANSIENT


class OfficeError(BackendError):
    """Functional refusal the accounting office can fix (orange instruction)."""

    kind = ORANGE


class SupportError(BackendError):
    """Unknown or internal error: support must look at it (red instruction)."""

    kind = RED


class AccountingBackend:
    """Base class of the clients of one accounting package.

    Subclasses implement the five operations below. Each operation must be
    idempotent for a given ``idempotency_key``: the queue may send the same task
    twice when a worker died after the package accepted it.
    """

    #: shown in the connector's form
    label = "Accounting package"

    def connect(self):
        """Check that the package answers and accepts our credentials.

        :return: a short description of what we are connected to
        """
        raise NotImplementedError

    def activate_dossier(self, dossier_code):
        """Check that the package knows this dossier; return ``{"name": ...}``."""
        raise NotImplementedError

    def sync_dossier(self, dossier_code):
        """Refresh what we know of the dossier; return a dict of facts."""
        raise NotImplementedError

    def post_proposal(self, dossier_code, proposal, idempotency_key):
        """Post a booking proposal; return the package's reference of it (str)."""
        raise NotImplementedError

    def delete_proposal(self, dossier_code, proposal, idempotency_key):
        """Remove the proposal posted with ``proposal["post_key"]``.

        Deleting a proposal that is not (or no longer) there succeeds.
        :return: the package's reference of what was deleted, or ``""``
        """
        raise NotImplementedError

    @staticmethod
    def classify(error):
        """Error class of any exception raised while running a task.

        Anything that is not a :class:`BackendError` is a bug or an unexpected
        answer: support must look at it.
        """
        if isinstance(error, BackendError):
            return error.kind
        return RED


def perform(client, request):
    """Carry out one task with a backend client.

    :param request: plain values of the task: ``task_type``, ``dossier_code``,
        ``payload`` (the booking proposal) and ``idempotency_key``
    :return: what the backend returned (a reference or a dict of facts)
    """
    code = request["dossier_code"]
    task_type = request["task_type"]
    if not code:
        raise OfficeError("unknown_dossier", text="no_dossier_code")
    if task_type == "activate_dossier":
        return client.activate_dossier(code)
    if task_type == "sync_dossier":
        return client.sync_dossier(code)
    if task_type == "post_proposal":
        return client.post_proposal(
            code, request["payload"], request["idempotency_key"]
        )
    if task_type == "delete_proposal":
        return client.delete_proposal(
            code, request["payload"], request["idempotency_key"]
        )
    raise SupportError(
        "unknown_task", text="unknown_task", params={"task_type": task_type}
    )
