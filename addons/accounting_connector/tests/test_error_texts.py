"""Every message of the backends reaches the user in their own language (that
every kind has a Dutch template is checked for all addons in tests/)."""

from odoo.tests import TransactionCase, tagged

from ..backends import OfficeError, SupportError
from ..models.accounting_task import error_text


@tagged("post_install", "-at_install")
class TestErrorTexts(TransactionCase):
    def test_error_keeps_english_for_the_log_and_dutch_for_the_user(self):
        error = OfficeError("unknown_dossier", text="no_dossier_code")
        self.assertEqual(str(error), "The dossier has no dossier code.")
        self.assertEqual(
            error_text(self.env(context={"lang": "nl_NL"}), error),
            "Het dossier heeft geen dossiercode.",
        )

    def test_package_own_words_stay_as_sent(self):
        error = OfficeError(
            "refused",
            text="refused",
            params={"answer": "Journal entry is not balanced."},
        )
        text = error_text(self.env(context={"lang": "nl_NL"}), error)
        self.assertIn("Journal entry is not balanced.", text)
        self.assertTrue(text.startswith("Het boekhoudpakket"), text)

    def test_free_text_errors_are_shown_as_they_are(self):
        error = SupportError("unexpected", "Something the package said.")
        self.assertEqual(
            error_text(self.env(context={"lang": "nl_NL"}), error),
            "Something the package said.",
        )
