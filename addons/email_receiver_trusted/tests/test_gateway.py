"""Raw RFC 822 mail through Odoo's real gateway (mail.thread.message_process)."""

import base64
import logging

from odoo.tests import new_test_user, tagged

from .common import EmailReceiverCase, build_mail, load_dutch

DMARC_FAIL = (
    "dmarc=fail (p=reject) header.from=supplier.nl; spf=fail smtp.mailfrom=supplier.nl"
)
DMARC_PASS = "dmarc=pass header.from=supplier.nl; spf=pass smtp.mailfrom=supplier.nl"
# A 1x1 transparent PNG: a scanned invoice sent as an image.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
    "60e6kgAAAABJRU5ErkJggg=="
)


@tagged("post_install", "-at_install")
class TestGateway(EmailReceiverCase):
    def send(self, email_from="Supplier <invoices@supplier.nl>", receiver=None, **kw):
        receiver = receiver or self.receiver
        return self.process(build_mail(email_from, receiver.alias_email, **kw))

    def assertRefused(self, reason, receiver=None):
        receiver = receiver or self.receiver
        log = receiver.log_ids[:1]
        self.assertEqual((log.state, log.reason), ("refused", reason))
        self.assertFalse(self.bills(receiver))
        return log

    def test_accepted_mail_creates_one_bill_with_attachments(self):
        self.send(
            attachments=("invoice-2026-001.pdf", "peppol-base-example.xml"),
            auth_results=DMARC_PASS,
        )
        bill = self.bills()
        self.assertEqual(len(bill), 1)
        self.assertEqual(bill.move_type, "in_invoice")
        self.assertEqual(bill.journal_id, self.receiver.journal_id)
        self.assertEqual(bill.partner_id, self.supplier)
        self.assertEqual(
            sorted(bill.attachment_ids.mapped("name")),
            ["invoice-2026-001.pdf", "peppol-base-example.xml"],
        )
        # account_edi_ubl_cii read the UBL: its number, lines and total
        self.assertEqual(bill.ref, "Snippet1")
        self.assertTrue(bill.invoice_line_ids)
        self.assertEqual(bill.currency_id.name, "EUR")
        self.assertEqual(bill.amount_untaxed, 1325.0)
        self.assertEqual(str(bill.invoice_date), "2017-11-13")
        log = self.receiver.log_ids
        self.assertEqual((log.state, log.move_id), ("accepted", bill))
        self.assertIn("invoices@supplier.nl", log.email_from)
        self.assertEqual(log.subject, "Invoice 2026-001")

    def test_credit_note_follows_from_the_document(self):
        self.send(attachments=("peppol-base-creditnote-correction.xml",))
        self.assertEqual(self.bills().move_type, "in_refund")

    def test_several_pdfs_make_one_bill(self):
        self.send(attachments=("invoice-2026-001.pdf", "invoice-2026-002.pdf"))
        self.assertEqual(len(self.bills()), 1)
        self.assertEqual(len(self.bills().attachment_ids), 2)

    def test_domain_is_case_insensitive(self):
        self.send(email_from="INVOICES@SUPPLIER.NL")
        self.assertEqual(len(self.bills()), 1)

    def test_look_alike_domain_is_refused_silently(self):
        self.send(email_from="invoices@supplier.nl.evil.example")
        self.assertRefused("untrusted")
        self.assertFalse(self.env["mail.mail"].search([("email_to", "ilike", "evil")]))
        self.assertFalse(self.mails_to("contact@supplier.nl"))

    def test_address_whitelist(self):
        self.receiver.write(
            {"whitelist_type": "email", "whitelist_value": "invoices@supplier.nl"}
        )
        self.send(email_from="sales@supplier.nl", subject="Not this one")
        self.assertRefused("untrusted")
        self.send(email_from="Invoices@Supplier.nl")
        self.assertEqual(len(self.bills()), 1)

    def test_verified_users(self):
        new_test_user(
            self.env,
            login="erc_bookkeeper",
            email="bookkeeper@ourcompany.test",
            groups="account.group_account_invoice",
            company_ids=[(6, 0, self.company.ids)],
        )
        outsider_company = self.env["res.company"].create({"name": "Elsewhere BV"})
        new_test_user(
            self.env,
            login="erc_outsider",
            email="outsider@ourcompany.test",
            groups="base.group_user",
            company_id=outsider_company.id,
            company_ids=[(6, 0, outsider_company.ids)],
        )
        self.receiver.write(
            {"whitelist_type": "verified_users", "whitelist_value": False}
        )
        self.send(email_from="outsider@ourcompany.test")
        self.assertRefused("untrusted")
        self.send(email_from="Bookkeeper <bookkeeper@ourcompany.test>")
        self.assertEqual(len(self.bills()), 1)
        self.assertEqual(self.bills().partner_id, self.supplier)

    def test_verified_user_forwarding_another_suppliers_invoice(self):
        new_test_user(
            self.env,
            login="erc_forwarder",
            email="forwarder@ourcompany.test",
            groups="account.group_account_invoice",
        )
        other = self.env["res.partner"].create(
            {"name": "Drukkerij Peters", "email": "facturen@drukkerij-peters.example"}
        )
        self.receiver.write(
            {"whitelist_type": "verified_users", "whitelist_value": False}
        )
        raw = build_mail(
            "forwarder@ourcompany.test",
            self.receiver.alias_email,
            subject="Fwd: factuur",
            body="---------- Forwarded message ---------\n"
            "From: facturen@drukkerij-peters.example\n",
        )
        self.process(raw)
        self.assertEqual(self.bills().partner_id, other)

    def test_receiver_not_active(self):
        self.receiver.action_deactivate()
        self.send()
        log = self.assertRefused("inactive")
        notice = self.mails_to("contact@supplier.nl")
        self.assertEqual(len(notice), 1)
        self.assertIn("was not processed", notice.subject)
        self.assertIn("invoices@supplier.nl", log.email_from)
        self.assertFalse(self.mails_to("invoices@supplier.nl"))

    def test_unknown_sender_to_inactive_receiver_gets_nothing(self):
        self.receiver.action_deactivate()
        self.send(email_from="someone@elsewhere.example")
        self.assertRefused("inactive")
        self.assertFalse(
            self.env["mail.mail"]
            .search([])
            .filtered(
                lambda m: (
                    "elsewhere" in (m.email_to or "")
                    or m.email_to == "contact@supplier.nl"
                )
            )
        )

    def test_tls_only_refuses_plain_mail(self):
        self.receiver.tls_only = True
        self.send(tls=False)
        self.assertRefused("no_tls")
        notice = self.mails_to("contact@supplier.nl")
        self.assertEqual(len(notice), 1)
        self.assertIn("Sent without TLS", notice.body_html)
        self.assertIn("invoices@supplier.nl", notice.body_html)
        self.send(tls=True)
        self.assertEqual(len(self.bills()), 1)

    def test_notice_in_the_suppliers_language(self):
        load_dutch(self.env)
        self.supplier.write({"lang": "nl_NL", "tz": "Europe/Amsterdam"})
        self.receiver.tls_only = True
        self.send(tls=False)
        notice = self.mails_to("contact@supplier.nl")
        self.assertIn("is niet verwerkt", notice.subject)
        self.assertIn("Verzonden zonder TLS", notice.body_html)
        # The date as the Dutch read it (30-11-2026 14:05), never ISO.
        self.assertRegex(notice.body_html, r"\b\d{2}-\d{2}-\d{4} \d{2}:\d{2}\b")
        self.assertNotRegex(notice.body_html, r"\d{4}-\d{2}-\d{2}")

    def test_tls_switches_on_after_first_tls_mail(self):
        self.assertFalse(self.receiver.tls_only)
        self.send(tls=True)
        self.assertTrue(self.receiver.tls_only)
        self.send(
            tls=False, subject="Invoice 2026-002", attachments=("invoice-2026-002.pdf",)
        )
        self.assertEqual(self.receiver.log_ids[0].reason, "no_tls")
        self.assertEqual(len(self.bills()), 1)

    def test_first_plain_mail_keeps_tls_optional(self):
        self.send(tls=False)
        self.assertFalse(self.receiver.tls_only)
        self.send(tls=True, attachments=("invoice-2026-002.pdf",))
        self.assertFalse(self.receiver.tls_only)
        self.assertEqual(len(self.bills()), 2)

    def test_dmarc_failure(self):
        with self.assertLogs(
            "odoo.addons.email_receiver_trusted.models.email_receiver_gateway",
            logging.INFO,
        ) as server_log:
            self.send(auth_results=DMARC_FAIL, subject="Factuur 2026-0042")
        # The server log says who, what and why in words, not codes.
        self.assertIn("invoices@supplier.nl", server_log.output[0])
        self.assertIn("Factuur 2026-0042", server_log.output[0])
        self.assertIn("DMARC failed", server_log.output[0])
        log = self.assertRefused("dmarc")
        self.assertIn("invoices@supplier.nl", log.email_from)
        self.assertEqual(log.subject, "Factuur 2026-0042")
        self.assertTrue(log.received_date)
        self.assertEqual(len(self.mails_to("contact@supplier.nl")), 1)
        self.assertFalse(self.mails_to("invoices@supplier.nl"))

    def test_dmarc_failure_with_the_exact_trusted_address(self):
        # A forger copies the one trusted address into From: refused as well.
        self.receiver.write(
            {"whitelist_type": "email", "whitelist_value": "invoices@supplier.nl"}
        )
        self.send(auth_results=DMARC_FAIL)
        self.assertRefused("dmarc")
        self.assertEqual(len(self.mails_to("contact@supplier.nl")), 1)
        self.send(auth_results=DMARC_PASS)
        self.assertEqual(len(self.bills()), 1)

    def test_dmarc_failure_with_a_colleagues_address(self):
        new_test_user(
            self.env,
            login="erc_colleague",
            email="colleague@ourcompany.test",
            groups="account.group_account_invoice",
        )
        self.receiver.write(
            {"whitelist_type": "verified_users", "whitelist_value": False}
        )
        self.send(
            email_from="colleague@ourcompany.test",
            auth_results="dmarc=fail (p=none) header.from=ourcompany.test",
        )
        self.assertRefused("dmarc")
        self.send(email_from="colleague@ourcompany.test")
        self.assertEqual(len(self.bills()), 1)

    def test_image_and_documents_all_on_the_bill(self):
        self.send(
            attachments=(
                "invoice-2026-001.pdf",
                "peppol-base-example.xml",
                ("scan.png", PNG),
            )
        )
        bill = self.bills()
        self.assertEqual(len(bill), 1)
        self.assertEqual(
            sorted(bill.attachment_ids.mapped("name")),
            ["invoice-2026-001.pdf", "peppol-base-example.xml", "scan.png"],
        )
        self.assertEqual(
            self.receiver.log_ids.document_names,
            "invoice-2026-001.pdf, peppol-base-example.xml, scan.png",
        )

    def test_duplicate_attachment_makes_no_second_bill(self):
        self.send()
        bill = self.bills()
        self.send(subject="Reminder: invoice 2026-001")
        self.assertEqual(self.bills(), bill)
        log = self.receiver.log_ids[0]
        self.assertEqual(
            (log.state, log.reason, log.move_id), ("refused", "duplicate", bill)
        )

    def test_same_ubl_twice_makes_one_bill(self):
        self.send(attachments=("peppol-base-example.xml",))
        self.send(attachments=("peppol-base-example.xml",), subject="Again")
        self.assertEqual(len(self.bills()), 1)
        self.assertEqual(self.receiver.log_ids[0].reason, "duplicate")

    def test_new_document_beside_a_known_one_makes_a_bill(self):
        self.send()
        self.send(attachments=("invoice-2026-001.pdf", "invoice-2026-002.pdf"))
        self.assertEqual(len(self.bills()), 2)

    def test_mail_without_attachment(self):
        self.send(attachments=())
        self.assertRefused("no_attachment")
        self.assertEqual(len(self.mails_to("contact@supplier.nl")), 1)
        self.assertFalse(self.mails_to("invoices@supplier.nl"))
