"""The bookkeeper's path in the web client (headless Chromium)."""

from odoo.tests import HttpCase, tagged

from .common import build_mail, load_dutch, make_users


@tagged("post_install", "-at_install")
class TestBookkeeperTour(HttpCase):
    # On a busy 2-core machine the first requests compile the asset bundles while
    # the others wait for the test cursor longer than Odoo's 20 s default.
    test_cursor_lock_timeout = 120

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_dutch(cls.env)
        company = cls.env.company
        if not company.alias_domain_id:
            company.alias_domain_id = cls.env["mail.alias.domain"].create(
                {"name": "ourcompany.test"}
            )
        cls.bookkeeper, _manager, _admin = make_users(cls.env, prefix="erc_tour")
        cls.bookkeeper.lang = "nl_NL"
        supplier = cls.env["res.partner"].create(
            {"name": "Tour Leverancier BV", "email": "factuur@tour-leverancier.nl"}
        )
        cls.receiver = cls.env["email.receiver"].create(
            {
                "partner_id": supplier.id,
                "contact_email": "contact@tour-leverancier.nl",
                "whitelist_type": "domain",
                "whitelist_value": "tour-leverancier.nl",
                "confirm_to_sender": False,
            }
        )
        cls.receiver.action_activate()
        gateway = cls.env["mail.thread"]
        gateway.message_process(
            None,
            build_mail(
                "Tour Leverancier <factuur@tour-leverancier.nl>",
                cls.receiver.alias_email,
                subject="Factuur TOUR-1",
            ),
        )
        gateway.message_process(
            None,
            build_mail(
                "Oplichter <factuur@tour-leverancier.nl.example>",
                cls.receiver.alias_email,
                subject="Factuur TOUR-2",
                attachments=("invoice-2026-002.pdf",),
            ),
        )

    def test_bookkeeper_opens_a_receiver_and_its_received_mail(self):
        self.assertEqual(
            sorted(self.receiver.log_ids.mapped("state")), ["accepted", "refused"]
        )
        self.start_tour(
            "/odoo",
            "email_receiver_trusted_tour",
            login=self.bookkeeper.login,
            timeout=240,
        )
