"""The interface every accounting package client implements, and its errors.

A backend knows nothing of Odoo's ORM: it receives plain values (the dossier code,
a booking proposal as a dict, an idempotency key) and either returns plain values
or raises a :class:`BackendError` whose ``kind`` tells the queue what to do:

* ``transient``: try again later (connection refused, timeout, HTTP 5xx/429);
* ``orange``: the accounting office can fix it (wrong period, unknown journal...);
* ``red``: support must act (unknown or internal errors).
"""

import datetime
import html
import re

from odoo.tools.misc import format_date
from odoo.tools.translate import LazyGettext, LazyTranslate

_lt = LazyTranslate(__name__)

TRANSIENT = "transient"
ORANGE = "orange"
RED = "red"
ERROR_KINDS = (TRANSIENT, ORANGE, RED)

# Every HTTP call of a backend gives up after this many seconds (connect and read).
REQUEST_TIMEOUT = 30
# what the package said is shown at most this long
SUMMARY_LENGTH = 160


def summarize(text, limit=SUMMARY_LENGTH):
    """A package's answer or a technical reason as one short line of text.

    An HTML page (a web server's 404 page) is reduced to its title or its text;
    never shown as raw HTML.
    """
    text = str(text or "")
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title:
        text = title.group(1)
    elif re.search(r"<[a-zA-Z!/][^>]*>", text):
        text = re.sub(
            r"<(script|style)\b.*?</\1\s*>", " ", text, flags=re.IGNORECASE | re.DOTALL
        )
        text = re.sub(r"<[^>]*>", " ", text)
    text = " ".join(html.unescape(text).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


class BackendError(Exception):
    """A task could not be carried out by the accounting package.

    :param code: a stable, machine-readable reason (``unknown_journal``...); the
        Odoo side turns it into the action the accountant must take
    :param message: the sentence for the user: a lazy translation (``_lt``)
        with its values, shown in the reader's language, or a plain text
    :param details: values the action text may quote (a journal code...)
    """

    kind = RED

    def __init__(self, code, message, details=None, retry_after=None):
        # the server log reads English, whoever ran the task
        super().__init__(
            message._translate("en_US")
            if isinstance(message, LazyGettext)
            else str(message)
        )
        self.code = code
        self.message = message
        self.details = details or {}
        # seconds the package asked us to wait (HTTP Retry-After), if any
        self.retry_after = retry_after

    def text(self, env):
        """The message in the language of ``env`` (dates in the reader's format)."""
        message = self.message
        if not isinstance(message, LazyGettext):
            return str(message)
        values = message._args  # the values of the lazy text, kept as given
        if isinstance(values, dict) and any(
            isinstance(value, datetime.date) for value in values.values()
        ):
            values = {
                key: format_date(env, value)
                if isinstance(value, datetime.date)
                else value
                for key, value in values.items()
            }
            return env._(message._source, **values)
        return env._(message)


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
        raise OfficeError("unknown_dossier", _lt("The dossier has no dossier code."))
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
        "unknown_task", _lt("Unknown task type %(task_type)s.", task_type=task_type)
    )
