"""Every user-facing term of every addon has a Dutch translation in its i18n/nl.po."""

import re

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

from .common import ADDONS, REPO

# Terms a Dutch user reads exactly as in English: names, codes, and words Dutch shares.
SAME_IN_DUTCH = {
    # names of products, standards and payment methods
    "1. CCV Online Payments",
    "2. Moneybird",
    "Apple Pay",
    "Bancontact",
    "CCV",
    "CCV – Moneybird",
    "CSV",
    "Giropay",
    "Google Pay",
    "IBAN",
    "iDEAL",
    "Klarna",
    "Message-Id",
    "Moneybird",
    "MT940",
    "Odoo (JSON-2 API)",
    "PayPal",
    "Peppol",
    "SFTP",
    "Sofort",
    "TLS",
    "UBL",
    "URL",
    "UTF-8",
    "Windows-1252",
    "ZIP",
    # codes
    "ID",
    "id",
    # Dutch words spelled as the English ones
    "Alias",
    "Bank",
    "Connector",
    "Contact",
    "Dashboard",
    "Database",
    "Dataset",
    "Datasets",
    "Details",
    "Document",
    "Dossier",
    "Dossiers",
    "Log",
    "Monitoring",
    "Open",
    "Server",
    "Status",
    "Tab",
    "Terminal",
}
# What is left of a term without its placeholders (%s, %(name)s, {name}) and markup
PLACEHOLDERS = re.compile(r"%\([a-z_]+\)[sdf]|%[sdf]|\{[a-z_]*\}|<[^>]+>")


@tagged("post_install", "-at_install")
class TestDutchTranslations(TransactionCase):
    def test_every_term_has_a_dutch_translation(self):
        for addon in ADDONS:
            with self.subTest(addon=addon):
                po = polib.pofile(str(REPO / "addons" / addon / "i18n" / "nl.po"))
                translated = {entry.msgid for entry in po if entry.msgstr}
                terms = {
                    source
                    for (_module, _type, _name, _res_id, source, _value, _comments) in (
                        TranslationModuleReader(self.env.cr, modules=[addon])
                    )
                }
                self.assertTrue(terms, f"{addon} exports no terms at all")
                self.assertEqual(sorted(terms - translated), [], f"{addon}/i18n/nl.po")

    def test_no_term_is_left_in_english(self):
        """A Dutch text equal to the English one is an English text (names aside)."""
        for addon in ADDONS:
            with self.subTest(addon=addon):
                po = polib.pofile(str(REPO / "addons" / addon / "i18n" / "nl.po"))
                english = [
                    entry.msgid
                    for entry in po
                    if entry.msgstr.strip() == entry.msgid.strip()
                    and entry.msgid.strip() not in SAME_IN_DUTCH
                    and re.search(r"[A-Za-z]", PLACEHOLDERS.sub("", entry.msgid))
                ]
                self.assertEqual(english, [], f"{addon}/i18n/nl.po: still English")

    def test_apps_list_shows_the_modules_in_dutch(self):
        """A Dutch administrator finds the addons under Apps by their Dutch name."""
        self.env["res.lang"]._activate_lang("nl_NL")
        modules = self.env["ir.module.module"].search([("name", "in", ADDONS)])
        self.assertEqual(sorted(modules.mapped("name")), sorted(ADDONS))
        # Load the Dutch terms as Settings > Translations does, also in a database
        # where Dutch was added before the addons were installed.
        modules._update_translations("nl_NL")
        for module in modules.with_context(lang="nl_NL"):
            with self.subTest(addon=module.name):
                po = polib.pofile(
                    str(REPO / "addons" / module.name / "i18n_extra" / "nl.po")
                )
                dutch = {entry.msgid: entry.msgstr for entry in po}
                english = module.with_context(lang="en_US")
                self.assertEqual(module.shortdesc, dutch[english.shortdesc])
                self.assertEqual(module.summary, dutch[english.summary])
                self.assertNotEqual(module.shortdesc, english.shortdesc)
