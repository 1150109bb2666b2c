from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    email_receiver_ids = fields.One2many(
        "email.receiver", "partner_id", string="Email receivers"
    )
    email_receiver_count = fields.Integer(
        compute="_compute_email_receiver_count",
        groups="account.group_account_invoice",
    )

    def _compute_email_receiver_count(self):
        groups = self.env["email.receiver"]._read_group(
            [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
        )
        counts = {partner.id: count for partner, count in groups}
        for partner in self:
            partner.email_receiver_count = counts.get(partner.id, 0)

    def action_open_email_receivers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "email_receiver_trusted.email_receiver_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {
            "default_partner_id": self.id,
            "default_contact_email": self.email,
        }
        return action
