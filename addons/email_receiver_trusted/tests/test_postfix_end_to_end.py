"""End to end: smtplib → Postfix on 127.0.0.1 → odoo-mailgate.py → Odoo.

The TLS rule reads the Received header Postfix really writes: once the mail
comes with STARTTLS, once without."""

import smtplib
import ssl
from email.message import EmailMessage

from odoo.tests import HttpCase, new_test_user, tagged

from .common import DATA
from .postfix_server import PostfixServer, postfix_available

SMTP_TIMEOUT = 10


@tagged("post_install", "-at_install")
class TestPostfixEndToEnd(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        if not cls.company.alias_domain_id:
            cls.company.alias_domain_id = cls.env["mail.alias.domain"].create(
                {"name": "ourcompany.test"}
            )
        cls.gateway_user = new_test_user(
            cls.env,
            login="erc_mailgate",
            password="mailgate-Pw-7731",
            # as for any Odoo alias, the mailgate logs in as an administrator
            groups="base.group_system,account.group_account_invoice",
        )
        cls.supplier = cls.env["res.partner"].create(
            {"name": "Postfix Supplier BV", "email": "invoices@supplier.nl"}
        )
        cls.receiver = cls.env["email.receiver"].create(
            {
                "partner_id": cls.supplier.id,
                "contact_email": "contact@supplier.nl",
                "whitelist_type": "domain",
                "whitelist_value": "supplier.nl",
                "confirm_to_sender": False,
            }
        )
        cls.receiver.action_activate()
        # Bills that exist before the test (other addons' demo data) are not ours.
        cls.bills_before = cls.env["account.move"].search(
            [("move_type", "=", "in_invoice")]
        )

    def setUp(self):
        super().setUp()
        # Not a skip: without Postfix this test proves nothing, so it fails.
        self.assertTrue(
            postfix_available(),
            "Postfix is not installed or we are not root (setup/install.sh)",
        )
        self.postfix = PostfixServer(
            domain=self.company.alias_domain_id.name,
            odoo_port=self.http_port(),
            db=self.env.cr.dbname,
            uid=self.gateway_user.id,
            password="mailgate-Pw-7731",
        )
        self.postfix.start()
        self.addCleanup(self.postfix.stop)

    def smtp_send(self, attachment, starttls, delivered):
        msg = EmailMessage()
        msg["From"] = "Supplier BV <invoices@supplier.nl>"
        msg["To"] = self.receiver.alias_email
        msg["Subject"] = f"Invoice {attachment}"
        msg.set_content("Our invoice is attached.")
        msg.add_attachment(
            (DATA / attachment).read_bytes(),
            maintype="application",
            subtype="pdf",
            filename=attachment,
        )
        self.env.flush_all()
        # Odoo's test HTTP server serves the mailgate's XML-RPC call only while
        # the test lets go of its cursor.
        with self.allow_requests(all_requests=True):
            with smtplib.SMTP(
                "127.0.0.1", self.postfix.port, timeout=SMTP_TIMEOUT
            ) as smtp:
                smtp.ehlo("mail.supplier.nl")
                if starttls:
                    smtp.starttls(
                        context=ssl.create_default_context(cafile=self.postfix.cafile)
                    )
                    smtp.ehlo("mail.supplier.nl")
                smtp.send_message(msg)
            statuses = self.postfix.wait_delivered(delivered)
        self.env.invalidate_all()
        return statuses

    def test_starttls_then_plain(self):
        statuses = self.smtp_send("invoice-2026-001.pdf", starttls=True, delivered=1)
        self.assertEqual(statuses, ["sent"])
        log = self.receiver.log_ids
        self.assertEqual((log.state, log.tls), ("accepted", True))
        bill = log.move_id
        self.assertEqual(bill.partner_id, self.supplier)
        self.assertEqual(bill.attachment_ids.mapped("name"), ["invoice-2026-001.pdf"])
        # The first mail came over TLS: from now on TLS is required.
        self.assertTrue(self.receiver.tls_only)

        statuses = self.smtp_send("invoice-2026-002.pdf", starttls=False, delivered=2)
        # Postfix delivered it (no bounce to the sender); Odoo refused it.
        self.assertEqual(statuses, ["sent", "sent"])
        refused = self.receiver.log_ids[0]
        self.assertEqual(
            (refused.state, refused.reason, refused.tls), ("refused", "no_tls", False)
        )
        bills = self.env["account.move"].search(
            [
                ("journal_id", "=", self.receiver.journal_id.id),
                ("move_type", "=", "in_invoice"),
                ("id", "not in", self.bills_before.ids),
            ]
        )
        self.assertEqual(bills, bill)
