from odoo import fields, models


class SftpExportServer(models.Model):
    _name = "sftp.export.server"
    _description = "SFTP server"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
