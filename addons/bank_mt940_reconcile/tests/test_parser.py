"""The dialect layer, without the ORM: golden files and bad input."""

import json
from decimal import Decimal

import mt940

from odoo.tests.common import BaseCase

from odoo.addons.bank_mt940_reconcile.parsers import (
    InvoiceNumberFinder,
    Mt940Error,
    mt940_dialect,
)

from .common import DATA, SAMPLES, build_mt940


class TestGoldenFiles(BaseCase):
    def test_every_sample_gives_its_expected_transactions(self):
        self.assertGreaterEqual(len(SAMPLES), 13)
        for path in SAMPLES:
            with self.subTest(sample=path.name):
                expected = json.loads(path.with_name(path.name + ".json").read_text())
                parsed = [s.to_dict() for s in mt940_dialect.parse(path.read_bytes())]
                self.assertEqual(parsed, expected)

    def test_files_mt940_alone_refuses_are_read(self):
        for name in ("oca-ing.940", "oca-ing-old.940", "oca-ing-fin-blocks.940"):
            with self.subTest(sample=name):
                data = (DATA / name).read_bytes()
                with self.assertRaises(RuntimeError):
                    mt940.parse_statements(data)
                (statement,) = mt940_dialect.parse(data)
                self.assertEqual(statement.account, "NL77INGB0574908765")
                self.assertEqual(len(statement.transactions), 8)
                self.assertEqual(statement.balance_difference, 0)

    def test_ing_wrapped_fields_are_joined(self):
        (statement,) = mt940_dialect.parse(
            (DATA / "oca-ing-fin-blocks.940").read_bytes()
        )
        first, *_rest, debit = statement.transactions
        self.assertEqual(statement.number, "00000")  # :28C: over two lines
        self.assertEqual(first.bank_reference, "00000000001005")
        self.assertEqual(first.counterparty_name, "ING BANK NV INZAKE WEB")
        self.assertEqual(first.remittance, "EV10001REP1000000T1000")
        # Statement-level :86:/SUM/ after the closing balance is no transaction text.
        self.assertEqual(statement.info, "/SUM/4/4/134,46/36,58/")
        self.assertNotIn("SUM", debit.details)
        # A lone "-" inside :86: is data: the mandate is MND-EV01.
        self.assertIn("/MARF/MND-EV01//", statement.transactions[3].details)

    def test_rabobank_multi_statement_and_mid_word_wrap(self):
        statements = mt940_dialect.parse((DATA / "oca-rabo.swi").read_bytes())
        self.assertEqual(
            [s.reference for s in statements],
            ["940S140102", "940S140103", "940S140106", "940S140107"],
        )
        credit = statements[0].transactions[0]
        self.assertEqual(credit.counterparty_account, "NL66RABO0160878799")
        self.assertIn("Sheepcity Nederland NL", credit.details)

    def test_same_payment_in_day_and_month_file_has_same_import_id(self):
        payment = {"amount": 100, "remi": "INV/2026/00001", "ref": "00000000000042"}
        other = {"amount": 50, "remi": "INV/2026/00002", "ref": "00000000000043"}
        day_file = build_mt940([payment], reference="DAY")
        month_file = build_mt940([other, payment], reference="MONTH", opening=10)
        (day,) = mt940_dialect.parse(day_file)
        (month,) = mt940_dialect.parse(month_file)
        self.assertEqual(day.transactions[0].import_id, month.transactions[1].import_id)
        self.assertNotEqual(
            month.transactions[0].import_id, month.transactions[1].import_id
        )

    def test_two_identical_payments_on_one_day_are_two_transactions(self):
        payment = {"amount": 10, "remi": "contributie", "ref": "NONREF"}
        (statement,) = mt940_dialect.parse(build_mt940([payment, payment]))
        ids = [t.import_id for t in statement.transactions]
        self.assertEqual(len(set(ids)), 2)


