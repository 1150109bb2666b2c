from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import EmailReceiverCase, build_mail, load_dutch, make_users


@tagged("post_install", "-at_install")
class TestEmailReceiverAccess(EmailReceiverCase):
    """Who sees the addon's menu and records; what a new receiver looks like."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_dutch(cls.env)
        cls.accountant, cls.manager, cls.admin = make_users(cls.env)
        cls.employee = new_test_user(
            cls.env, login="email_receiver_trusted_employee", groups="base.group_user"
        )
        cls.other_company = cls.env["res.company"].create({"name": "Other BV"})
        cls.env["account.journal"].create(
            {
                "name": "Other purchases",
                "code": "OPUR",
                "type": "purchase",
                "company_id": cls.other_company.id,
            }
        )
        cls.foreign = cls.env["email.receiver"].create(
            {
                "company_id": cls.other_company.id,
                "partner_id": cls.supplier.id,
                "contact_email": "contact@supplier.nl",
                "whitelist_type": "email",
                "whitelist_value": "invoices@supplier.nl",
            }
        )

    def test_bookkeeper_reaches_receivers_and_log_in_dutch(self):
        """Under Facturatie → Leveranciers, not the administrators' Configuratie."""
        visible = self.env["ir.ui.menu"].with_user(self.accountant)._visible_menu_ids()
        for xmlid, dutch in (
            ("email_receiver_trusted_menu", "Vertrouwde afzenders"),
            ("email_receiver_log_menu", "Ontvangen e-mail"),
        ):
            menu = self.env.ref(f"email_receiver_trusted.{xmlid}")
            self.assertIn(menu.id, visible)
            self.assertIn(menu.parent_id.id, visible)
            self.assertEqual(menu.with_context(lang="nl_NL").name, dutch)
            self.assertNotEqual(
                menu.parent_id, self.env.ref("account.menu_finance_configuration")
            )
        self.process(build_mail("invoices@supplier.nl", self.receiver.alias_email))
        receiver = self.receiver.with_user(self.accountant)
        action = receiver.action_open_logs()
        logs = self.env["email.receiver.log"].with_user(self.accountant)
        found = logs.search(action["domain"])
        self.assertEqual(found.mapped("state"), ["accepted"])
        self.assertEqual(
            found.move_id.with_user(self.accountant).partner_id, self.supplier
        )
        action = receiver.action_open_bills()
        bills = (
            self.env["account.move"].with_user(self.accountant).search(action["domain"])
        )
        self.assertEqual(bills, found.move_id)

    def test_bookkeeper_invites_the_supplier(self):
        receiver = self.receiver.with_user(self.accountant)
        receiver.action_send_invitation()
        self.assertEqual(len(self.mails_to("contact@supplier.nl")), 1)
        note = self.receiver.message_ids[0]
        self.assertIn("contact@supplier.nl", note.body)
        self.assertEqual(note.author_id, self.accountant.partner_id)

    def test_status_is_changed_by_an_accounting_administrator_only(self):
        receiver = self.receiver.with_user(self.accountant).with_context(lang="nl_NL")
        for action in ("action_deactivate", "action_reset_draft", "action_activate"):
            with self.assertRaisesRegex(
                AccessError, "^Alleen een beheerder van de boekhouding kan de status"
            ):
                getattr(receiver, action)()
        self.assertEqual(self.receiver.state, "active")
        for user in (self.manager, self.admin):
            receiver = self.receiver.with_user(user)
            receiver.action_deactivate()
            self.assertEqual(self.receiver.state, "inactive")
            receiver.action_reset_draft()
            self.assertEqual(self.receiver.state, "draft")
            receiver.action_activate()
            self.assertEqual(self.receiver.state, "active")

    def test_employee_without_accounting_rights_cannot_read(self):
        menu = self.env.ref("email_receiver_trusted.email_receiver_trusted_menu")
        visible = self.env["ir.ui.menu"].with_user(self.employee)._visible_menu_ids()
        self.assertNotIn(menu.id, visible)
        with self.assertRaises(AccessError):
            self.receiver.with_user(self.employee).read(["alias_email"])
        with self.assertRaises(AccessError):
            self.receiver.with_user(self.employee).action_send_invitation()

    def test_records_of_other_companies_are_hidden(self):
        found = self.env["email.receiver"].with_user(self.accountant).search([])
        self.assertIn(self.receiver, found)
        self.assertNotIn(self.foreign, found)
        self.assertEqual(self.foreign.journal_id.company_id, self.other_company)

    def test_mail_to_another_company_stays_in_that_company(self):
        self.foreign.action_activate()
        self.process(build_mail("invoices@supplier.nl", self.foreign.alias_email))
        log = self.foreign.log_ids
        self.assertEqual(log.state, "accepted")
        self.assertEqual(log.move_id.company_id, self.other_company)
        self.assertEqual(log.move_id.journal_id, self.foreign.journal_id)
        self.assertFalse(self.bills())  # nothing in our own journal
        # an accountant of the main company sees neither the log nor the bill
        logs = self.env["email.receiver.log"].with_user(self.accountant)
        self.assertFalse(logs.search([("receiver_id", "=", self.foreign.id)]))
        with self.assertRaises(AccessError):
            log.move_id.with_user(self.accountant).read(["name"])

    def test_journal_of_another_company_is_refused(self):
        with self.assertRaises(UserError):
            self.receiver.journal_id = self.foreign.journal_id

    def test_new_receiver_is_draft_with_generated_address(self):
        receiver = self.env["email.receiver"].create(
            {
                "partner_id": self.supplier.id,
                "contact_email": "contact@supplier.nl",
                "whitelist_type": "domain",
                "whitelist_value": "supplier.nl",
            }
        )
        self.assertEqual(receiver.state, "draft")
        self.assertEqual(receiver.journal_id.type, "purchase")
        self.assertRegex(
            receiver.alias_email,
            r"^bills-[a-z0-9-]+-[0-9a-f]{10}@"
            + self.alias_domain.name.replace(".", r"\.")
            + "$",
        )
        self.assertNotEqual(receiver.alias_email, self.receiver.alias_email)
        self.assertEqual(receiver.alias_id.alias_model_id.model, "account.move")
        receiver.action_activate()
        self.assertEqual(receiver.state, "active")
        receiver.action_deactivate()
        self.assertEqual(receiver.state, "inactive")

    def test_whitelist_values_are_checked(self):
        with self.assertRaisesRegex(ValidationError, "without '@'"):
            self.receiver.whitelist_value = "@supplier.nl"
        with self.assertRaisesRegex(ValidationError, "not a valid email"):
            self.receiver.write({"whitelist_type": "email", "whitelist_value": "nope"})

    def test_supplier_form_counts_its_receivers(self):
        self.assertEqual(self.supplier.email_receiver_count, 2)
        action = self.supplier.action_open_email_receivers()
        self.assertEqual(
            self.env["email.receiver"].search(action["domain"]),
            self.receiver | self.foreign,
        )

    def test_manager_creates_receiver_in_the_form(self):
        manager = self.manager
        form = Form(self.env["email.receiver"].with_user(manager))
        self.assertEqual(form.company_id, self.company)
        self.assertEqual(form.journal_id.type, "purchase")
        self.assertEqual(form.move_type, "in_invoice")
        form.partner_id = self.supplier
        form.contact_email = "contact@supplier.nl"
        form.whitelist_type = "domain"
        form.whitelist_value = "supplier.nl"
        form.auto_send_xml = True
        form.xml_destination_email = "inbox@bookkeeping.test"
        receiver = form.save()
        self.assertEqual(receiver.state, "draft")
        self.assertTrue(receiver.alias_email.startswith("bills-"))
        receiver.with_user(manager).action_activate()
        self.assertEqual(receiver.state, "active")
        receiver.with_user(manager).action_send_invitation()
        self.assertIn("Invitation sent", receiver.message_ids[0].body)

    def test_company_choice_limited_to_own_companies(self):
        manager = self.manager
        field = (
            self.env["email.receiver"]
            .with_user(manager)
            .fields_get(["company_id"], ["domain"])["company_id"]
        )
        choices = self.env["res.company"].search(field["domain"])
        self.assertIn(self.company, choices)
        self.assertNotIn(self.other_company, choices)
        with self.assertRaises(AccessError):
            self.env["email.receiver"].with_user(manager).create(
                {
                    "company_id": self.other_company.id,
                    "partner_id": self.supplier.id,
                    "contact_email": "contact@supplier.nl",
                    "whitelist_type": "domain",
                    "whitelist_value": "supplier.nl",
                }
            )
