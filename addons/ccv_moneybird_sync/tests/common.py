"""Shared set-up: the two local vendor servers and a connected connection."""

import datetime

from odoo.tests import TransactionCase, new_test_user
from odoo.tools.convert import convert_file

from ..clients.sync import forget_snapshots
from .fake_ccv import FakeCcv
from .fake_moneybird import ADMIN_ID, FakeMoneybird

# Moneybird's 150 requests per 5 minutes, with the window scaled down for the tests
TEST_WINDOW = 2.0
# 2026-11-20 10:00 UTC in CCV's epoch milliseconds
T0_MS = 1763632800000 + 365 * 86400 * 1000


def load_dutch(env):
    """Dutch active with this addon's terms: Odoo's runner starts without any Dutch."""
    env["res.lang"]._activate_lang("nl_NL") or env["res.lang"]._create_lang("nl_NL")
    env["ir.module.module"]._load_module_terms(["ccv_moneybird_sync"], ["nl_NL"])


def load_demo(env):
    """This addon's demo data, loaded by the test (Odoo's runner installs no demo)."""
    if not env.ref("ccv_moneybird_sync.ccv_moneybird_connection_demo", False):
        convert_file(
            env,
            "ccv_moneybird_sync",
            "demo/ccv_moneybird_sync_demo.xml",
            {},
            mode="init",
        )
    return env.ref("ccv_moneybird_sync.ccv_moneybird_connection_demo")


def office_users(env):
    """The users of a plain Community install (no "full accounting features")."""
    users = {}
    for key, groups in (
        ("bookkeeper", "base.group_user,account.group_account_invoice"),
        ("manager", "base.group_user,account.group_account_manager"),
        ("admin", "base.group_user,base.group_system,account.group_account_manager"),
    ):
        login = f"ccv_mb_{key}"
        users[key] = env["res.users"].search([("login", "=", login)]) or (
            new_test_user(env, login=login, groups=groups)
        )
    return users


def start_fakes(case_class, **moneybird_options):
    """Start both servers for a test class; they stop when the class is done."""
    ccv = FakeCcv().start()
    case_class.addClassCleanup(ccv.stop)
    moneybird_options.setdefault("window", TEST_WINDOW)
    moneybird = FakeMoneybird(**moneybird_options).start()
    case_class.addClassCleanup(moneybird.stop)
    return ccv, moneybird


class CcvMoneybirdCase(TransactionCase):
    """A connection whose CCV and Moneybird URLs point at the local servers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake_ccv, cls.fake_mb = start_fakes(cls)
        cls.accountant = new_test_user(
            cls.env,
            login="ccv_mb_accountant",
            groups="account.group_account_invoice",
        )
        cls.manager = new_test_user(
            cls.env,
            login="ccv_mb_manager",
            groups="account.group_account_manager",
        )

    def setUp(self):
        super().setUp()
        # every test starts from an empty vendor state
        self.fake_ccv.transactions.clear()
        self.fake_ccv.throttle_next = 0
        self.fake_mb.invoices.clear()
        self.fake_mb.hits.clear()
        self.fake_mb.log.clear()
        self.fake_mb.rate_limited = 0
        self.fake_mb.latency = 0.0
        self.fake_mb.reject_next_payment = None
        self.fake_mb.max_requests, self.fake_mb.window = 150, TEST_WINDOW
        # an earlier test's open invoices are not this test's
        forget_snapshots()
        # the request budget lives in the database, shared by all processes
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM ccv_moneybird_request")
        access, refresh = self.fake_mb.issue_tokens()
        self.connection = self.env["ccv.moneybird.connection"].create(
            {
                "name": "Webshop",
                "ccv_api_key": self.fake_ccv.api_key,
                "ccv_base_url": self.fake_ccv.url,
                "ccv_state": "connected",
                "ccv_fetched_until": datetime.datetime(2026, 11, 20, 0, 0),
                "moneybird_base_url": self.fake_mb.url,
                "moneybird_client_id": self.fake_mb.client_id,
                "moneybird_client_secret": self.fake_mb.client_secret,
                "moneybird_access_token": access,
                "moneybird_refresh_token": refresh,
                "moneybird_state": "connected",
                "moneybird_administration_id": ADMIN_ID,
                "moneybird_rate_window": TEST_WINDOW,
                "user_id": self.manager.id,
            }
        )
        accounts = self.env["ccv.moneybird.financial.account"].create(
            [
                {
                    "connection_id": self.connection.id,
                    "name": a["name"],
                    "moneybird_id": a["id"],
                }
                for a in self.fake_mb.financial_accounts
            ]
        )
        self.env["ccv.moneybird.method.map"].create(
            [
                {
                    "connection_id": self.connection.id,
                    "method": "ideal",
                    "financial_account_id": accounts[0].id,
                },
                {
                    "connection_id": self.connection.id,
                    "method": "card",
                    "financial_account_id": accounts[1].id,
                },
            ]
        )

    def ccv_payment(self, amount, order, status="success", method="ideal", **kw):
        """A payment in CCV, created after the connection's fetch cursor."""
        kw.setdefault("created_ms", T0_MS + len(self.fake_ccv.transactions) * 1000)
        kw.setdefault("description", f"Order {order}")
        return self.fake_ccv.add(
            amount=amount,
            status=status,
            method=method,
            merchant_order_reference=order,
            **kw,
        )

    def fetch(self):
        self.env["ccv.moneybird.connection"]._cron_fetch_payments()
        return self.env["ccv.payment"].search(
            [("connection_id", "=", self.connection.id)]
        )

    def payment(self, reference):
        return self.env["ccv.payment"].search(
            [("connection_id", "=", self.connection.id), ("reference", "=", reference)]
        )

    def moneybird_posts(self):
        return [
            e for e in self.fake_mb.log if e[0] == "POST" and e[1].startswith("/api/")
        ]
