"""Credits matched to invoices: paid, partly paid, overpaid, or why not."""

from odoo import fields
from odoo.tests import tagged

from .common import CUSTOMER_IBAN, Mt940Common, build_mt940, ensure_chart


@tagged("post_install", "-at_install")
class TestReconcile(Mt940Common):
    def _pay(self, *payments):
        return self.process(build_mt940(list(payments)))

    def test_exact_payment_makes_the_invoice_paid(self):
        invoice = self.create_invoice(121)
        record = self._pay({"amount": 121, "remi": f"Betaling {invoice.name}"})
        self.assertEqual(record.state, "processed", record.message)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(invoice.amount_residual, 0)
        self.assertEqual(invoice.overpaid_amount, 0)
        log = self.logs(record, "imported")
        self.assertEqual(log.invoice_ids, invoice)
        self.assertEqual(log.partner_id, self.customer)
        self.assertIn(invoice.name, log.message)
        self.assertTrue(record.statement_line_ids.is_reconciled)
        self.assertEqual(record.statement_line_ids.mt940_message, log.message)
        self.assertEqual(record.invoice_ids, invoice)
        action = record.action_open_statement_lines()
        lines = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(lines, record.statement_line_ids)
        action = record.action_open_invoices()
        self.assertEqual(
            self.env[action["res_model"]].search(action["domain"]), invoice
        )

    def test_number_written_differently_still_matches(self):
        invoice = self.create_invoice(50)
        prefix = invoice.sequence_prefix.replace("/", " ").lower()
        text = f"factuur {prefix}{invoice.sequence_number}"
        self._pay({"amount": 50, "remi": text})
        self.assertEqual(invoice.payment_state, "paid")

    def test_number_in_end_to_end_reference(self):
        invoice = self.create_invoice(75)
        self._pay(
            {"amount": 75, "remi": "bedankt", "eref": invoice.name.replace("/", "")}
        )
        self.assertEqual(invoice.payment_state, "paid")

    def test_partial_payment(self):
        invoice = self.create_invoice(200)
        record = self._pay({"amount": 80, "remi": invoice.name})
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(invoice.amount_residual, 120)
        self.assertIn(": Partly paid", self.logs(record, "imported").message)

    def test_invoice_shows_received_next_to_outstanding(self):
        partial = self.create_invoice(200)
        self._pay({"amount": 80, "remi": partial.name})
        self.assertEqual((partial.amount_received, partial.amount_residual), (80, 120))
        over = self.create_invoice(100)
        self._pay({"amount": 130, "remi": over.name})
        self.assertEqual((over.amount_received, over.amount_residual), (130, 0))
        form = self.env.ref("account.view_move_form")
        arch = self.env["account.move"].get_view(form.id, "form")["arch"]
        self.assertIn('name="amount_received"', arch)
        dutch = self.env["account.move"].with_context(lang="nl_NL")
        self.assertEqual(
            dutch.fields_get(["amount_received"])["amount_received"]["string"],
            "Ontvangen",
        )

    def test_dutch_log_uses_the_products_words_and_decimal_commas(self):
        partial = self.create_invoice(200)
        over = self.create_invoice(100)
        record = self.upload(
            build_mt940(
                [
                    {"amount": 80, "remi": partial.name},
                    {"amount": 125.5, "remi": over.name},
                ]
            )
        ).with_context(lang="nl_NL")
        record.action_process()
        messages = record.log_ids.mapped("message")
        self.assertEqual(messages[0], f"{partial.name}: Deels betaald")
        self.assertEqual(
            messages[1],
            f"{over.name}: Betaald; 25,50 te veel betaald, blijft open als tegoed "
            "van de klant",
        )

    def test_overpaid_invoice_keeps_the_surplus_as_open_credit(self):
        invoice = self.create_invoice(100)
        record = self._pay({"amount": 130, "remi": invoice.name})
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(invoice.overpaid_amount, 30)
        self.assertEqual(invoice.overpaid_badge, "overpaid")
        self.assertIn("30.00 overpaid", self.logs(record, "imported").message)
        receivable = record.statement_line_ids.move_id.line_ids.filtered(
            lambda x: x.account_type == "asset_receivable"
        )
        self.assertEqual(receivable.amount_residual, -30)
        self.assertEqual(receivable.partner_id, self.customer)
        overpaid = self.env["account.move"].search([("overpaid_amount", ">", 0)])
        self.assertIn(invoice, overpaid)
        # The open credit pays the next invoice; the surplus is then used up.
        second = self.create_invoice(30)
        (
            receivable
            + second.line_ids.filtered(lambda x: x.account_type == "asset_receivable")
        ).reconcile()
        self.assertEqual(second.payment_state, "paid")
        self.assertEqual(invoice.overpaid_amount, 0)
        self.assertFalse(invoice.overpaid_badge)
        search = self.env.ref("account.view_account_invoice_filter")
        arch = self.env["account.move"].get_view(search.id, "search")["arch"]
        self.assertIn('name="overpaid"', arch)
        invoice_list = self.env.ref("account.view_invoice_tree")
        arch = self.env["account.move"].get_view(invoice_list.id, "list")["arch"]
        self.assertIn('name="overpaid_badge"', arch)

    def test_one_payment_pays_several_invoices_in_the_order_named(self):
        first = self.create_invoice(100)
        second = self.create_invoice(50)
        third = self.create_invoice(80)
        text = f"{third.name} {first.name} {second.name}"
        record = self._pay({"amount": 150, "remi": text})
        self.assertEqual(third.payment_state, "paid")
        self.assertEqual(first.payment_state, "partial")
        self.assertEqual(first.amount_residual, 30)
        self.assertEqual(second.payment_state, "not_paid")
        log = self.logs(record, "imported")
        self.assertEqual(log.invoice_ids, third | first)
        self.assertIn("nothing left of the payment", log.message)

    def test_several_invoices_fully_paid_and_overpaid(self):
        first = self.create_invoice(100)
        second = self.create_invoice(50)
        self._pay({"amount": 170, "remi": f"{first.name}, {second.name}"})
        self.assertEqual((first | second).mapped("payment_state"), ["paid", "paid"])
        self.assertEqual(first.overpaid_amount, 0)
        self.assertEqual(second.overpaid_amount, 20)

    def test_match_by_amount_for_the_counterparty_account(self):
        invoice = self.create_invoice(64.5)
        self.create_invoice(99)
        record = self._pay(
            {"amount": 64.5, "remi": "bestelling", "iban": CUSTOMER_IBAN}
        )
        self.assertEqual(invoice.payment_state, "paid")
        self.assertIn("matched by amount", self.logs(record, "imported").message)

    def test_no_match_by_amount_when_two_invoices_have_that_amount(self):
        self.create_invoice(40)
        self.create_invoice(40)
        record = self._pay({"amount": 40, "remi": "bestelling"})
        log = self.logs(record, "unmatched")
        self.assertIn("several open invoices", log.message)
        self.assertEqual(log.partner_id, self.customer)
        self.assertFalse(record.statement_line_ids.is_reconciled)

    def test_no_number_and_unknown_account(self):
        self.create_invoice(10)
        record = self._pay(
            {"amount": 10, "remi": "zomaar", "iban": "NL44ABNA0548041814"}
        )
        self.assertEqual(
            self.logs(record, "unmatched").message, "no invoice number found"
        )
        line = record.statement_line_ids
        self.assertFalse(line.is_reconciled)
        self.assertEqual(line.amount, 10)

    def test_already_paid_invoice_is_reported(self):
        invoice = self.create_invoice(25)
        self._pay({"amount": 25, "remi": invoice.name, "ref": "00000000000101"})
        record = self._pay(
            {"amount": 25, "remi": invoice.name, "ref": "00000000000102"}
        )
        log = self.logs(record, "unmatched")
        self.assertEqual(log.message, f"invoice {invoice.name} is already paid")
        self.assertFalse(record.statement_line_ids.is_reconciled)

    def test_invoice_of_another_company_is_not_touched(self):
        other = self.env["res.company"].create(
            {"name": "Zuster BV", "country_id": self.env.ref("base.nl").id}
        )
        # Odoo's generic chart: Odoo's runner has no l10n_nl to load.
        ensure_chart(self.env, other)
        invoice = (
            self.env["account.move"]
            .with_company(other)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [
                        (0, 0, {"name": "x", "price_unit": 30, "tax_ids": []})
                    ],
                }
            )
        )
        invoice.action_post()
        record = self._pay({"amount": 30, "remi": invoice.name})
        self.assertEqual(
            self.logs(record, "unmatched").message,
            f"invoice {invoice.name} belongs to another company",
        )
        self.assertEqual(invoice.payment_state, "not_paid")
