"""What the clients report reaches the bookkeeper in their language, also from crons."""

from odoo.tests import TransactionCase, tagged

from ..clients import ccv
from ..clients.errors import ApiError, DataError, Unprocessable, _lt
from ..models.ccv_moneybird_connection import error_text
from .common import CcvMoneybirdCase, load_dutch

UNREACHABLE = "http://127.0.0.1:9"  # nothing listens there: connection refused


@tagged("post_install", "-at_install")
class TestCronLanguage(CcvMoneybirdCase):
    """ir.cron gives no language: the company's language is used."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_dutch(cls.env)

    def setUp(self):
        super().setUp()
        self.connection.company_id.partner_id.lang = "nl_NL"
        # the cron's environment: no language at all
        self.cron_env = self.env(context={})

    def cron_fetch(self):
        self.assertFalse(self.cron_env.context.get("lang"))
        self.cron_env["ccv.moneybird.connection"]._cron_fetch_payments()

    def test_unreachable_ccv_is_reported_in_dutch(self):
        self.connection.ccv_base_url = UNREACHABLE
        self.cron_fetch()
        body = str(self.connection.message_ids[0].body)
        self.assertIn("Synchronisatie gestopt: Kon 127.0.0.1:9 niet bereiken", body)
        self.assertNotIn("Could not reach", body)

    def test_refused_ccv_key_is_reported_in_dutch(self):
        self.connection.write({"ccv_api_key": "t_wrongkey", "ccv_state": "connected"})
        self.cron_fetch()
        self.assertIn(
            "Synchronisatie gestopt: CCV accepteert de API-sleutel niet",
            str(self.connection.message_ids[0].body),
        )

    def test_recheck_cron_writes_dutch_too(self):
        reference = self.ccv_payment("5.00", "2026-0050", status="pending")
        self.cron_fetch()
        self.assertEqual(self.payment(reference).state, "open")
        self.connection.ccv_base_url = UNREACHABLE
        self.cron_env["ccv.moneybird.connection"]._cron_recheck_payments()
        self.assertIn(
            "Kon 127.0.0.1:9 niet bereiken", str(self.connection.message_ids[0].body)
        )

    def test_unreachable_moneybird_payment_error_in_dutch(self):
        self.fake_mb.add_invoice("2026-0051", "7.50")
        reference = self.ccv_payment("7.50", "2026-0051")
        self.connection.moneybird_base_url = UNREACHABLE
        self.cron_fetch()
        payment = self.payment(reference)
        self.assertEqual(payment.state, "error")
        self.assertEqual(
            payment.error_reason,
            "Moneybird was niet bereikbaar (Kon 127.0.0.1:9 niet bereiken). Vannacht "
            "wordt het opnieuw geprobeerd, of klik op Verwerk.",
        )

    def test_moneybird_own_words_kept_in_a_dutch_sentence(self):
        self.fake_mb.add_invoice("2026-0052", "9.00")
        self.fake_mb.reject_next_payment = {"payment_date": ["is in a locked period"]}
        reference = self.ccv_payment("9.00", "2026-0052")
        self.cron_fetch()
        self.assertEqual(
            self.payment(reference).error_reason,
            "Moneybird heeft de betaling geweigerd: payment_date is in a locked period",
        )


@tagged("post_install", "-at_install")
class TestErrorTemplates(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_dutch(cls.env)

    def test_errors_keep_english_for_the_log(self):
        with self.assertRaises(DataError) as caught:
            ccv.parse_transaction({"reference": "T1", "status": "weird"})
        self.assertEqual(
            str(caught.exception), "CCV transaction T1: unknown status 'weird'"
        )
        self.assertEqual(
            error_text(self.env(context={"lang": "nl_NL"}), caught.exception),
            "CCV-transactie T1: onbekende status 'weird'",
        )

    def test_remote_words_stay_as_received(self):
        error = Unprocessable(
            _lt("Moneybird refused the data: %s", "amount is too big"), 422
        )
        self.assertEqual(str(error), "Moneybird refused the data: amount is too big")
        text = error_text(self.env(context={"lang": "nl_NL"}), error)
        self.assertIn("amount is too big", text)
        self.assertNotIn("refused", text)
        http = ApiError(_lt("CCV answered HTTP %s", 502), 502)
        self.assertEqual(
            error_text(self.env(context={"lang": "nl_NL"}), http),
            "CCV antwoordde met HTTP 502",
        )
