from odoo import api, models

from .email_receiver_log import XML_MIMETYPES


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
        log_id = custom_values.pop("email_receiver_log_id", False)
        if not log_id:
            return super().message_new(msg_dict, custom_values=custom_values)
        log = self.env["email.receiver.log"].sudo().browse(log_id)
        # The context travels with the new bill into message_post, where its
        # attachments are imported (_message_post_after_hook).
        move = super(
            AccountMove, self.with_context(email_receiver_log_id=log_id)
        ).message_new(msg_dict, custom_values=custom_values)
        receiver = log.receiver_id
        # A colleague (verified user) forwards invoices of any supplier: keep
        # the supplier Odoo found in the forwarded mail, if any.
        keep_found = receiver.whitelist_type == "verified_users" and move.partner_id
        if not keep_found and move.partner_id != receiver.partner_id:
            move.partner_id = receiver.partner_id
        return move

    def _message_post_after_hook(self, new_message, message_values):
        res = super()._message_post_after_hook(new_message, message_values)
        log_id = self.env.context.get("email_receiver_log_id")
        if log_id and new_message.message_type == "email":
            log = self.env["email.receiver.log"].sudo().browse(log_id)
            if not log.move_id:
                log._after_bill_created(self, new_message)
        return res

    def _should_attach_to_record(self, attachment):
        # The receiver keeps every document the supplier sent on the bill,
        # the XML e-invoice included (Odoo hides XML by default).
        if self.env.context.get("email_receiver_log_id") and attachment:
            name = (attachment.name or "").lower()
            if name.endswith(".xml") or attachment.mimetype in XML_MIMETYPES:
                return not attachment.res_field
        return super()._should_attach_to_record(attachment)

    def _group_files_data_into_groups_of_mixed_types(self, files_data):
        # One mail to a receiver is one bill holding all its documents.
        if self.env.context.get("email_receiver_log_id"):
            return [files_data] if files_data else []
        return super()._group_files_data_into_groups_of_mixed_types(files_data)
