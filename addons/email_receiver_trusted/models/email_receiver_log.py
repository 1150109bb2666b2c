import logging
from datetime import timedelta

from odoo import api, fields, models

from ..trust import REASONS

_logger = logging.getLogger(__name__)

LOG_STATES = [("accepted", "Accepted"), ("refused", "Refused")]
LOG_REASONS = [*REASONS, ("no_attachment", "No document attached")]
XML_MIMETYPES = ("application/xml", "text/xml")
NOTICE_INTERVAL = timedelta(hours=1)
# custom_values key (routing -> message_new) and cursor cache key (message_new
# -> message_post) of the log values of an accepted mail.
RECEIVER_LOG_KEY = "email_receiver_log"


class EmailReceiverLog(models.Model):
    _name = "email.receiver.log"
    _description = "Email receiver log"
    _order = "received_date desc, id desc"
    _check_company_auto = True
    _rec_name = "subject"

    receiver_id = fields.Many2one(
        "email.receiver", required=True, index=True, ondelete="cascade"
    )
    # Precomputed: the gateway writes one log line per mail in one INSERT.
    company_id = fields.Many2one(
        related="receiver_id.company_id", store=True, index=True, precompute=True
    )
    partner_id = fields.Many2one(
        related="receiver_id.partner_id", store=True, precompute=True
    )
    state = fields.Selection(LOG_STATES, required=True)
    reason = fields.Selection(LOG_REASONS)
    email_from = fields.Char(string="From")
    subject = fields.Char()
    received_date = fields.Datetime(string="Date")
    message_id = fields.Char(string="Message-Id", index=True)
    tls = fields.Boolean(string="TLS")
    move_id = fields.Many2one(
        "account.move", string="Bill", check_company=True, index="btree_not_null"
    )
    notice_sent = fields.Boolean(
        help="A rejection notice went to the receiver's contact address."
    )
    document_names = fields.Char(
        string="Documents", help="The documents processed into the bill."
    )

    @api.model
    def _send_template(self, xmlid, email_values=None):
        template = self.env.ref(f"email_receiver_trusted.{xmlid}")
        # Queued, not sent at once: the mail queue cron delivers it after the
        # gateway's transaction is committed.
        for log in self:
            template.sudo().send_mail(log.id, email_values=email_values)

    def _send_rejection_notice(self):
        """To the receiver's contact address only; never to the sender. At most
        one notice per receiver and reason an hour, so a flood of forged mail
        does not become a flood of notices."""
        self.ensure_one()
        recent = self.search_count(
            [
                ("receiver_id", "=", self.receiver_id.id),
                ("reason", "=", self.reason),
                ("notice_sent", "=", True),
                ("create_date", ">=", fields.Datetime.now() - NOTICE_INTERVAL),
            ],
            limit=1,
        )
        if recent:
            return
        self.notice_sent = True
        self._send_template(
            "mail_template_rejection",
            {"email_to": self.receiver_id.contact_email, "recipient_ids": []},
        )

    @api.model
    def _log_accepted(self, values, bill):
        """The bill exists and holds its documents: write the log line with
        its final values and tell whoever the receiver's options name."""
        log = self.create(dict(values, state="accepted", move_id=bill.id))
        receiver = log.receiver_id
        if not bill.partner_id:
            # The e-invoice named a seller Odoo does not know.
            bill.partner_id = receiver.partner_id
        if receiver.notify_members:
            members = receiver._accounting_members()
            if members:
                log._send_template(
                    "mail_template_member_notification",
                    {"recipient_ids": [(6, 0, members.partner_id.ids)]},
                )
        if receiver.confirm_to_sender:
            log._send_template(
                "mail_template_confirmation",
                {"email_to": log.email_from, "recipient_ids": []},
            )
        if receiver.auto_send_xml and receiver.xml_destination_email:
            xml = log._xml_attachment(bill)
            if xml:
                log._send_template(
                    "mail_template_xml_forward",
                    {
                        "email_to": receiver.xml_destination_email,
                        "recipient_ids": [],
                        "attachment_ids": [(4, xml.id)],
                    },
                )
        return log

    def _xml_attachment(self, bill):
        """The supplier's XML e-invoice, or a UBL made by Odoo from the bill."""
        xml = bill.attachment_ids.filtered(
            lambda a: (
                a.mimetype in XML_MIMETYPES or (a.name or "").lower().endswith(".xml")
            )
        )[:1]
        if xml:
            return xml
        builder = self.env["account.edi.xml.ubl_bis3"]
        try:
            content, _errors = builder._export_invoice(bill)
        except Exception as error:  # noqa: BLE001 - a bill Odoo cannot express in UBL
            _logger.warning("No UBL could be made for bill %s: %s", bill.id, error)
            return self.env["ir.attachment"]
        return self.env["ir.attachment"].create(
            {
                "name": f"bill-{bill.id}-ubl.xml",
                "raw": content,
                "mimetype": "application/xml",
                "res_model": "email.receiver.log",
                "res_id": self.id,
            }
        )
