"""100 unwanted mails through the gateway: no bill, no mail to a stranger."""

import random

from odoo.tests import tagged

from .common import EmailReceiverCase, build_mail

LOOK_ALIKES = [
    "supplier.nl.evil.example",
    "supp1ier.nl",
    "suppiier.nl",
    "supplier-nl.com",
    "supplier.nl.co",
    "mail.supplier.nl",
    "supplier.n1",
    "xn--supplir-1ze.nl",
    "suppliеr.nl",
    "supplier.nl-invoices.example",
    "ssupplier.nl",
    "supplierr.nl",
    "supplier.com",
    "supplier.net",
    "upplier.nl",
    "supplier.nl.ru",
    "invoices-supplier.nl",
    "supp-lier.nl",
    "supplier.nI",
    "supplier.nl.",
]
STRANGERS = [
    "promo@shop.example",
    "ceo@ourcompany-billing.example",
    "noreply@bank.example",
    "invoice@paypa1.example",
    "billing@cloud.example",
]


@tagged("post_install", "-at_install")
class TestSpamCorpus(EmailReceiverCase):
    def _corpus(self, strict, draft):
        rng = random.Random(5)
        corpus = []
        for i in range(30):  # look-alike domains, half of them over TLS with DMARC pass
            domain = LOOK_ALIKES[i % len(LOOK_ALIKES)]
            corpus.append(
                {
                    "email_from": f"invoices@{domain}",
                    "to": self.receiver,
                    "tls": bool(i % 2),
                    "auth_results": f"dmarc=pass header.from={domain}",
                }
            )
        for _i in range(20):  # forged From of the trusted domain
            corpus.append(
                {
                    "email_from": "Supplier <invoices@supplier.nl>",
                    "to": self.receiver,
                    "auth_results": (
                        "dmarc=fail (p=reject) header.from=supplier.nl; "
                        "spf=fail smtp.mailfrom=bounce@spam.example"
                    ),
                }
            )
        for _i in range(20):  # trusted domain, but without TLS where it is required
            corpus.append(
                {"email_from": "invoices@supplier.nl", "to": strict, "tls": False}
            )
        for i in range(15):  # strangers
            corpus.append(
                {"email_from": STRANGERS[i % len(STRANGERS)], "to": self.receiver}
            )
        for _i in range(5):  # display-name tricks and broken From headers
            corpus.append(
                {
                    "email_from": '"invoices@supplier.nl" <x@evil.example>',
                    "to": self.receiver,
                }
            )
        for email_from in (
            "invoices@supplier.nl, x@evil.example",
            "undisclosed-recipients:;",
            "invoices at supplier.nl",
            "<>",
            "MAILER-DAEMON@evil.example",
        ):
            corpus.append({"email_from": email_from, "to": self.receiver})
        for _i in range(5):  # a receiver that is not active yet
            corpus.append({"email_from": "x@evil.example", "to": draft})
        rng.shuffle(corpus)
        return corpus

    def test_spam_corpus(self):
        strict = self.receiver.copy(
            {"tls_only": True, "contact_email": "strict@supplier.nl"}
        )
        strict.action_activate()
        draft = self.receiver.copy({"contact_email": "draft@supplier.nl"})
        before = self.env["mail.mail"].search([])
        corpus = self._corpus(strict, draft)
        self.assertEqual(len(corpus), 100)
        for n, mail in enumerate(corpus):
            raw = build_mail(
                mail["email_from"],
                mail["to"].alias_email,
                subject=f"Factuur {n}",
                tls=mail.get("tls", True),
                auth_results=mail.get("auth_results"),
            )
            self.process(raw)
        receivers = self.receiver | strict | draft
        self.assertFalse(self.bills(self.receiver))
        moves = self.env["account.move"].search(
            [
                ("invoice_source_email", "!=", False),
                ("id", "not in", self.bills_before.ids),
            ]
        )
        self.assertFalse(moves)
        logs = receivers.log_ids
        # Odoo's gateway takes mail from MAILER-DAEMON for a bounce before any
        # alias is looked at: it never reaches a receiver, so it is not logged.
        logged = {int(subject.split()[-1]) for subject in logs.mapped("subject")}
        missing = [corpus[n]["email_from"] for n in set(range(100)) - logged]
        self.assertEqual(missing, ["MAILER-DAEMON@evil.example"])
        self.assertEqual(len(logs), 99)
        self.assertEqual(set(logs.mapped("state")), {"refused"})
        self.assertEqual(
            sorted(set(logs.mapped("reason"))),
            ["dmarc", "inactive", "no_tls", "untrusted"],
        )
        sent = self.env["mail.mail"].search([]) - before
        recipients = set()
        for mail in sent:
            recipients.update(
                a.strip().lower() for a in (mail.email_to or "").split(",")
            )
            recipients.update(mail.recipient_ids.mapped("email_normalized"))
        recipients.discard("")
        # Only our own suppliers' contact addresses heard of it, once per reason.
        self.assertEqual(recipients, {"contact@supplier.nl", "strict@supplier.nl"})
        self.assertEqual(len(sent), 2)
