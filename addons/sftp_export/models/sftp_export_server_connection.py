"""Test connection: the button asks, the cron connects.

No remote call inside a web request: the button marks the server "testing"
and triggers the cron. The cron connects, writes and removes a test file,
keeps the result (one sentence and the time) on the server, trusts the host key
at the first success and tells the user who asked through the bus
(best-effort: the form shows the stored result either way). A test left
"testing" by a killed worker is picked up by the cron's next run.
"""

import logging

from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from ..services import sftp_client
from ..services.paths import PathError

_logger = logging.getLogger(__name__)

CONNECTION_STATES = [
    ("testing", "Testing…"),
    ("ok", "Connection works"),
    ("failed", "Connection failed"),
]
MANAGER_GROUP = "account.group_account_manager"  # who may test a connection
CRON_XMLID = "sftp_export.ir_cron_test_connections"
CRON_BATCH = 10  # servers per cron step
TIME_NEEDED = 30  # seconds one test may take: stop the cron run with less left


class SftpExportServer(models.Model):
    _inherit = "sftp.export.server"

    connection_state = fields.Selection(
        CONNECTION_STATES, string="Connection test", readonly=True, copy=False
    )
    connection_result = fields.Text(string="Test result", readonly=True, copy=False)
    connection_tested_on = fields.Datetime(
        string="Tested on", readonly=True, copy=False
    )
    connection_requested_by = fields.Many2one(
        "res.users",
        string="Test asked by",
        readonly=True,
        copy=False,
        ondelete="set null",
    )

    def action_test_connection(self):
        """Ask the cron to test the connection; the form shows the result."""
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._(
                    "Only accounting managers and administrators can test the "
                    "connection to an SFTP server."
                )
            )
        self.write(
            {
                "connection_state": "testing",
                "connection_result": self.env._(
                    "Testing the connection… The result appears here in a moment."
                ),
                "connection_requested_by": self.env.uid,
            }
        )
        self.env.ref(CRON_XMLID).sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "Testing the connection to %s in the background: you get a "
                    "message when it is done.",
                    self.host,
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # -- the cron ---------------------------------------------------------------------
    def _cron_test_connections(self):
        """Test the servers waiting for a test, each result committed."""
        Cron = self.env["ir.cron"]
        domain = [("connection_state", "=", "testing")]
        # sudo: the cron serves every company, whatever companies its user has.
        servers = self.sudo().with_context(active_test=False)
        due = servers.search(domain, order="write_date, id", limit=CRON_BATCH)
        Cron._commit_progress(remaining=servers.search_count(domain))
        for server in due:
            # Another worker may hold it: it stays "testing" for that worker.
            server = server.try_lock_for_update(allow_referencing=True)
            if not server or server.connection_state != "testing":
                continue
            requester = server.connection_requested_by
            lang = requester.lang or server.company_id.partner_id.lang or "en_US"
            server.with_context(lang=lang)._test_now()
            # Servers left for later: Odoo runs the cron again while some remain.
            if Cron._commit_progress(1) < TIME_NEEDED:
                break

    def _test_now(self):
        """Connect, write a test file; keep and announce the result."""
        self.ensure_one()
        try:
            found = self._sftp_client().probe()
        except sftp_client.SftpError as error:
            return self._connection_tested("failed", self.env._(error.message))
        except UserError as error:  # no key generated yet
            return self._connection_tested("failed", error.args[0])
        except PathError:
            return self._connection_tested("failed", self._folder_refusal())
        except Exception:
            # A bug must not leave the server "testing" for ever.
            _logger.exception("SFTP server %s: the connection test failed", self.id)
            return self._connection_tested(
                "failed",
                self.env._(
                    "The test stopped because of an error in Odoo: ask your "
                    "administrator to read the server log."
                ),
            )
        if not self.host_key_fingerprint:
            self.host_key_fingerprint = found
        return self._connection_tested(
            "ok",
            self.env._(
                "Odoo can write in the folder; the server's host key %s is trusted.",
                found,
            ),
        )

    def _connection_tested(self, state, sentence):
        requester = self.connection_requested_by
        self.write(
            {
                "connection_state": state,
                "connection_result": sentence,
                "connection_tested_on": fields.Datetime.now(),
            }
        )
        if requester:
            self._notify_tested(requester, state, sentence)

    def _notify_tested(self, user, state, sentence):
        # Best-effort: the message is only queued for this commit; whether the
        # user's browser is open to receive it changes nothing, the form shows
        # the stored result.
        user._bus_send(
            "simple_notification",
            {
                "type": "success" if state == "ok" else "danger",
                "title": self.name,
                "message": sentence,
                "sticky": state != "ok",
            },
        )