class TestBadInput(BaseCase):
    def assertRefused(self, data, code):
        with self.assertRaises(Mt940Error) as caught:
            mt940_dialect.parse(data)
        self.assertEqual(caught.exception.code, code)
        self.assertTrue(str(caught.exception))
        return caught.exception

    def test_empty_and_binary(self):
        self.assertRefused(b"", "empty")
        self.assertRefused(b"   \n\n", "empty")
        self.assertRefused(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "binary")
        self.assertRefused(
            b"Datum;Bedrag;Omschrijving\n01-01-2026;10,00;x\n", "not_mt940"
        )

    def test_truncated_file(self):
        data = (DATA / "oca-ing.940").read_bytes()
        error = self.assertRefused(data[: data.index(b":62F:")], "no_closing")
        self.assertIn("P140220000000001", str(error))

    def test_ambiguous_amount_with_a_dot(self):
        data = build_mt940([{"amount": 1012.5, "remi": "x"}])
        for written in (b"1.012,50", b"1012.5", b"1.012.50"):
            with self.subTest(written=written):
                error = self.assertRefused(
                    data.replace(b"1012,50", written), "dot_amount"
                )
                self.assertIn(written.decode()[:5], str(error))

    def test_currency_mix_names_the_statement(self):
        data = build_mt940([{"amount": 10, "remi": "x"}], reference="P2601010009")
        # The closing balance in dollars, the opening balance in euros.
        self.assertEqual(data.count(b"EUR10,00"), 1)
        error = self.assertRefused(
            data.replace(b"EUR10,00", b"USD10,00"), "currency_mix"
        )
        # The statement's own reference, not a transaction's.
        self.assertIn("Statement P2601010009 mixes the currencies EUR, USD", str(error))

    def test_old_rabobank_amounts_with_a_dot_are_read(self):
        data = build_mt940([{"amount": 1000.12, "remi": "x"}], opening=50)
        old = data.replace(b"1000,12", b"000000001000.12").replace(
            b"50,00", b"000000000050.00"
        )
        self.assertIn(b"000000001000.12", old)
        (statement,) = mt940_dialect.parse(old)
        self.assertEqual(statement.transactions[0].amount, Decimal("1000.12"))
        self.assertEqual(statement.opening_balance, Decimal("50.00"))
        self.assertFalse(statement.balance_difference)

    def test_statements_joined_by_a_dos_end_of_file_mark(self):
        # zilverline's two_accounts.txt: Ctrl-Z right before the next :20:.
        first = build_mt940([{"amount": 10, "remi": "a"}], account="3462.483.153")
        second = build_mt940(
            [{"amount": 5, "remi": "b"}],
            account="1325.76.155",
            reference="P260101000000002",
            header=False,
        )
        statements = mt940_dialect.parse(first + b"\x1a" + second)
        self.assertEqual(
            [s.account for s in statements], ["3462.483.153", "1325.76.155"]
        )
        self.assertEqual([len(s.transactions) for s in statements], [1, 1])

    def test_old_rabobank_yen_amounts_end_in_a_bare_dot(self):
        # php-mt940's Rabobank sample: a JPY account, amounts without cents.
        data = build_mt940(
            [{"amount": 115351, "remi": "x"}], account="1700.59.308", currency="JPY"
        )
        old = data.replace(b"115351,00", b"00000000115351.").replace(
            b"0,00", b"00000000000000."
        )
        self.assertIn(b"JPY00000000115351.", old)
        (statement,) = mt940_dialect.parse(old)
        self.assertEqual(statement.transactions[0].amount, Decimal(115351))
        self.assertEqual(statement.closing_balance, Decimal(115351))
        self.assertFalse(statement.balance_difference)

    def test_non_utf8_text_is_read_with_the_right_letters(self):
        text = build_mt940(
            [{"amount": 5, "remi": "Café Hüsken ËLAN", "name": "Zoë Müller"}]
        ).decode()
        for encoding in ("utf-8", "latin-1", "cp1252", "cp852"):
            with self.subTest(encoding=encoding):
                (statement,) = mt940_dialect.parse(text.encode(encoding))
                transaction = statement.transactions[0]
                self.assertEqual(transaction.amount, Decimal("5.00"))
                self.assertEqual(transaction.counterparty_name, "Zoë Müller")
                self.assertEqual(transaction.remittance, "Café Hüsken ËLAN")

    def test_unbalanced_statement_is_detected(self):
        (statement,) = mt940_dialect.parse((DATA / "jejik-ing.sta").read_bytes())
        self.assertEqual(statement.balance_difference, Decimal("49.06"))


