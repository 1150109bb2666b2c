from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..services import sftp_client
from ..services.paths import PathError, validate_directory

AUTH_METHODS = [("password", "Password"), ("key", "Key")]


def _error_templates(env):
    """The client's messages (services.sftp_client.MESSAGES) in the user's language."""
    return {
        "bad_key": env._("The private key cannot be read (expected an OpenSSH key)."),
        "unreachable": env._("Cannot reach %(host)s:%(port)s: %(reason)s"),
        "ssh_failed": env._(
            "The SSH connection to %(host)s:%(port)s failed: %(reason)s"
        ),
        "host_key": env._(
            "The server %(host)s shows host key %(found)s instead of the trusted "
            "%(pinned)s. Nothing was sent. If the server was reinstalled, test the "
            "connection again to trust the new key."
        ),
        "login": env._(
            "The server %(host)s refused the login of user %(user)s: check the "
            "password or the key."
        ),
        "refused_write": env._("The server refused to write %(path)s: %(reason)s"),
        "interrupted": env._("Writing %(path)s was interrupted: %(reason)s"),
        "upload_gave_up": env._(
            "The upload of %(file)s failed after %(attempts)s attempts: %(cause)s"
        ),
        "probe_gave_up": env._(
            "The connection test failed after %(attempts)s attempts: %(cause)s"
        ),
        "incomplete": env._(
            "%(file)s was not sent: the export stopped before the file was complete."
        ),
        "upload_ended": env._(
            "The upload of %(file)s stopped unexpectedly (%(reason)s)."
        ),
    }


def error_text(env, error):
    """A client error as the bookkeeper reads it, in their language."""
    if not isinstance(error, sftp_client.SftpError):
        return str(error)
    template = _error_templates(env).get(error.kind)
    if not template:
        return str(error)
    params = {
        key: error_text(env, value) if isinstance(value, Exception) else str(value)
        for key, value in error.params.items()
    }
    return template % params


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
    host = fields.Char(string="Server", required=True, default="localhost")
    port = fields.Integer(default=22, required=True)
    directory = fields.Char(
        help="Folder on the server the files go to, e.g. /upload/odoo. "
        "Empty: the folder the user lands in after login.",
    )
    username = fields.Char(string="User", required=True, default="odoo")
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
                raise ValidationError(
                    self.env._(
                        "The directory %s is not allowed: it may not contain '..'.",
                        server.directory,
                    )
                ) from error

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

    def action_test_connection(self):
        """Connect, write a test file, show and trust the host key."""
        self.ensure_one()
        client = self._sftp_client()
        try:
            found = client.probe()
        except (sftp_client.SftpError, ValueError) as error:
            raise UserError(
                self.env._(
                    "The connection test failed: %s", error_text(self.env, error)
                )
            ) from error
        if not self.host_key_fingerprint:
            self.host_key_fingerprint = found
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Connection works"),
                "message": self.env._(
                    "The directory is writable. Host key fingerprint: %s", found
                ),
                "sticky": True,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_forget_host_key(self):
        """Trust the key the server shows at the next connection test."""
        self.ensure_one()
        self._check_system()
        self.host_key_fingerprint = False
        return True

    def _check_system(self):
        if not self.env.user.has_group("base.group_system"):
            raise UserError(
                self.env._("Only system administrators may change SFTP credentials.")
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
