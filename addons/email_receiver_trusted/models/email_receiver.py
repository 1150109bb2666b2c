import secrets

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.mail import email_normalize

# The product document's status names ("Gemaakt concept", "Actief").
STATES = [("draft", "Created draft"), ("active", "Active"), ("inactive", "Inactive")]
WHITELIST_TYPES = [
    ("domain", "Domain"),
    ("email", "Email address"),
    ("verified_users", "Verified users"),
]
MANAGER_GROUP = "account.group_account_manager"
BOOKKEEPER_GROUP = "account.group_account_invoice"


class EmailReceiver(models.Model):
    _name = "email.receiver"
    _description = "Email receiver"
    _inherit = ["mail.thread", "mail.alias.mixin.optional"]  # noqa: RUF012
    _check_company_auto = True
    _order = "state, id desc"

    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)],
        tracking=True,
    )
    move_type = fields.Selection(
        [("in_invoice", "Vendor bills")],
        string="Invoice type",
        required=True,
        default="in_invoice",
        help="Credit notes follow from the document itself.",
    )
    journal_id = fields.Many2one(
        "account.journal",
        string="Purchase journal",
        required=True,
        check_company=True,
        domain="[('type', '=', 'purchase')]",
        compute="_compute_journal_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    state = fields.Selection(
        STATES, required=True, default="draft", readonly=True, tracking=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Supplier",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
    )
    contact_email = fields.Char(
        string="Contact email address",
        required=True,
        tracking=True,
        help="Receives the invitation and any rejection notices. Need not be the "
        "sending address.",
    )
    whitelist_type = fields.Selection(
        WHITELIST_TYPES,
        string="Trusted sender type",
        required=True,
        default="domain",
        tracking=True,
        help="Who may send: everyone of a domain, one email address, or the "
        "verified users (the company's own users).",
    )
    whitelist_value = fields.Char(
        string="Trusted domain or address",
        tracking=True,
        help="A domain without '@' (example.nl) or one email address.",
    )
    notify_members = fields.Boolean(
        string="Notify of receipt by email",
        help="Mail the company's accounting users when this supplier sent an invoice.",
    )
    tls_only = fields.Boolean(
        string="Accept only secure mail sent over SSL or TLS",
        tracking=True,
        help="Switches on by itself when the first accepted mail arrives over TLS; "
        "from then on mail without TLS is refused.",
    )
    auto_send_xml = fields.Boolean(
        string="Send the XML invoice automatically",
        help="Mail the UBL/XML e-invoice of each accepted bill to the destination "
        "address, e.g. the inbox of your bookkeeping package.",
    )
    xml_destination_email = fields.Char(string="XML destination address")
    confirm_to_sender = fields.Boolean(
        string="Confirmation to the sender",
        default=True,
        help="Reply to the sender with the documents that were processed.",
    )
    log_ids = fields.One2many("email.receiver.log", "receiver_id", string="Log")
    log_count = fields.Integer(compute="_compute_counts")
    bill_count = fields.Integer(compute="_compute_counts")

    _whitelist_value_required = models.Constraint(
        "CHECK(whitelist_type = 'verified_users' OR whitelist_value IS NOT NULL)",
        "Give the trusted domain or address.",
    )

    @api.constrains("whitelist_type", "whitelist_value")
    def _check_whitelist_value(self):
        for receiver in self:
            value = (receiver.whitelist_value or "").strip()
            if receiver.whitelist_type == "domain":
                if "@" in value or "." not in value or " " in value:
                    raise ValidationError(
                        self.env._(
                            "Type the trusted domain without '@', for example "
                            "supplier.nl (not %s).",
                            value,
                        )
                    )
            elif receiver.whitelist_type == "email" and not email_normalize(value):
                raise ValidationError(
                    self.env._("%s is not a valid email address.", value)
                )

    @api.constrains("contact_email", "auto_send_xml", "xml_destination_email")
    def _check_addresses(self):
        for receiver in self:
            if not email_normalize(receiver.contact_email or ""):
                raise ValidationError(
                    self.env._(
                        "The contact address %s is not a valid email address.",
                        receiver.contact_email,
                    )
                )
            if receiver.auto_send_xml and not email_normalize(
                receiver.xml_destination_email or ""
            ):
                raise ValidationError(
                    self.env._(
                        "Give a valid destination address to send XML invoices to."
                    )
                )

    @api.depends("company_id")
    def _compute_journal_id(self):
        for receiver in self:
            if receiver.journal_id.company_id == receiver.company_id:
                continue
            receiver.journal_id = self.env["account.journal"].search(
                [
                    *self.env["account.journal"]._check_company_domain(
                        receiver.company_id
                    ),
                    ("type", "=", "purchase"),
                ],
                limit=1,
            )

    @api.depends("partner_id", "alias_email")
    def _compute_display_name(self):
        for receiver in self:
            receiver.display_name = " – ".join(
                filter(None, [receiver.partner_id.name, receiver.alias_email])
            )

    def _compute_counts(self):
        groups = self.env["email.receiver.log"]._read_group(
            [("receiver_id", "in", self.ids)],
            ["receiver_id"],
            ["__count", "move_id:count_distinct"],
        )
        counts = {receiver.id: (count, bills) for receiver, count, bills in groups}
        for receiver in self:
            receiver.log_count, receiver.bill_count = counts.get(receiver.id, (0, 0))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("alias_name"):
                company = self.env["res.company"].browse(
                    vals.get("company_id") or self.env.company.id
                )
                vals["alias_name"] = self._generate_alias_name(company)
        return super().create(vals_list)

    def write(self, vals):
        res = super().write(vals)
        if {"move_type", "company_id", "journal_id"} & set(vals):
            for receiver in self.filtered("alias_id"):
                receiver.alias_id.sudo().alias_defaults = (
                    receiver._alias_get_creation_values()["alias_defaults"]
                )
        return res

    def _check_manager(self):
        """Receivers are set up by accounting administrators; bookkeepers
        read them and their log. One plain sentence instead of the ORM's
        access error on a field they never touched."""
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._(
                    "Only an accounting administrator can change the status of a "
                    "trusted sender; ask one to do it."
                )
            )

    def action_activate(self):
        self._check_manager()
        for receiver in self:
            if not receiver.alias_email:
                raise UserError(
                    self.env._(
                        "The receiver %s has no receiving address yet: set an alias "
                        "domain on the company (Settings → Technical → Alias "
                        "Domains) first.",
                        receiver.display_name,
                    )
                )
        self.state = "active"
        return True

    def action_deactivate(self):
        self._check_manager()
        self.state = "inactive"
        return True

    def action_reset_draft(self):
        self._check_manager()
        self.state = "draft"
        return True

    def action_send_invitation(self):
        """Bookkeepers invite their suppliers (product document), yet only
        read receivers: their right is checked here, then the mail and the
        note on the receiver are written as superuser."""
        self.ensure_one()
        self.check_access("read")
        if not self.env.su and not self.env.user.has_group(BOOKKEEPER_GROUP):
            raise AccessError(
                self.env._(
                    "Only users with Invoicing rights can invite a supplier; ask "
                    "your accounting administrator."
                )
            )
        if not self.alias_email:
            raise UserError(
                self.env._("This receiver has no receiving address to invite to.")
            )
        receiver = self.sudo()
        template = self.env.ref("email_receiver_trusted.mail_template_invitation")
        template.sudo().send_mail(receiver.id)
        receiver.message_post(
            body=self.env._("Invitation sent to %s.", receiver.contact_email),
            subtype_xmlid="mail.mt_note",
            author_id=self.env.user.partner_id.id,
        )
        return True

    def action_open_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "email_receiver_trusted.email_receiver_log_action"
        )
        action["domain"] = [("receiver_id", "=", self.id)]
        action["context"] = {"default_receiver_id": self.id}
        return action

    def action_open_bills(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_in_invoice_type"
        )
        action["domain"] = [("id", "in", self.log_ids.move_id.ids)]
        action["context"] = {"default_move_type": "in_invoice"}
        return action

    # mail.alias.mixin.optional -------------------------------------------

    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("account.move")
        # Our own trust check runs at routing time; Odoo's contact policy
        # would bounce refused mail back to the (possibly forged) sender.
        values["alias_contact"] = "everyone"
        if self.id:
            values["alias_defaults"] = repr(
                {
                    "move_type": self.move_type,
                    "company_id": self.company_id.id,
                    "journal_id": self.journal_id.id,
                }
            )
        return values

    # Business methods ----------------------------------------------------

    @api.model
    def _generate_alias_name(self, company):
        """bills-<company>-<random>: unique and hard to guess."""
        alias_model = self.env["mail.alias"]
        company_part = (
            alias_model._sanitize_alias_name(company.name)
            if alias_model._is_encodable(company.name or "")
            else str(company.id)
        )
        return alias_model._sanitize_alias_name(
            f"bills-{company_part[:30]}-{secrets.token_hex(5)}"
        )

    @api.model
    def _from_alias(self, alias):
        """The receiver owning ``alias``, or an empty recordset."""
        if (
            alias
            and alias.alias_parent_thread_id
            and alias.sudo().alias_parent_model_id.model == self._name
        ):
            # The gateway runs as whichever user matched the sender; routing
            # must see the receiver whatever that user's companies are. The
            # alias goes when its receiver is deleted: no exists() needed.
            return self.sudo().browse(alias.alias_parent_thread_id)
        return self.browse()

    def _accounting_members(self):
        """Internal users who keep the books of the receiver's company."""
        self.ensure_one()
        group = self.env.ref("account.group_account_invoice")
        return (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("share", "=", False),
                    ("all_group_ids", "in", group.ids),
                    ("company_ids", "in", self.company_id.ids),
                    ("email", "!=", False),
                ]
            )
        )
