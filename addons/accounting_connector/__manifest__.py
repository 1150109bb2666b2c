# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Accounting Connector",
    "summary": "Task queue per dossier to the accounting package, with instructions",
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
        "data/mail_templates.xml",
        "views/accounting_dossier_views.xml",
        "views/accounting_task_views.xml",
        "views/accounting_instruction_views.xml",
        "views/accounting_backend_views.xml",
        "views/accounting_connector_menus.xml",
    ],
    "demo": ["demo/accounting_connector_demo.xml"],
    "assets": {
        "web.assets_tests": ["accounting_connector/static/tests/tours/*.js"],
    },
}
