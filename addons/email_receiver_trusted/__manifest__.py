# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Trusted Email Receiver",
    "summary": "Invoice mail addresses that accept only trusted senders",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "Dutch Accounting Suite",
    "website": "https://github.com/dutch-accounting-suite/odoo-dutch-accounting",
    "maintainers": ["dutch-accounting-suite"],
    "development_status": "Beta",
    "license": "LGPL-3",
    "depends": ["account", "account_edi_ubl_cii", "mail"],
    "external_dependencies": {"python": []},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/mail_templates.xml",
        "views/email_receiver_views.xml",
        "views/email_receiver_trusted_menus.xml",
    ],
    "demo": ["demo/email_receiver_trusted_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "email_receiver_trusted/static/tests/tours/*.js",
        ],
    },
}
