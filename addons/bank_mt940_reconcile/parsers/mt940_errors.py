"""The error of a file that cannot be read as MT940, with its messages.

Each message is written once, as a lazy translation: the model shows it in the
user's language (``error.translated(env)``), the log and the parser's own tests
in English (``str(error)``).
"""

from typing import ClassVar

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__, default_lang="en_US")


class Mt940Error(ValueError):
    """A file that cannot be read as MT940, with a code and a translatable message.

    ``error.translated(env)`` gives the message in the language of ``env``;
    ``str(error)`` the English one (logs, tests of the parser alone).
    """

    MESSAGES: ClassVar[dict] = {
        "empty": _lt("The file is empty. Download the file again from your bank."),
        "binary": _lt(
            "The file is not an MT940 bank statement (it is not text). Download "
            "the MT940 format from your bank."
        ),
        "too_large": _lt(
            "The file is larger than %(limit)s MB. Download a shorter period "
            "from your bank."
        ),
        "not_mt940": _lt(
            "The file is not an MT940 bank statement: no :20:, :25: and :60F: "
            "statement fields were found. Download the MT940 format from your bank."
        ),
        "no_account": _lt(
            "Statement %(statement)s has no account number (:25:): the file is "
            "incomplete. Download the file again from your bank."
        ),
        "no_opening": _lt(
            "Statement %(statement)s has no opening balance (:60F:): the file is "
            "incomplete. Download the file again from your bank."
        ),
        "no_closing": _lt(
            "Statement %(statement)s has no closing balance (:62F:): the file is "
            "incomplete. Download the file again from your bank; an accounting "
            "manager can also import it as it is (Import anyway)."
        ),
        "dot_amount": _lt(
            "Line %(line)s: the amount %(amount)s uses a dot; MT940 amounts use a "
            "comma as decimal separator. Download the file again from your bank "
            "without editing it."
        ),
        "bad_line": _lt(
            "Statement %(statement)s: this line cannot be read: %(text)s. Download "
            "the file again from your bank without editing it."
        ),
        "currency_mix": _lt(
            "Statement %(statement)s mixes the currencies %(currencies)s. Download "
            "the file again from your bank without editing it."
        ),
    }

    def __init__(self, code, **params):
        self.code = code
        self.params = params
        super().__init__(self.translated(None))

    def translated(self, env):
        """The message in the language of env (English without one)."""
        template = self.MESSAGES[self.code]
        text = env._(template) if env is not None else template._translate("en_US")
        return text % self.params if self.params else text
