from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..services import sftp_client
from ..services.paths import PathError, validate_directory

AUTH_METHODS = [("password", "Password"), ("key", "Key")]


class SftpExportServer(models.Model):
    _name = "sftp.export.server"
    _description = "SFTP server"
    _check_company_auto = True
    _order = "name, id"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    host = fields.Char(string="Server", required=True)
    port = fields.Integer(default=22, required=True)
    directory = fields.Char(
        string="Folder",
        help="Folder on the server the files go to, e.g. /upload/odoo. "
        "Empty: the folder the user lands in after login.",
    )
    username = fields.Char(string="User", required=True)
    auth_method = fields.Selection(
        AUTH_METHODS, string="Authentication", required=True, default="password"
    )
    # Secrets: only system administrators read or write them.
    password = fields.Char(groups="base.group_system", copy=False, exportable=False)
    private_key = fields.Text(groups="base.group_system", copy=False, exportable=False)
    public_key = fields.Char(
        readonly=True,
        copy=False,
        help="Add this line to the authorized_keys file of the user on the server.",
    )
    host_key_fingerprint = fields.Char(
        string="Trusted host key",
        readonly=True,
        copy=False,
        help="Fingerprint of the server's host key, trusted at the first successful "
        "connection test. A server showing another key is refused.",
    )

    _port_range = models.Constraint(
        "CHECK(port > 0 AND port < 65536)",
        "The port must be between 1 and 65535.",
    )

    @api.constrains("directory")
    def _check_directory(self):
        for server in self:
            try:
                validate_directory(server.directory)
            except PathError as error:
                raise ValidationError(server._folder_refusal()) from error

    def action_generate_key(self):
        """Create an Ed25519 key pair; the private half stays in Odoo."""
        self.ensure_one()
        self._check_system()
        private, public = sftp_client.generate_ed25519_key(
            f"odoo-{self.env.cr.dbname}-{self.id}"
        )
        self.sudo().write(
            {"private_key": private, "public_key": public, "auth_method": "key"}
        )
        return True

    def action_forget_host_key(self):
        """Trust the key the server shows at the next connection test."""
        self.ensure_one()
        self._check_system()
        self.host_key_fingerprint = False
        return True

    def _check_system(self):
        if not self.env.user.has_group("base.group_system"):
            raise AccessError(
                self.env._(
                    "Only administrators can change the key or the trusted host "
                    "key of an SFTP server."
                )
            )

    def _folder_refusal(self):
        return self.env._(
            "The folder %s is not allowed: remove '..' and the characters \\ "
            "and NUL from it.",
            self.directory,
        )

    def _remote_url(self, file_name=""):
        self.ensure_one()
        directory = validate_directory(self.directory)
        if directory and not directory.startswith("/"):
            directory = "/" + directory
        path = f"{directory}/{file_name}" if file_name else directory or "/"
        return f"sftp://{self.host}:{self.port}{path}"

    def _sftp_client(self, **kwargs):
        """A client with the server's settings.

        sudo: the secrets are read to connect only; they never leave this method's
        client object and are not shown to the user running the export.
        """
        self.ensure_one()
        server = self.sudo()
        settings = sftp_client.SftpSettings(
            host=server.host,
            port=server.port,
            username=server.username,
            password=server.password if server.auth_method == "password" else "",
            private_key=server.private_key if server.auth_method == "key" else "",
            host_key_fingerprint=server.host_key_fingerprint or "",
            directory=server.directory or "",
        )
        if server.auth_method == "key" and not settings.private_key:
            raise UserError(
                self.env._("Generate a key for the server %s first.", server.name)
            )
        return sftp_client.SftpClient(settings, **kwargs)
