# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "SFTP Export",
    "summary": "Scheduled CSV exports with originals to your SFTP server",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "Dutch Accounting Suite",
    "license": "LGPL-3",
    "depends": ["account", "hr_expense", "mail"],
    "external_dependencies": {"python": ["paramiko", "cryptography"]},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/sftp_export_format_data.xml",
        "data/ir_cron_data.xml",
        "views/sftp_export_server_views.xml",
        "views/sftp_export_format_views.xml",
        "views/sftp_export_run_views.xml",
        "views/sftp_export_schedule_views.xml",
        "views/exported_on_views.xml",
        "views/sftp_export_menus.xml",
    ],
    "demo": ["demo/sftp_export_demo.xml"],
}
