"""The same PDF mailed several times at the same moment: one bill.

Real concurrent transactions: each mail goes through Odoo's gateway
(message_process on raw RFC 822 mail) in a cursor of its own, retried on
serialization failures as the mailgate's XML-RPC call is (odoo.service.model.
retrying), on a receiver committed for the test and deleted afterwards.
"""

import hashlib
import logging
import threading
import uuid
from contextlib import contextmanager
from functools import partial
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.orm.registry import Registry
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged

from odoo.addons.email_receiver_trusted.models.email_receiver_document import (
    EmailReceiverDocument,
)

from .common import build_mail, make_pdf

MAILS = 6
DOCUMENT_LOGGER = EmailReceiverDocument.__module__
# Every wait of these tests is bounded.
TIMEOUT = 60


@contextmanager
def captured_logs(*names):
    """Every record of these loggers from INFO up, from all threads."""
    records = []
    handler = logging.Handler(logging.INFO)
    handler.emit = records.append
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield records
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


@contextmanager
def registry_lock_released():
    """Odoo's own runner runs the tests inside ``with Registry._lock``
    (server.run); a thread's transaction looks the registry up again when
    it is rolled back for a retry and would wait for that lock until the
    run ends. Let go of it while the threads work (under pytest-odoo the
    main thread does not hold it)."""
    lock = Registry._lock
    released = 0
    while getattr(lock, "_is_owned", lambda: False)():
        lock.release()
        released += 1
    try:
        yield
    finally:
        for _n in range(released):
            lock.acquire()


@tagged("post_install", "-at_install")
class TestConcurrentDuplicates(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].search([], order="id", limit=1)
            cls.created_alias_domain = None
            if not company.alias_domain_id:
                cls.created_alias_domain = env["mail.alias.domain"].create(
                    {"name": "concurrency.ourcompany.test"}
                )
                company.alias_domain_id = cls.created_alias_domain
            supplier = env["res.partner"].create(
                {"name": "Gelijktijdig Leverancier BV", "email": "factuur@tegelijk.nl"}
            )
            receiver = env["email.receiver"].create(
                {
                    "company_id": company.id,
                    "partner_id": supplier.id,
                    "contact_email": "contact@tegelijk.nl",
                    "whitelist_type": "domain",
                    "whitelist_value": "tegelijk.nl",
                    "confirm_to_sender": False,
                }
            )
            receiver.action_activate()
            # A receiver that has had mail before: nothing else on the way
            # (the alias's first-mail status, the TLS switch) makes the mails
            # wait for each other.
            receiver.tls_only = True
            receiver.alias_id.alias_status = "valid"
            cls.company_id = company.id
            cls.supplier_id = supplier.id
            cls.receiver_id = receiver.id
            cls.alias_email = receiver.alias_email
        cls.addClassCleanup(cls._delete_committed)

    @classmethod
    def _delete_committed(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            receiver = env["email.receiver"].browse(cls.receiver_id)
            receiver.log_ids.move_id.unlink()
            receiver.unlink()
            env["res.partner"].browse(cls.supplier_id).unlink()
            if cls.created_alias_domain:
                # The company's aliases took the new domain: give it back.
                domain = cls.created_alias_domain.with_env(env)
                env["res.company"].browse(cls.company_id).alias_domain_id = False
                aliases = env["mail.alias"].search(
                    [("alias_domain_id", "=", domain.id)]
                )
                aliases.alias_domain_id = False
                domain.unlink()

    def _deliver(self, raw, results, key):
        """One mail through the gateway in a cursor of its own, as the
        mailgate's XML-RPC call runs it: retried, then committed."""
        try:
            with self.registry.cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = '60s'")
                env = api.Environment(cr, SUPERUSER_ID, {})
                retrying(partial(env["mail.thread"].message_process, None, raw), env)
            results[key] = "ok"
        except Exception as error:  # noqa: BLE001 (the test asserts on it)
            results[key] = repr(error)

    def _committed_logs(self, message_ids):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            logs = env["email.receiver.log"].search([("message_id", "in", message_ids)])
            return [
                (log.message_id, log.state, log.reason, log.move_id.id) for log in logs
            ]

    def _delete_claim(self, checksum):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["email.receiver.document"].search(
                [("checksum", "=", checksum)]
            ).unlink()

    def test_same_pdf_mailed_six_times_at_once_makes_one_bill(self):
        pdf = make_pdf(f"Factuur {uuid.uuid4().hex}")
        self.addCleanup(self._delete_claim, hashlib.sha1(pdf).hexdigest())
        message_ids = [f"<{uuid.uuid4().hex}@tegelijk.nl>" for _n in range(MAILS)]
        mails = [
            build_mail(
                "Leverancier <factuur@tegelijk.nl>",
                self.alias_email,
                subject="Factuur 2026-0042",
                attachments=[("factuur-2026-0042.pdf", pdf)],
                message_id=message_id,
            )
            for message_id in message_ids
        ]
        # Every mail has looked for an earlier bill (and found none) before
        # any of them goes on: the moment two servers deliver at once.
        all_checked = threading.Barrier(MAILS, timeout=TIMEOUT)
        checked = threading.local()
        find_bill = EmailReceiverDocument._find_bill

        def find_bill_together(documents, company, checksums):
            bill = find_bill(documents, company, checksums)
            if not getattr(checked, "once", False):
                checked.once = True
                all_checked.wait()
            return bill

        results = {}
        with (
            patch.object(EmailReceiverDocument, "_find_bill", find_bill_together),
            registry_lock_released(),
            captured_logs("odoo.sql_db", DOCUMENT_LOGGER) as server_log,
        ):
            threads = [
                threading.Thread(target=self._deliver, args=(mail, results, n))
                for n, mail in enumerate(mails)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(TIMEOUT)
                self.assertFalse(thread.is_alive(), "a mail was not processed")
        self.assertFalse(all_checked.broken, "the mails did not overlap")
        # No mail lost: each was processed, none ended in an error.
        self.assertEqual(results, dict.fromkeys(range(MAILS), "ok"))
        logs = self._committed_logs(message_ids)
        self.assertEqual(sorted(log[0] for log in logs), sorted(message_ids))
        accepted = [log for log in logs if log[1] == "accepted"]
        duplicates = [log for log in logs if log[1:3] == ("refused", "duplicate")]
        self.assertEqual(len(accepted), 1, logs)
        self.assertEqual(len(duplicates), MAILS - 1, logs)
        bill_id = accepted[0][3]
        # Each duplicate names the one bill that holds the PDF.
        self.assertEqual({log[3] for log in duplicates}, {bill_id})
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            bills = env["account.move"].search([("partner_id", "=", self.supplier_id)])
            self.assertEqual(bills.ids, [bill_id])
            self.assertEqual(
                bills.attachment_ids.mapped("name"), ["factuur-2026-0042.pdf"]
            )
        # The mails that lost the race were retried quietly: a line of
        # information each, no "bad query" ERROR in the server's log.
        self.assertEqual(
            [r.getMessage() for r in server_log if r.levelno >= logging.ERROR], []
        )
        retried = [r for r in server_log if r.name == DOCUMENT_LOGGER]
        self.assertTrue(retried, "no mail had to wait for the first one")
        self.assertIn("logged as a duplicate", retried[0].getMessage())
