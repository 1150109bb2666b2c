"""The Odoo JSON-2 backend against the running Odoo test server (a live package)."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from ..backends import ORANGE, TRANSIENT, BackendError, OdooJson2Backend

CODE = "KVK-TARGET-1"


class _Unavailable(BaseHTTPRequestHandler):
    """Answers like a package behind a proxy in maintenance: 503 + Retry-After."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"name": "ServiceUnavailable", "message": "maintenance"})
        self.send_response(503)
        self.send_header("Retry-After", "30")
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestOdooJson2Backend(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["accounting.dossier"].search(
            [("company_id", "=", cls.env.company.id)]
        ).write({"state": "draft"})
        cls.company = cls.env.company
        cls.company.company_registry = CODE
        admin = cls.env.ref("base.user_admin")
        cls.api_key = (
            cls.env["res.users.apikeys"]
            .with_user(admin)
            ._generate(None, "accounting connector test", None)
        )
        cls.partner = cls.env["res.partner"].create(
            {"name": "Groothandel Peters BV", "vat": "NL000099998B57"}
        )

    def setUp(self):
        super().setUp()
        # the test opener carries the cookie of the test server's transaction
        self.client = OdooJson2Backend(
            self.base_url(), self.env.cr.dbname, self.api_key, session=self.opener
        )

    def _invoice(self, post=True):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner.id,
                "invoice_date": "2026-11-02",
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Advies", "quantity": 3, "price_unit": 110.0}
                    )
                ],
            }
        )
        if post:
            invoice.action_post()
        return invoice

    def _entries(self, ref):
        return self.env["account.move"].search(
            [("ref", "=", ref), ("move_type", "=", "entry")]
        )

    def _error(self, call, *args):
        with self.assertRaises(BackendError) as caught:
            call(*args)
        return caught.exception

    def test_connect_activate_and_sync(self):
        self.assertIn(self.env.cr.dbname, self.client.connect())
        self.assertEqual(
            self.client.activate_dossier(CODE), {"name": self.company.name}
        )
        facts = self.client.sync_dossier(CODE)
        self.assertIn("INV", facts["journals"])
        error = self._error(self.client.activate_dossier, "KVK-UNKNOWN")
        self.assertEqual((error.kind, error.code), (ORANGE, "unknown_dossier"))

    def test_post_proposal_creates_one_draft_entry_and_delete_removes_it(self):
        invoice = self._invoice()
        proposal = invoice._accounting_proposal()
        reference = self.client.post_proposal(CODE, proposal, "key-post-1")
        self.env.invalidate_all()
        entry = self.env["account.move"].browse(int(reference))
        self.assertEqual(entry.state, "draft")
        self.assertEqual(entry.move_type, "entry")
        self.assertEqual(entry.ref, invoice.name)
        self.assertEqual(entry.journal_id, invoice.journal_id)
        self.assertEqual(entry.partner_id, self.partner)
        self.assertEqual(
            sorted((l.account_id.code, l.debit, l.credit) for l in entry.line_ids),
            sorted((l.account_id.code, l.debit, l.credit) for l in invoice.line_ids),
        )
        # the same key again (a worker died after sending): no second booking
        again = self.client.post_proposal(CODE, proposal, "key-post-1")
        self.assertEqual(again, reference)
        self.assertEqual(len(self._entries(invoice.name)), 1)
        # another key for the same invoice: a duplicate booking
        error = self._error(self.client.post_proposal, CODE, proposal, "key-post-2")
        self.assertEqual((error.kind, error.code), (ORANGE, "duplicate_booking"))

        deletion = {"ref": invoice.name, "post_key": "key-post-1"}
        self.assertEqual(
            self.client.delete_proposal(CODE, deletion, "key-del-1"), reference
        )
        self.env.invalidate_all()
        self.assertFalse(self._entries(invoice.name))
        self.assertEqual(self.client.delete_proposal(CODE, deletion, "key-del-1"), "")

    def test_journal_and_accounts_are_looked_up_once_per_run(self):
        calls = []
        call = self.client._call

        def counting(model, method, *args, **kwargs):
            calls.append(model)
            return call(model, method, *args, **kwargs)

        self.client._call = counting
        first, second = self._invoice(), self._invoice()
        self.client.post_proposal(CODE, first._accounting_proposal(), "key-run-1")
        booked_first = len(calls)
        self.client.post_proposal(CODE, second._accounting_proposal(), "key-run-2")
        self.assertNotIn("account.journal", calls[booked_first:])
        self.assertNotIn("account.account", calls[booked_first:])
        self.assertEqual(len(calls) - booked_first, booked_first - 2)
        self.env.invalidate_all()
        entry = self._entries(second.name)
        self.assertEqual(entry.journal_id, second.journal_id)
        self.assertEqual(
            sorted((l.account_id.code, l.debit) for l in entry.line_ids),
            sorted((l.account_id.code, l.debit) for l in second.line_ids),
        )

    def test_booked_proposal_cannot_be_deleted(self):
        invoice = self._invoice()
        reference = self.client.post_proposal(
            CODE, invoice._accounting_proposal(), "key-booked"
        )
        self.env.invalidate_all()
        self.env["account.move"].browse(int(reference)).action_post()
        error = self._error(
            self.client.delete_proposal,
            CODE,
            {"ref": invoice.name, "post_key": "key-booked"},
            "key-del",
        )
        self.assertEqual((error.kind, error.code), (ORANGE, "already_booked"))

    def test_functional_refusals_are_orange(self):
        proposal = self._invoice()._accounting_proposal()
        cases = {
            "unknown_journal": dict(proposal, journal_code="ZZZ", ref="R1"),
            "unknown_account": dict(
                proposal,
                ref="R2",
                lines=[dict(proposal["lines"][0], account_code="ZZ0000")]
                + proposal["lines"][1:],
            ),
            "wrong_vat_code": dict(
                proposal,
                ref="R3",
                lines=[dict(proposal["lines"][0], tax_names=["BTW 99%"])]
                + proposal["lines"][1:],
            ),
            # the package itself refuses an unbalanced entry (HTTP 422)
            "refused": dict(
                proposal,
                ref="R4",
                lines=[dict(proposal["lines"][0], debit=1.0, credit=0.0)],
            ),
        }
        for code, wrong in cases.items():
            with self.subTest(code=code):
                error = self._error(self.client.post_proposal, CODE, wrong, code)
                self.assertEqual((error.kind, error.code), (ORANGE, code))
        self.company.fiscalyear_lock_date = "2001-12-31"
        error = self._error(
            self.client.post_proposal, CODE, dict(proposal, date="2001-06-30"), "k"
        )
        self.assertEqual((error.kind, error.code), (ORANGE, "wrong_period"))

    def test_wrong_api_key_is_orange(self):
        client = OdooJson2Backend(
            self.base_url(), self.env.cr.dbname, "wrong-key", session=self.opener
        )
        error = self._error(client.activate_dossier, CODE)
        self.assertEqual((error.kind, error.code), (ORANGE, "authentication"))

    def test_unreachable_and_unavailable_package_is_transient(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        client = OdooJson2Backend(f"http://127.0.0.1:{closed_port}", "db", "key")
        error = self._error(client.activate_dossier, CODE)
        self.assertEqual((error.kind, error.code), (TRANSIENT, "connection"))

        server = ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}"
            error = self._error(
                OdooJson2Backend(url, "db", "key").activate_dossier, CODE
            )
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
        self.assertEqual((error.kind, error.retry_after), (TRANSIENT, 30))

    def test_connector_run_end_to_end(self):
        manager = new_test_user(
            self.env,
            login="conn_json2_manager",
            email="boekhouder@office.example.com",
            groups="account.group_account_manager",
        )
        backend = self.env["accounting.backend"].create(
            {
                "name": "Odoo package",
                "url": self.base_url(),
                "database": self.env.cr.dbname,
                "api_key": self.api_key,
                "active": False,
            }
        )
        dossier = self.env["accounting.dossier"].create(
            {
                "name": "Hoofdkantoor",
                "code": "KVK-TYPO",
                "backend_id": backend.id,
                "manager_ids": [Command.link(manager.id)],
            }
        )
        dossier.action_activate()

        client = backend._get_client(session=self.opener)

        def client_factory():
            return client

        backend._run(time_budget=60, client_factory=client_factory)
        self.env.invalidate_all()
        activation = dossier.task_ids
        self.assertEqual(activation.state, "failed")
        self.assertEqual(dossier.state, "blocked")
        self.assertEqual(dossier.marker, "orange")
        self.assertIn("dossier code", activation.instruction_action)
        self.assertTrue(
            self.env["mail.mail"].search(
                [("recipient_ids", "in", manager.partner_id.ids)]
            )
        )

        # the office types the right code and restarts with the arrows
        dossier.code = CODE
        activation.action_restart()
        backend._run(time_budget=60, client_factory=client_factory)
        self.env.invalidate_all()
        self.assertEqual(activation.state, "done")
        self.assertEqual(dossier.state, "active")
        self.assertEqual(dossier.marker, "none")
        self.assertEqual(dossier.package_name, self.company.name)

        invoice = self._invoice()
        backend._run(time_budget=60, client_factory=client_factory)
        self.env.invalidate_all()
        post = dossier.task_ids.filtered(lambda t: t.task_type == "post_proposal")
        self.assertEqual(post.state, "done")
        entry = self.env["account.move"].browse(int(post.external_ref))
        self.assertEqual((entry.state, entry.ref), ("draft", invoice.name))

        invoice.button_draft()
        backend._run(time_budget=60, client_factory=client_factory)
        self.env.invalidate_all()
        delete = dossier.task_ids.filtered(lambda t: t.task_type == "delete_proposal")
        self.assertEqual(delete.state, "done")
        self.assertFalse(entry.exists())
