"""The open Moneybird invoices a payment is matched against: read in pages, kept
for the worker's next runs, and what they miss looked up by number."""

import datetime
from unittest.mock import patch

from odoo.tests import tagged

from .common import CcvMoneybirdCase, office_users


@tagged("post_install", "-at_install")
class TestOpenInvoices(CcvMoneybirdCase):
    def test_open_invoices_are_read_in_pages_once_per_run(self):
        for number in range(1, 251):
            self.fake_mb.add_invoice(f"2026-{number:04d}", "1.00")
        for number in (3, 120, 249):
            self.ccv_payment("1.00", f"2026-{number:04d}")
        self.fetch()
        pages = [e for e in self.fake_mb.log if e[1].endswith("/sales_invoices.json")]
        self.assertEqual(len(pages), 3, "250 open invoices: three pages of 100")
        self.assertTrue(all("period:" in e[2]["filter"] for e in pages))
        self.assertEqual(len(self.moneybird_posts()), 3)

    def _list_reads(self):
        return [e for e in self.fake_mb.log if e[1].endswith("/sales_invoices.json")]

    def test_next_run_uses_the_open_invoices_read_before_and_looks_up_a_new_one(self):
        """The cron's next run (a loop, or after a used-up rate window) reads no pages
        again; an invoice made since is looked up by its number and registered."""
        for number in range(1, 151):
            self.fake_mb.add_invoice(f"2026-{number:04d}", "1.00")
        self.ccv_payment("1.00", "2026-0001")
        self.fetch()
        self.assertEqual(len(self._list_reads()), 2, "150 open invoices: two pages")

        self.fake_mb.add_invoice("2026-0900", "9.00")  # made in Moneybird since
        later = self.ccv_payment("9.00", "2026-0900")
        early = self.ccv_payment("1.00", "2026-0002")
        self.fetch()

        self.assertEqual(self.payment(later).state, "done")
        self.assertEqual(self.payment(early).state, "done")
        self.assertEqual(len(self._list_reads()), 2, "no page is read again")
        lookups = [e for e in self.fake_mb.log if "/find_by_invoice_id/" in e[1]]
        self.assertEqual(len(lookups), 1, "only the invoice the snapshot missed")
        self.assertEqual(self.fake_mb.duplicates(), 0)

    def test_open_invoice_missed_while_reading_pages_is_registered_not_an_error(self):
        """Another worker paid invoices while this one read the pages: the open list
        shifted and an open invoice was on no page this worker read. The payment is
        registered on it, not put in Errors as "no open invoice"."""
        invoice = self.fake_mb.add_invoice("2026-0950", "12.50")
        reference = self.ccv_payment("12.50", "2026-0950")
        listed = self.fake_mb._list_invoices

        def list_shifted(path, query):
            status, rows, headers = listed(path, query)
            return status, [r for r in rows if r is not invoice], headers

        with patch.object(self.fake_mb, "_list_invoices", list_shifted):
            self.fetch()
        payment = self.payment(reference)
        self.assertEqual(payment.state, "done", payment.error_reason)
        self.assertEqual(len(self.fake_mb.payments_with(reference)), 1)

    def test_refusal_on_an_invoice_read_earlier_is_checked_again(self):
        """The snapshot said 1.00 was open; since then a payment was removed in
        Moneybird and 30.00 is open: the payment of 30.00 is registered."""
        invoice = self.fake_mb.add_invoice("2026-0960", "30.00")
        invoice["total_unpaid"] = "1.00"
        self.fake_mb.add_invoice("2026-0961", "5.00")
        self.ccv_payment("5.00", "2026-0961")
        self.fetch()  # reads the open invoices: 2026-0960 with 1.00 open

        invoice["total_unpaid"] = "30.00"
        reference = self.ccv_payment("30.00", "2026-0960")
        self.fetch()
        payment = self.payment(reference)
        self.assertEqual(payment.state, "done", payment.error_reason)
        self.assertEqual(len(self._list_reads()), 1)

    def test_last_years_open_invoice_is_found(self):
        """Moneybird's default period is this year; we ask for more."""
        last_year = datetime.date(2025, 12, 15)
        self.fake_mb.add_invoice("2025-0999", "44.00", invoice_date=last_year)
        reference = self.ccv_payment("44.00", "2025-0999")
        self.fetch()
        self.assertEqual(self.payment(reference).state, "done")

    def test_process_button_reads_the_open_invoices_anew(self):
        """The cron's snapshot says invoice 2026-0970 is open; the bookkeeper then
        books it by hand in Moneybird. Pressing Process reads Moneybird again: the
        payment is not sent a second time but shown as paid by another payment."""
        invoice = self.fake_mb.add_invoice("2026-0970", "10.00")
        self.fake_mb.add_invoice("2026-0971", "5.00")
        self.ccv_payment("5.00", "2026-0971")
        reference = self.ccv_payment("10.00", "2026-0970", status="pending")
        self.fetch()  # the snapshot: 2026-0970 open for 10.00
        self.assertEqual(len(self._list_reads()), 1)

        invoice.update(state="paid", total_unpaid="0.00")
        invoice["payments"].append({"id": "1", "price": "10.00"})
        self.fake_ccv.set_status(reference, "success")
        bookkeeper = office_users(self.env)["bookkeeper"]
        self.payment(reference).with_user(bookkeeper).action_process()

        payment = self.payment(reference)
        self.assertEqual(len(self._list_reads()), 2, "read anew for the button")
        self.assertEqual(payment.error_code, "invoice_already_paid")
        self.assertFalse(self.fake_mb.payments_with(reference), "not sent twice")

    def test_payment_a_killed_worker_sent_is_not_registered_twice(self):
        """Another worker registered the payment of 2026-0980 in Moneybird and was
        killed before it committed that; this worker's kept open invoices still show
        2026-0980 open. The mark the killed worker committed before sending makes the
        cron ask Moneybird again: the payment is recorded as there, not sent twice."""
        invoice = self.fake_mb.add_invoice("2026-0980", "10.00")
        self.fake_mb.add_invoice("2026-0981", "5.00")
        self.ccv_payment("5.00", "2026-0981")
        self.fetch()  # this worker keeps the open invoices: 2026-0980 open, 10.00
        reference = self.ccv_payment("10.00", "2026-0980")
        # what the killed worker left behind: its mark, and the payment in Moneybird
        self.env.cr.execute(
            "INSERT INTO ccv_payment_sending (reference) VALUES (%s)", [reference]
        )
        invoice.update(state="paid", total_unpaid="0.00")
        invoice["payments"].append(
            {"id": "77", "price": "10.00", "transaction_identifier": reference}
        )

        cron = self.env.ref("ccv_moneybird_sync.ir_cron_fetch_payments")
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
        IrCron = type(self.env["ir.cron"])
        with patch.object(IrCron, "_commit_progress", lambda *a, **kw: 50.0):
            self.env["ccv.moneybird.connection"].with_context(
                ir_cron_progress_id=progress.id, cron_id=cron.id
            )._cron_fetch_payments()

        payment = self.payment(reference)
        self.assertEqual(payment.state, "done", payment.error_reason)
        self.assertEqual(len(self.fake_mb.payments_with(reference)), 1, "sent once")
        self.assertEqual(len(self._list_reads()), 1, "the kept invoices were used")
