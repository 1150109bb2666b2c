from odoo import api, models

from .email_receiver_log import RECEIVER_LOG_KEY, XML_MIMETYPES


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.model
    def _routing_check_route(self, message, message_dict, route, raise_exception=True):
        # The trust check runs before Odoo's own (which would mail the sender
        # of a mail without attachment): a refused mail leaves no route, so no
        # bill and no reply to the sender.
        receiver = self.env["email.receiver"]._from_alias(route[4])
        if receiver:
            route = receiver._route_incoming(message, message_dict, route)
            if not route:
                return ()
        return super()._routing_check_route(
            message, message_dict, route, raise_exception=raise_exception
        )

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        custom_values = dict(custom_values or {})
        log_values = custom_values.pop(RECEIVER_LOG_KEY, None)
        if not log_values:
            return super().message_new(msg_dict, custom_values=custom_values)
        receiver = self.env["email.receiver"].sudo().browse(log_values["receiver_id"])
        # The context travels with the new bill into message_post, where its
        # attachments are imported (_message_post_after_hook). It names the
        # receiver only, never the mail: a context per mail would make a new
        # environment per mail.
        move = super(
            AccountMove, self.with_context(email_receiver_id=receiver.id)
        ).message_new(msg_dict, custom_values=custom_values)
        # A colleague (verified user) forwards invoices of any supplier: keep
        # the supplier Odoo found in the forwarded mail, if any.
        keep_found = receiver.whitelist_type == "verified_users" and move.partner_id
        if not keep_found and move.partner_id != receiver.partner_id:
            move.partner_id = receiver.partner_id
        # The log line is written once, with the bill and its documents, when
        # the gateway posts the mail on the bill.
        receiver._gateway_state()["pending"][move.id] = log_values
        return move

    def _message_post_after_hook(self, new_message, message_values):
        res = super()._message_post_after_hook(new_message, message_values)
        if self.env.context.get("email_receiver_id") and len(self) == 1:
            pending = self.env["email.receiver"]._gateway_state()["pending"]
            log_values = pending.pop(self.id, None)
            if log_values:
                self.env["email.receiver.log"].sudo()._log_accepted(log_values, self)
        return res

    def _should_attach_to_record(self, attachment):
        # The receiver keeps every document the supplier sent on the bill,
        # the XML e-invoice and scanned images included (Odoo leaves those
        # on the message only).
        if self.env.context.get("email_receiver_id") and attachment:
            name = (attachment.name or "").lower()
            if (
                name.endswith(".xml")
                or attachment.mimetype in XML_MIMETYPES
                or (attachment.mimetype or "").startswith("image/")
            ):
                return not attachment.res_field
        return super()._should_attach_to_record(attachment)

    def _group_files_data_into_groups_of_mixed_types(self, files_data):
        # One mail to a receiver is one bill holding all its documents.
        if self.env.context.get("email_receiver_id"):
            return [files_data] if files_data else []
        return super()._group_files_data_into_groups_of_mixed_types(files_data)
