# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "CCV Moneybird Sync",
    "summary": "CCV Online Payments registered once on open Moneybird invoices",
    "version": "19.0.1.1.0",
    "category": "Accounting/Accounting",
    "author": "Dutch Accounting Suite",
    "website": "https://github.com/dutch-accounting-suite/odoo-dutch-accounting",
    "maintainers": ["dutch-accounting-suite"],
    "development_status": "Beta",
    "license": "LGPL-3",
    "depends": ["account", "mail"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "views/ccv_key_wizard_views.xml",
        "views/ccv_moneybird_connection_views.xml",
        "views/ccv_payment_views.xml",
        "views/ccv_moneybird_sync_menus.xml",
    ],
    "demo": ["demo/ccv_moneybird_sync_demo.xml"],
    "assets": {
        "web.assets_backend": [
            "ccv_moneybird_sync/static/src/scss/ccv_moneybird_sync.scss",
        ],
        "web.assets_tests": [
            "ccv_moneybird_sync/static/tests/tours/ccv_moneybird_sync_tour.js",
        ],
    },
}
