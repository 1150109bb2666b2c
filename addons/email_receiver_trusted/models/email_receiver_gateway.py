import logging

from markupsafe import Markup

from odoo import api, fields, models

from ..trust import (
    REASON_DUPLICATE,
    REASON_UNTRUSTED,
    Policy,
    decide,
    parse_authentication_results,
    received_over_tls,
)
from .email_receiver_log import LOG_REASONS, RECEIVER_LOG_KEY

_logger = logging.getLogger(__name__)

# Authentication-Results of these servers (comma-separated) are trusted.
AUTHSERV_PARAM = "email_receiver_trusted.authserv_ids"


class EmailReceiver(models.Model):
    """The receiver at the mail gateway: the trust rules applied to one mail at
    routing time, the duplicate check, and the log line of a refused mail."""

    _inherit = "email.receiver"

    def _trust_policy(self):
        self.ensure_one()
        verified = frozenset()
        if self.whitelist_type == "verified_users":
            users = (
                self.env["res.users"]
                .sudo()
                .search(
                    [
                        ("share", "=", False),
                        ("company_ids", "in", self.company_id.ids),
                        ("email", "!=", False),
                    ]
                )
            )
            verified = frozenset(filter(None, users.mapped("email_normalized")))
        return Policy(
            active=self.state == "active",
            whitelist_type=self.whitelist_type,
            whitelist_value=self.whitelist_value or "",
            verified_addresses=verified,
            tls_only=self.tls_only,
        )

    @api.model
    def _authserv_ids(self):
        param = self.env["ir.config_parameter"].sudo().get_param(AUTHSERV_PARAM, "")
        return [part.strip() for part in param.split(",") if part.strip()]

    def _decide(self, message):
        """Apply the trust rules to one incoming mail (``email.message``)."""
        self.ensure_one()
        # Raw values: the parsed ones are "repaired" by Python and Odoo (a
        # trailing dot dropped, an invalid address turned into something else).
        headers = [(name, str(value)) for name, value in message.raw_items()]
        from_header = ", ".join(
            value for name, value in headers if name.lower() == "from"
        )
        tls = received_over_tls(headers)
        auth_results = parse_authentication_results(headers, self._authserv_ids())
        return decide(self._trust_policy(), from_header, tls, auth_results)

    def _route_incoming(self, message, message_dict, route):
        """Decide on a mail sent to this receiver at routing time. Returns the
        route to follow (a bill is created) or None (refused: logged, nothing
        created, nothing sent to the sender)."""
        self.ensure_one()
        message_id = message_dict.get("message_id") or ""
        # The gateway may check the same route twice (a reply to a known
        # thread, then the alias): decide and log once per transaction.
        routed = self._gateway_state()["routed"]
        if (self.id, message_id) in routed:
            return None
        routed.add((self.id, message_id))
        decision = self._decide(message)
        values = {
            "receiver_id": self.id,
            "email_from": message_dict.get("email_from") or "",
            "subject": message_dict.get("subject") or "",
            "received_date": message_dict.get("date") or fields.Datetime.now(),
            "message_id": message_id,
            "tls": decision.tls,
        }
        if decision.accepted:
            # The gateway's user need not see the company's bills or locks.
            documents = self.env["email.receiver.document"].sudo()
            checksums = documents._checksums(message_dict)
            duplicate = documents._find_bill(self.company_id, checksums)
            if duplicate:
                self._log_refused(values, REASON_DUPLICATE, move_id=duplicate.id)
                return None
            if not message_dict.get("attachments"):
                self._log_refused(values, "no_attachment")._send_rejection_notice()
                return None
            # The same documents mailed at the same moment make one bill: the
            # other mail waits here and is retried as a duplicate.
            documents._claim(self.company_id, checksums)
            self._switch_tls_on(decision)
            values["document_names"] = ", ".join(
                a.fname for a in message_dict["attachments"] if a.fname
            )
            # Logged by the bill once it holds the documents (account.move).
            custom_values = dict(route[2] or {}, **{RECEIVER_LOG_KEY: values})
            return (route[0], route[1], custom_values, route[3], route[4])
        log = self._log_refused(values, decision.reason)
        # Never write to an unknown sender, nor about one: no backscatter.
        if decision.known_sender and decision.reason != REASON_UNTRUSTED:
            log._send_rejection_notice()
        return None

    def _log_refused(self, values, reason, **extra):
        """The receiver's log line of a refused mail, and the server log's."""
        self.ensure_one()
        log = (
            self.env["email.receiver.log"]
            .sudo()
            .create(dict(values, state="refused", reason=reason, **extra))
        )
        _logger.info(
            "Email receiver %s (%s) refused the mail from %s, subject %r, "
            "Message-Id %s: %s",
            self.id,
            self.alias_email,
            log.email_from,
            log.subject,
            log.message_id,
            dict(LOG_REASONS).get(reason, reason),
        )
        return log

    @api.model
    def _gateway_state(self):
        """What the gateway's steps for one mail hand each other (routing ->
        message_new -> message_post), kept until the transaction ends: a
        rolled back mail is decided again when it comes back."""
        cr = self.env.cr
        state = cr.cache.get(RECEIVER_LOG_KEY)
        if state is None:
            state = cr.cache[RECEIVER_LOG_KEY] = {"routed": set(), "pending": {}}

            def reset():
                cr.cache.pop(RECEIVER_LOG_KEY, None)

            cr.postcommit.add(reset)
            cr.postrollback.add(reset)
        return state

    def _switch_tls_on(self, decision):
        """The first accepted mail came over TLS: from now on require it."""
        if self.tls_only or not decision.tls:
            return
        if (
            self.env["email.receiver.log"]
            .sudo()
            .search_count(
                [("receiver_id", "=", self.id), ("state", "=", "accepted")], limit=1
            )
        ):
            return
        self.sudo().tls_only = True
        self.sudo().message_post(
            body=Markup("<p>%s</p>")
            % self.env._(
                "The first mail of %s arrived over TLS: from now on mail without "
                "TLS is refused.",
                decision.sender,
            ),
            subtype_xmlid="mail.mt_note",
        )
