"""Mail gateway benchmark: a trusted-sender receiver against Odoo's own
purchase-journal alias, on the same mails, in one run.

N mails with one PDF each (default 1,000; BENCH_MAIL_N) and N_UBL mails with a
PDF and a UBL invoice (default 100; BENCH_MAIL_N_UBL) go through
mail.thread.message_process twice: once to the journal's alias (baseline: Odoo
creates a bill per mail, no sender check) and once to an active receiver
(trust check on the raw headers, duplicate check, log line, bill). Both sides
run alternately in batches of the same size (taking turns going first), so
machine noise hits both.
Goal: time ratio at most 1.10. Printed: the ratio of the total times and the
median of the per-batch ratios (less sensitive to a noisy neighbour on the
shared cores).
"""

import os
import statistics
import time

from odoo.tests import TransactionCase, tagged

from odoo.addons.email_receiver_trusted.tests.common import DATA, build_mail, make_pdf

N = int(os.environ.get("BENCH_MAIL_N", "1000"))
N_UBL = int(os.environ.get("BENCH_MAIL_N_UBL", "100"))
BATCH = 50
SENDER = "Supplier BV <invoices@supplier.nl>"
DMARC_PASS = "dmarc=pass header.from=supplier.nl; spf=pass smtp.mailfrom=supplier.nl"


@tagged("post_install", "-at_install", "benchmark")
class BenchEmailReceiver(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        if not company.alias_domain_id:
            company.alias_domain_id = cls.env["mail.alias.domain"].create(
                {"name": "ourcompany.test"}
            )
        supplier = cls.env["res.partner"].create(
            {"name": "Bench Supplier BV", "email": "invoices@supplier.nl"}
        )
        expense = (
            cls.env["account.journal"]
            .search(
                [("company_id", "=", company.id), ("type", "=", "purchase")], limit=1
            )
            .default_account_id
        )
        journals = cls.env["account.journal"].create(
            [
                {
                    "name": name,
                    "code": code,
                    "type": "purchase",
                    "default_account_id": expense.id,
                }
                for name, code in (
                    ("Bench Odoo alias", "BOA"),
                    ("Bench receiver", "BRC"),
                )
            ]
        )
        cls.journal_alias, cls.receiver_journal = journals
        cls.journal_alias.alias_name = "bench-odoo-purchase"
        cls.receiver = cls.env["email.receiver"].create(
            {
                "partner_id": supplier.id,
                "journal_id": cls.receiver_journal.id,
                "contact_email": "contact@supplier.nl",
                "whitelist_type": "domain",
                "whitelist_value": "supplier.nl",
                "confirm_to_sender": False,
            }
        )
        cls.receiver.action_activate()
        cls.ubl = (DATA / "peppol-base-example.xml").read_bytes()

    def _mail(self, to, index, side):
        attachments = [(f"invoice-{index}.pdf", make_pdf(f"Invoice {side} {index}"))]
        if index >= N:
            # a distinct UBL per mail: same invoice, its own number
            ubl = self.ubl.replace(b"Snippet1", f"{side}-{index}".encode())
            attachments.append((f"invoice-{index}.xml", ubl))
        return build_mail(
            SENDER,
            to,
            subject=f"Invoice {index}",
            attachments=attachments,
            auth_results=DMARC_PASS,
        )

    def _run(self, to, indexes, side):
        mails = [self._mail(to, index, side) for index in indexes]
        process = self.env["mail.thread"].message_process
        queries = self.env.cr.sql_log_count
        start = time.perf_counter()
        for raw in mails:
            process(None, raw)
        self.env.flush_all()
        elapsed = time.perf_counter() - start
        self.queries[side] += self.env.cr.sql_log_count - queries
        self.env.invalidate_all()
        return elapsed

    def _bills(self, journal):
        return self.env["account.move"].search_count(
            [("journal_id", "=", journal.id), ("move_type", "=", "in_invoice")]
        )

    def test_receiver_against_odoo_journal_alias(self):
        total = N + N_UBL
        times = {"odoo": 0.0, "ours": 0.0}
        self.queries = {"odoo": 0, "ours": 0}
        batch_ratios = []
        sides = [
            ("odoo", self.journal_alias.alias_email),
            ("ours", self.receiver.alias_email),
        ]
        for batch, first in enumerate(range(0, total, BATCH)):
            indexes = range(first, min(first + BATCH, total))
            # alternate which side goes first, so neither always meets a warmer cache
            batch_times = {}
            for side, address in sides if batch % 2 == 0 else sides[::-1]:
                batch_times[side] = self._run(address, indexes, side)
                times[side] += batch_times[side]
            batch_ratios.append(batch_times["ours"] / batch_times["odoo"])
        self.assertEqual(self._bills(self.journal_alias), total)
        self.assertEqual(self._bills(self.receiver_journal), total)
        self.assertEqual(len(self.receiver.log_ids), total)
        ratio = times["ours"] / times["odoo"]
        print(
            f"\n[bench email_receiver_trusted] {N} mails with PDF + {N_UBL} with "
            f"PDF and UBL through message_process:\n"
            f"  Odoo purchase-journal alias: {times['odoo']:.1f} s "
            f"({1000 * times['odoo'] / total:.1f} ms/mail)\n"
            f"  trusted receiver:            {times['ours']:.1f} s "
            f"({1000 * times['ours'] / total:.1f} ms/mail)\n"
            f"  ratio receiver / Odoo alias: {ratio:.2f} (goal <= 1.10)\n"
            f"  median of {len(batch_ratios)} batch ratios: "
            f"{statistics.median(batch_ratios):.2f}\n"
            f"  SQL queries per mail: Odoo alias {self.queries['odoo'] / total:.1f}, "
            f"receiver {self.queries['ours'] / total:.1f}"
        )
