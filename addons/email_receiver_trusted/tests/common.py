"""Shared fixtures: a company with an alias domain, a supplier, and raw RFC 822
mails with the trace headers our own mail server writes."""

import uuid
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from odoo.fields import Datetime
from odoo.tests import TransactionCase, new_test_user

DATA = Path(__file__).parent / "data"
OUR_MX = "mx.ourcompany.test"


def load_dutch(env):
    """Dutch active with this addon's terms, also in a fresh database where
    Odoo's runner installed the addon without any language."""
    env["res.lang"]._activate_lang("nl_NL")
    env["ir.module.module"]._load_module_terms(
        ["email_receiver_trusted"], ["nl_NL"], overwrite=True
    )


def make_users(env, prefix="erc"):
    """The users of a plain Community install the product document names:
    a bookkeeper (Invoicing rights), an accounting administrator and a
    system administrator."""
    return (
        new_test_user(
            env,
            login=f"{prefix}_bookkeeper",
            name="Boekhouder Bea",
            email=f"{prefix}.bookkeeper@ourcompany.test",
            groups="base.group_user,account.group_account_invoice",
        ),
        new_test_user(
            env,
            login=f"{prefix}_manager",
            name="Beheerder Boekhouding",
            groups="account.group_account_manager",
        ),
        new_test_user(
            env,
            login=f"{prefix}_admin",
            name="Systeembeheerder",
            groups="base.group_system,account.group_account_manager",
        ),
    )


def make_pdf(text):
    """A one-page PDF showing ``text`` (each text gives a different file)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>"
        ),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def trace_headers(tls=True, auth_results=None, client="mail.supplier.nl"):
    """The headers our Postfix puts on top of a mail it receives."""
    lines = []
    if auth_results:
        lines.append(f"Authentication-Results: {OUR_MX}; {auth_results}")
    using = (
        "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\r\n"
        "\t key-exchange X25519 server-signature RSA-PSS (2048 bits))\r\n"
        "\t(No client certificate requested)\r\n"
        if tls
        else ""
    )
    protocol = "ESMTPS" if tls else "ESMTP"
    lines.append(
        f"Received: from {client} ({client} [192.0.2.10])\r\n"
        f"{using}"
        f"\tby {OUR_MX} (Postfix) with {protocol} id 4Yk3Z20Q7Tz\r\n"
        f"\tfor <receiver@{OUR_MX}>; Sat, 21 Nov 2026 20:01:02 +0100 (CET)"
    )
    return ("\r\n".join(lines) + "\r\n").encode()


def build_mail(
    email_from,
    email_to,
    subject="Invoice 2026-001",
    attachments=("invoice-2026-001.pdf",),
    tls=True,
    auth_results=None,
    message_id=None,
    extra_headers=None,
    body="Dear customer,\n\nPlease find our invoice attached.\n",
):
    """Raw bytes of a mail as it leaves our MTA for Odoo's gateway."""
    msg = EmailMessage()
    msg["From"] = email_from
    msg["To"] = email_to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(Datetime.now().replace(microsecond=0))
    msg["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@supplier.nl>"
    for name, value in (extra_headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for item in attachments:
        name, content = item if isinstance(item, tuple) else (item, None)
        content = content if content is not None else (DATA / name).read_bytes()
        if name.endswith(".pdf"):
            msg.add_attachment(
                content, maintype="application", subtype="pdf", filename=name
            )
        elif name.endswith(".xml"):
            msg.add_attachment(
                content, maintype="application", subtype="xml", filename=name
            )
        else:
            msg.add_attachment(content, maintype="image", subtype="png", filename=name)
    return trace_headers(tls=tls, auth_results=auth_results) + msg.as_bytes()


class EmailReceiverCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.alias_domain = cls.company.alias_domain_id
        if not cls.alias_domain:
            cls.alias_domain = cls.env["mail.alias.domain"].create(
                {"name": "ourcompany.test"}
            )
            cls.company.alias_domain_id = cls.alias_domain
        cls.journal = cls.env["account.journal"].search(
            [("company_id", "=", cls.company.id), ("type", "=", "purchase")], limit=1
        )
        cls.supplier = cls.env["res.partner"].create(
            {
                "name": "SupplierOfficialName Ltd",
                "is_company": True,
                "email": "invoices@supplier.nl",
            }
        )
        cls.receiver = cls.env["email.receiver"].create(
            {
                "company_id": cls.company.id,
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
            [("move_type", "in", ("in_invoice", "in_refund"))]
        )

    def process(self, raw):
        """Hand one raw mail to Odoo's gateway, as the mailgate script does."""
        return self.env["mail.thread"].message_process(None, raw)

    def bills(self, receiver=None):
        receiver = receiver or self.receiver
        return self.env["account.move"].search(
            [
                ("journal_id", "=", receiver.journal_id.id),
                ("move_type", "in", ("in_invoice", "in_refund")),
                ("id", "not in", self.bills_before.ids),
            ]
        )

    def mails_to(self, address):
        return self.env["mail.mail"].search([("email_to", "ilike", address)])
