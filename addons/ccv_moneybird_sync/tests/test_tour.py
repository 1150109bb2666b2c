"""The bookkeeper's path through the Open, Report and Errors tabs, in a browser."""

from odoo.tests import HttpCase, tagged

from .common import load_demo, load_dutch, office_users


@tagged("post_install", "-at_install")
class TestBookkeeperTour(HttpCase):
    # On a busy 2-core machine the first requests compile the asset bundles while
    # the others wait for the test cursor longer than Odoo's 20 s default.
    test_cursor_lock_timeout = 120

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_dutch(cls.env)
        # the tour looks for this name; a database whose demo data came from an
        # older version may still call it otherwise
        load_demo(cls.env).name = "Demowebwinkel"
        cls.bookkeeper = office_users(cls.env)["bookkeeper"]
        cls.bookkeeper.lang = "nl_NL"

    def test_bookkeeper_walks_the_three_tabs(self):
        self.start_tour(
            "/odoo/action-ccv_moneybird_sync.ccv_moneybird_connection_action",
            "ccv_moneybird_sync_tour",
            login=self.bookkeeper.login,
            timeout=300,  # a shared 2-core machine is slow to load the web client
        )
