"""Shared setup of the accounting connector tests."""

import threading
import time

from odoo.tests import TransactionCase, new_test_user

from ..backends import AccountingBackend

BOOKKEEPER_GROUPS = "base.group_user,account.group_account_invoice"
MANAGER_GROUPS = "account.group_account_manager"
ADMIN_GROUPS = "base.group_system,account.group_account_manager"


def load_dutch(env):
    """Dutch active with this addon's translations (a fresh database has none)."""
    env["res.lang"]._activate_lang("nl_NL")
    env["ir.module.module"]._load_module_terms(
        ["accounting_connector"], ["nl_NL"], overwrite=True
    )


def office_users(env, prefix, companies):
    """The users of a plain Community install: bookkeeper, manager, admin."""
    company_ids = companies.ids
    return {
        role: new_test_user(
            env,
            login=f"{prefix}_{role}",
            email=f"{prefix}.{role}@office.example.com",
            groups=groups,
            company_id=company_ids[0],
            company_ids=company_ids,
            lang="nl_NL",
        )
        for role, groups in (
            ("bookkeeper", BOOKKEEPER_GROUPS),
            ("manager", MANAGER_GROUPS),
            ("admin", ADMIN_GROUPS),
        )
    }


class ScriptedClient(AccountingBackend):
    """A package client for unit tests of the queue (the seam: ``client_factory``).

    It records every call and raises the errors it is given, per task type or once.
    The real client is tested against a live Odoo in test_odoo_json2.py.
    """

    def __init__(self, delay=0.0):
        self.calls = []
        self.errors = []  # raised one by one, first in first out
        self.delay = delay
        self._lock = threading.Lock()

    def _record(self, task_type, code, key=None):
        with self._lock:
            self.calls.append((task_type, code, key, threading.get_ident()))
        if self.delay:
            time.sleep(self.delay)
        if self.errors:
            raise self.errors.pop(0)

    def connect(self):
        return "scripted"

    def activate_dossier(self, dossier_code):
        self._record("activate_dossier", dossier_code)
        return {"name": f"Package {dossier_code}"}

    def sync_dossier(self, dossier_code):
        self._record("sync_dossier", dossier_code)
        return {"name": f"Package {dossier_code}"}

    def post_proposal(self, dossier_code, proposal, idempotency_key):
        self._record("post_proposal", dossier_code, idempotency_key)
        return f"move-{idempotency_key[:8]}"

    def delete_proposal(self, dossier_code, proposal, idempotency_key):
        self._record("delete_proposal", dossier_code, idempotency_key)
        return ""

    @property
    def keys(self):
        return [key for (_type, _code, key, _thread) in self.calls]


class ConnectorCase(TransactionCase):
    """A connector, two dossiers in their own companies, two managers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        load_dutch(cls.env)
        # dossiers already linked to our company (demo data) must not take
        # the tasks of the invoices the tests post
        cls.env["accounting.dossier"].search(
            [("company_id", "=", cls.env.company.id)]
        ).write({"state": "draft"})
        cls.company_a = cls.env["res.company"].create({"name": "Klant A BV"})
        cls.company_b = cls.env["res.company"].create({"name": "Klant B BV"})
        cls.manager = new_test_user(
            cls.env,
            login="conn_manager",
            email="manager@office.example.com",
            groups="account.group_account_manager",
            company_ids=[cls.env.company.id, cls.company_a.id, cls.company_b.id],
        )
        cls.manager_nl = new_test_user(
            cls.env,
            login="conn_manager_nl",
            email="beheerder@office.example.com",
            groups="account.group_account_invoice",
            company_ids=[cls.env.company.id, cls.company_a.id, cls.company_b.id],
            lang="nl_NL",
        )
        cls.users = office_users(
            cls.env, "office", cls.env.company | cls.company_a | cls.company_b
        )
        cls.bookkeeper = cls.users["bookkeeper"]
        cls.backend = cls.env["accounting.backend"].create(
            {
                "name": "Test package",
                "url": "http://127.0.0.1:9",
                "database": "nowhere",
                "api_key": "not-used-by-the-scripted-client",
                "active": False,  # no scheduled run during the tests
            }
        )
        cls.dossier_a = cls._dossier("Klant A", "A-001", cls.company_a)
        cls.dossier_b = cls._dossier("Klant B", "B-001", cls.company_b)

    @classmethod
    def _dossier(cls, name, code, company, state="active"):
        return cls.env["accounting.dossier"].create(
            {
                "name": name,
                "code": code,
                "company_id": company.id,
                "backend_id": cls.backend.id,
                "manager_ids": [(6, 0, (cls.manager | cls.manager_nl).ids)],
                "state": state,
                "activation_date": "2026-01-01 00:00:00"
                if state == "active"
                else False,
            }
        )

    def _task(self, dossier, task_type="post_proposal", name=None):
        return self.env["accounting.task"].create(
            {
                "dossier_id": dossier.id,
                "task_type": task_type,
                "record_name": name,
                "payload": {"ref": name} if name else {},
            }
        )

    def _run(self, client, budget=10, backend=None):
        """One connector run in the test transaction (workers use test cursors)."""
        backend = backend or self.backend
        with self.enter_registry_test_mode():
            return backend._run(time_budget=budget, client_factory=lambda: client)

    def _mails(self, **domain):
        return self.env["mail.mail"].search(
            [(key, "=", value) for key, value in domain.items()]
        )
