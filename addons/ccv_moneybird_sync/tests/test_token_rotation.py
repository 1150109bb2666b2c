"""Moneybird rotates the refresh token: the new one survives a rollback of the run
that asked for it and a second worker refreshing at the same moment.

These tests commit for real (each worker has its own cursor, as Odoo workers have)
and remove what they committed afterwards.
"""

import threading
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.orm.environments import Transaction
from odoo.tests import tagged

from .common import CcvMoneybirdCase
from .fake_moneybird import ADMIN_ID


@tagged("post_install", "-at_install")
class TestRefreshTokenRotation(CcvMoneybirdCase):
    def _committed_connection(self):
        access, refresh = self.fake_mb.issue_tokens()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            connection = env["ccv.moneybird.connection"].create(
                {
                    "name": "Token rotation",
                    "moneybird_base_url": self.fake_mb.url,
                    "moneybird_client_id": self.fake_mb.client_id,
                    "moneybird_client_secret": self.fake_mb.client_secret,
                    "moneybird_access_token": access,
                    "moneybird_refresh_token": refresh,
                    "moneybird_state": "connected",
                    "moneybird_administration_id": ADMIN_ID,
                }
            )
            connection_id = connection.id
        self.addCleanup(self._drop, connection_id)
        self.fake_mb.refresh_grants.clear()
        return connection_id, access, refresh

    def _drop(self, connection_id):
        self.fake_mb.token_delay = 0.0
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ccv.moneybird.connection"].browse(connection_id).unlink()

    def _stored(self, connection_id):
        """The tokens as every other worker reads them (committed)."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            connection = env["ccv.moneybird.connection"].browse(connection_id)
            return connection.moneybird_access_token, connection.moneybird_refresh_token

    def _accounts_in_own_transaction(self, connection_id, rollback=False):
        with self.registry.cursor() as cr:
            # given, not looked up: Odoo's runner holds the registry lock while it
            # runs the tests, and a worker thread looking it up would wait forever
            cr.transaction = Transaction(self.registry)
            env = api.Environment(cr, SUPERUSER_ID, {})
            connection = env["ccv.moneybird.connection"].browse(connection_id)
            client = connection._moneybird_client()
            accounts = client.financial_accounts()
            if rollback:
                connection.name = "Changed by a run that fails"
                cr.rollback()
            return accounts, client.tokens.refresh_token

    def test_rotated_refresh_token_survives_a_rollback_of_the_run(self):
        connection_id, access, first_refresh = self._committed_connection()
        self.fake_mb.access_tokens.pop(access)  # Moneybird answers 401: refresh

        accounts, used = self._accounts_in_own_transaction(connection_id, True)

        self.assertEqual(len(accounts), 2, "the call succeeded after the refresh")
        self.assertEqual(self.fake_mb.refresh_grants, [first_refresh])
        new_access, new_refresh = self._stored(connection_id)
        self.assertEqual(new_refresh, used, "the rotated token is kept")
        self.assertNotEqual(new_refresh, first_refresh)
        self.assertIn(new_refresh, self.fake_mb.refresh_tokens, "and still valid")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            name = env["ccv.moneybird.connection"].browse(connection_id).name
        self.assertEqual(name, "Token rotation", "the run itself was rolled back")

        # the next run uses the kept tokens; the next refresh sends the new token
        self._accounts_in_own_transaction(connection_id)
        self.assertEqual(self.fake_mb.refresh_grants, [first_refresh])
        self.fake_mb.access_tokens.pop(new_access)
        self._accounts_in_own_transaction(connection_id)
        self.assertEqual(self.fake_mb.refresh_grants, [first_refresh, new_refresh])

    def test_two_workers_refreshing_at_once_refresh_once(self):
        """Both workers get a 401 with the same tokens and refresh at the same moment:
        one asks Moneybird (slowly, holding the lock), the other waits for it and
        uses the tokens it stored. The old refresh token is sent once, never again."""
        connection_id, access, first_refresh = self._committed_connection()
        self.fake_mb.access_tokens.pop(access)
        self.fake_mb.token_delay = 0.5
        both_refreshing = threading.Barrier(2, timeout=20)
        Connection = type(self.env["ccv.moneybird.connection"])
        refresh_tokens = Connection._refresh_tokens

        def refresh_together(connection, stale):
            both_refreshing.wait()
            return refresh_tokens(connection, stale)

        results, failures = {}, []

        def worker(name):
            try:
                results[name] = self._accounts_in_own_transaction(connection_id)
            except Exception as exc:  # noqa: BLE001 - reported by the test below
                failures.append(exc)

        with patch.object(Connection, "_refresh_tokens", refresh_together):
            workers = [
                threading.Thread(target=worker, args=(name,)) for name in ("A", "B")
            ]
            for thread in workers:
                thread.start()
            for thread in workers:
                thread.join(timeout=60)
        self.assertFalse(
            any(thread.is_alive() for thread in workers), "both workers finished"
        )

        self.assertEqual(failures, [])
        self.assertEqual(len(results), 2)
        self.assertEqual(self.fake_mb.refresh_grants, [first_refresh], "one refresh")
        _access, stored_refresh = self._stored(connection_id)
        self.assertEqual(
            {used for _accounts, used in results.values()},
            {stored_refresh},
            "both workers continue with the stored tokens",
        )
        self.assertIn(stored_refresh, self.fake_mb.refresh_tokens)
