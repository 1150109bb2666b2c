"""The sender-trust decision on raw headers, without the ORM."""

import json
from email import message_from_bytes, policy

from odoo.tests import BaseCase

from ..trust import (
    REASON_DMARC,
    REASON_INACTIVE,
    REASON_NO_TLS,
    REASON_UNTRUSTED,
    Policy,
    decide,
    dmarc_failed,
    parse_authentication_results,
    received_over_tls,
    sender_address,
    whitelist_matches,
)
from .common import DATA


def _headers(name):
    raw = (DATA / "headers" / name).read_bytes()
    message = message_from_bytes(raw, policy=policy.SMTP)
    return [(key, str(value)) for key, value in message.items()]


class TestHeaderGoldenFiles(BaseCase):
    def test_golden_headers(self):
        expected = json.loads((DATA / "headers" / "expected.json").read_text())
        for name, wanted in expected.items():
            with self.subTest(file=name):
                headers = _headers(name)
                from_header = next(v for k, v in headers if k == "From")
                self.assertEqual(received_over_tls(headers), wanted["tls"])
                self.assertEqual(sender_address(from_header), wanted["sender"])
                results = parse_authentication_results(headers)
                self.assertEqual(
                    dmarc_failed(results, "supplier.nl"), wanted["dmarc_failed"]
                )

    def test_only_our_authserv_id_counts_when_configured(self):
        headers = _headers("exim-esmtps-dmarc-fail.txt")
        self.assertTrue(parse_authentication_results(headers, ["mx.ourcompany.test"]))
        self.assertEqual(
            parse_authentication_results(headers, ["mx.elsewhere.test"]), []
        )

    def test_parsed_results(self):
        results = parse_authentication_results(
            _headers("postfix-starttls-dmarc-pass.txt")
        )
        self.assertEqual(
            [(r.method, r.result) for r in results],
            [("dkim", "pass"), ("dmarc", "pass"), ("spf", "pass")],
        )
        self.assertEqual(results[1].props["header.from"], "supplier.nl")
        self.assertEqual(results[0].authserv_id, "mx.ourcompany.test")


class TestWhitelist(BaseCase):
    def test_domain_matches_itself_case_insensitively(self):
        policy_ = Policy(
            active=True, whitelist_type="domain", whitelist_value="Supplier.NL"
        )
        self.assertTrue(whitelist_matches(policy_, "invoices@supplier.nl"))
        self.assertTrue(whitelist_matches(policy_, "jan@SUPPLIER.nl".lower()))

    def test_domain_refuses_look_alikes(self):
        policy_ = Policy(
            active=True, whitelist_type="domain", whitelist_value="supplier.nl"
        )
        for address in (
            "invoices@supplier.nl.evil.com",
            "invoices@mail.supplier.nl",
            "invoices@supp1ier.nl",
            "invoices@supplier-nl.com",
            "invoices@supplier.nl.",
            "invoices@xn--supplir-1ze.nl",
            "invoices@suppliеr.nl",  # Cyrillic e
            "invoices@evilsupplier.nl",
        ):
            with self.subTest(address=address):
                self.assertFalse(whitelist_matches(policy_, address))

    def test_single_address(self):
        policy_ = Policy(
            active=True, whitelist_type="email", whitelist_value="Invoices@Supplier.nl"
        )
        self.assertTrue(whitelist_matches(policy_, "invoices@supplier.nl"))
        self.assertFalse(whitelist_matches(policy_, "sales@supplier.nl"))
        self.assertFalse(whitelist_matches(policy_, "invoices@supplier.nl.evil.com"))

    def test_verified_users(self):
        policy_ = Policy(
            active=True,
            whitelist_type="verified_users",
            verified_addresses=frozenset({"bookkeeper@ourcompany.test"}),
        )
        self.assertTrue(whitelist_matches(policy_, "bookkeeper@ourcompany.test"))
        self.assertFalse(whitelist_matches(policy_, "stranger@ourcompany.test"))

    def test_sender_address_refuses_tricks(self):
        self.assertEqual(
            sender_address('"invoices@supplier.nl" <attacker@evil.com>'),
            "attacker@evil.com",
        )
        self.assertIsNone(sender_address("a@supplier.nl, b@evil.com"))
        self.assertIsNone(sender_address("not an address"))
        self.assertIsNone(sender_address(""))


class TestDecision(BaseCase):
    def setUp(self):
        super().setUp()
        self.policy = Policy(
            active=True, whitelist_type="domain", whitelist_value="supplier.nl"
        )

    def test_accepted(self):
        decision = decide(self.policy, "Supplier <invoices@supplier.nl>", True, [])
        self.assertTrue(decision.accepted)
        self.assertEqual(decision.sender, "invoices@supplier.nl")

    def test_each_refusal_reason(self):
        forged = parse_authentication_results(_headers("exim-esmtps-dmarc-fail.txt"))
        cases = [
            (
                Policy(False, "domain", "supplier.nl"),
                "invoices@supplier.nl",
                True,
                [],
                REASON_INACTIVE,
                True,
            ),
            (
                self.policy,
                "invoices@supplier.nl.evil.com",
                True,
                [],
                REASON_UNTRUSTED,
                False,
            ),
            (
                Policy(True, "domain", "supplier.nl", tls_only=True),
                "invoices@supplier.nl",
                False,
                [],
                REASON_NO_TLS,
                True,
            ),
            (self.policy, "invoices@supplier.nl", True, forged, REASON_DMARC, True),
        ]
        for policy_, sender, tls, results, reason, known in cases:
            with self.subTest(reason=reason):
                decision = decide(policy_, sender, tls, results)
                self.assertFalse(decision.accepted)
                self.assertEqual(decision.reason, reason)
                self.assertEqual(decision.known_sender, known)

    def test_tls_only_accepts_tls(self):
        policy_ = Policy(True, "domain", "supplier.nl", tls_only=True)
        self.assertTrue(decide(policy_, "invoices@supplier.nl", True, []).accepted)

    def test_dkim_pass_of_the_domain_saves_spf_fail(self):
        results = parse_authentication_results(
            _headers("microsoft-spf-fail-dkim-pass.txt")
        )
        self.assertTrue(
            decide(self.policy, "Invoices@Supplier.NL", True, results).accepted
        )
