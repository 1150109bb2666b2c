"""Every user-facing term of every addon has a Dutch translation in its i18n/nl.po."""

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

from .common import ADDONS, REPO


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
