"""Invitation, notification of members, confirmation and XML forwarding."""

from odoo.tests import new_test_user, tagged

from .common import EmailReceiverCase, build_mail


@tagged("post_install", "-at_install")
class TestNotifications(EmailReceiverCase):
    def send(self, **kw):
        return self.process(
            build_mail(
                "Supplier <invoices@supplier.nl>", self.receiver.alias_email, **kw
            )
        )

    def test_invitation_to_the_contact_address(self):
        self.receiver.action_send_invitation()
        mail = self.mails_to("contact@supplier.nl")
        self.assertEqual(len(mail), 1)
        self.assertIn(self.receiver.alias_email, mail.subject)
        self.assertIn(self.receiver.alias_email, mail.body_html)
        self.assertIn("supplier.nl", mail.body_html)

    def test_members_are_notified(self):
        member = new_test_user(
            self.env,
            login="erc_member",
            email="member@ourcompany.test",
            groups="account.group_account_invoice",
        )
        self.receiver.notify_members = True
        self.send()
        mail = self.env["mail.mail"].search(
            [("recipient_ids", "in", member.partner_id.ids)]
        )
        self.assertEqual(len(mail), 1)
        self.assertIn(self.supplier.name, mail.subject)
        self.assertIn("invoice-2026-001.pdf", mail.body_html)

    def test_no_member_mail_when_switched_off(self):
        member = new_test_user(
            self.env,
            login="erc_member2",
            email="member2@ourcompany.test",
            groups="account.group_account_invoice",
        )
        self.send()
        self.assertFalse(
            self.env["mail.mail"].search(
                [("recipient_ids", "in", member.partner_id.ids)]
            )
        )

    def test_confirmation_to_sender_lists_documents(self):
        self.receiver.confirm_to_sender = True
        self.send(attachments=("invoice-2026-001.pdf", "peppol-base-example.xml"))
        mail = self.mails_to("invoices@supplier.nl")
        self.assertEqual(len(mail), 1)
        self.assertIn("invoice-2026-001.pdf", mail.body_html)
        self.assertIn("peppol-base-example.xml", mail.body_html)

    def test_confirmation_can_be_switched_off(self):
        self.send()
        self.assertFalse(self.mails_to("invoices@supplier.nl"))

    def test_supplier_xml_is_forwarded(self):
        self.receiver.write(
            {"auto_send_xml": True, "xml_destination_email": "inbox@bookkeeping.test"}
        )
        self.send(attachments=("invoice-2026-001.pdf", "peppol-base-example.xml"))
        mail = self.mails_to("inbox@bookkeeping.test")
        self.assertEqual(len(mail), 1)
        self.assertEqual(
            mail.attachment_ids.mapped("name"), ["peppol-base-example.xml"]
        )

    def test_odoo_generates_the_xml_when_supplier_sent_only_pdf(self):
        self.receiver.write(
            {"auto_send_xml": True, "xml_destination_email": "inbox@bookkeeping.test"}
        )
        self.send()
        mail = self.mails_to("inbox@bookkeeping.test")
        self.assertEqual(len(mail), 1)
        xml = mail.attachment_ids
        self.assertEqual(len(xml), 1)
        self.assertTrue(xml.name.endswith(".xml"))
        self.assertIn(b"urn:oasis:names:specification:ubl:schema:xsd", xml.raw)
