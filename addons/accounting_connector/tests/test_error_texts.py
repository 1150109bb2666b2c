"""Every message of the backends reaches the user in their own language."""

from odoo.tests import TransactionCase, tagged

from ..backends import OfficeError, SupportError
from ..backends.base import MESSAGES
from ..models.accounting_task import _error_templates, error_text


@tagged("post_install", "-at_install")
class TestErrorTexts(TransactionCase):
    def _params(self, kind):
        # every placeholder of the English sentence gets a recognisable value
        names = [part.split(")s", 1)[0] for part in MESSAGES[kind].split("%(")[1:]]
        return {name: f"<{name}>" for name in names}

    def test_every_message_has_a_dutch_template(self):
        english = _error_templates(self.env(context={"lang": "en_US"}))
        dutch = _error_templates(self.env(context={"lang": "nl_NL"}))
        self.assertEqual(set(english), set(MESSAGES))
        self.assertEqual(set(dutch), set(MESSAGES))
        for kind, sentence in MESSAGES.items():
            with self.subTest(kind):
                params = self._params(kind)
                # the log's English and the user's English are the same sentence
                self.assertEqual(english[kind] % params, sentence % params)
                text = dutch[kind] % params  # no KeyError: same placeholders
                self.assertNotEqual(text, sentence % params, "not translated")
                for value in params.values():
                    self.assertIn(value, text)

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