class TestEncoding(BaseCase):
    """UTF-8 first; else cp1252 or cp852, whichever gives plausible letters."""

    def test_code_page_of_dutch_names(self):
        cases = {
            "Café Hüsken": {"cp1252": "cp1252", "cp852": "cp852"},
            "Zoë Ëlsen": {"cp1252": "cp1252", "cp852": "cp852"},
            "Ë": {"cp1252": "cp1252", "cp852": "cp852"},
            "coöperatie": {"cp1252": "cp1252", "cp852": "cp852"},
            "Dvořák, Łódź": {"cp852": "cp852"},
        }
        for text, expected in cases.items():
            self.assertEqual(
                mt940_dialect.detect_encoding(text.encode()), "utf-8-sig", text
            )
            self.assertEqual(
                mt940_dialect.detect_encoding(("\ufeff" + text).encode()),
                "utf-8-sig",
            )
            for encoding, codec in expected.items():
                with self.subTest(text=text, encoding=encoding):
                    data = text.encode(encoding)
                    self.assertEqual(mt940_dialect.detect_encoding(data), codec)
                    self.assertEqual(data.decode(codec), text)

    def test_sharp_s_of_cp852_and_a_acute_of_cp1252(self):
        for name, encoding in (
            ("Müller Straße 5", "cp852"),
            ("Fuß en Strauß", "cp852"),
            ("Málaga José", "cp1252"),
        ):
            with self.subTest(name=name):
                data = build_mt940([{"amount": 5, "remi": name}]).decode()
                (statement,) = mt940_dialect.parse(data.encode(encoding))
                self.assertEqual(statement.transactions[0].remittance, name)

    def test_latin1_is_read_as_windows_1252(self):
        data = "Café Hüsken €".encode("cp1252")
        self.assertEqual(mt940_dialect.detect_encoding(data), "cp1252")
        self.assertEqual(
            mt940_dialect.detect_encoding("Zoë".encode("latin-1")), "cp1252"
        )

    def test_both_code_page_files_give_the_same_payments(self):
        results = [
            [s.to_dict() for s in mt940_dialect.parse((DATA / name).read_bytes())]
            for name in ("encoding-cp1252.940", "encoding-cp852.940")
        ]
        self.assertEqual(results[0], results[1])
        first, second = results[0][0]["transactions"]
        self.assertEqual(first["counterparty_name"], "Zoë Ëlsen")
        self.assertEqual(first["remittance"], "Factuur Café Hüsken")
        self.assertEqual(second["remittance"], "Reünie coöperatie ÖÜË")


class TestInvoiceNumbers(BaseCase):
    def setUp(self):
        super().setUp()
        self.finder = InvoiceNumberFinder(["INV/2026/", "INV/2025/", "RINV/2026/"])

    def test_tolerant_of_case_spaces_dashes_and_zeros(self):
        for text in (
            "INV/2026/00012",
            "inv/2026/00012",
            "Factuur INV 2026 12 dank u",
            "INV-2026-0012",
            "inv2026/12",
            "INV.2026.000012",
        ):
            with self.subTest(text=text):
                self.assertEqual(self.finder.find(text), [("INV2026", 12)])

    def test_several_numbers_in_the_order_named(self):
        found = self.finder.find("INV/2026/00003 en inv/2025/00001, INV/2026/00002")
        self.assertEqual(found, [("INV2026", 3), ("INV2025", 1), ("INV2026", 2)])

    def test_no_false_numbers(self):
        self.assertEqual(self.finder.find("RINV/2026/00005"), [("RINV2026", 5)])
        self.assertEqual(self.finder.find("Factuurnr 123456 Klantnr 00123"), [])
        self.assertEqual(self.finder.find("XINV/2026/00005"), [])
        self.assertEqual(InvoiceNumberFinder([]).find("INV/2026/00001"), [])
