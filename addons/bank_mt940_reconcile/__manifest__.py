# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "MT940 Bank Reconcile",
    "summary": "Dutch MT940 bank files reconciled with invoices by number",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "Dutch Accounting Suite",
    "website": "https://github.com/dutch-accounting-suite/odoo-dutch-accounting",
    "maintainers": ["dutch-accounting-suite"],
    "development_status": "Beta",
    "license": "LGPL-3",
    "depends": ["account", "mail"],
    "external_dependencies": {"python": ["mt-940"]},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "views/bank_mt940_upload_views.xml",
        "views/bank_mt940_file_views.xml",
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "views/bank_mt940_reconcile_menus.xml",
    ],
    "demo": ["demo/bank_mt940_reconcile_demo.xml"],
    "assets": {
        "web.assets_tests": ["bank_mt940_reconcile/static/tests/tours/*.js"],
    },
}
