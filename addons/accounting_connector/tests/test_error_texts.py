"""Every message of the backends reaches the user in their own language: written
once (``_lt`` where it is raised), English in the server log."""

from odoo.tests import TransactionCase, tagged

from ..backends import OfficeError, SupportError, perform
from ..backends.odoo_json2 import OdooJson2Backend
from ..models.accounting_task import error_text
from .common import load_dutch


@tagged("post_install", "-at_install")
class TestErrorTexts(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_dutch(cls.env)

    def _raised(self, function, *args):
        with self.assertRaises(OfficeError) as caught:
            function(*args)
        return caught.exception

    def test_error_keeps_english_for_the_log_and_dutch_for_the_user(self):
        request = {"dossier_code": "", "task_type": "sync_dossier"}
        error = self._raised(perform, None, request)
        self.assertEqual(str(error), "The dossier has no dossier code.")
        self.assertEqual(
            error_text(self.env(context={"lang": "nl_NL"}), error),
            "Het dossier heeft geen dossiercode.",
        )

    def test_values_are_filled_in_the_dutch_sentence(self):
        company = {"fiscalyear_lock_date": "2025-12-31", "hard_lock_date": False}
        error = self._raised(OdooJson2Backend._check_period, company, "2025-06-30")
        text = error_text(self.env(context={"lang": "nl_NL"}), error)
        # dates as the Dutch reader writes them, never ISO
        self.assertIn("30-06-2025", text)
        self.assertIn("31-12-2025", text)
        self.assertNotIn("2025-06-30", text)
        self.assertTrue(text.startswith("De periode van"), text)
        self.assertIn("is closed", str(error), "English in the server log")

    def test_free_text_errors_are_shown_as_they_are(self):
        error = SupportError("unexpected", "Something the package said.")
        self.assertEqual(
            error_text(self.env(context={"lang": "nl_NL"}), error),
            "Something the package said.",
        )
