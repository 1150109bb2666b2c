"""The SFTP server form: connection test, keys, secrets, refusals, as the
manager, the administrator and the bookkeeper."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import SftpExportCase


@tagged("post_install", "-at_install")
class TestServer(SftpExportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sshd()

    def test_connection_test_shows_and_trusts_the_host_key(self):
        self.assertFalse(self.server.host_key_fingerprint)
        action = self.server.with_user(self.manager).action_test_connection()
        fingerprint = self.sshd.host_fingerprint
        self.assertEqual(
            action["params"]["message"],
            f"Odoo can write in the folder; the server's host key {fingerprint} is "
            "trusted from now on.",
        )
        self.assertEqual(self.server.host_key_fingerprint, fingerprint)
        self.assertEqual(self.remote_files(), [], "the test file is removed again")

    def test_connection_test_message_is_one_dutch_sentence(self):
        self.server.port = 1
        as_dutch_manager = self.server.with_user(self.manager).with_context(
            lang="nl_NL"
        )
        with self.assertRaises(UserError) as caught:
            as_dutch_manager.action_test_connection()
        self.assertEqual(
            caught.exception.args[0],
            "De server 127.0.0.1 weigert verbindingen op poort 1: controleer de "
            "server en de poort.",
        )

    def test_bookkeeper_is_told_who_tests_the_connection(self):
        with self.assertRaisesRegex(
            AccessError, "Only accounting managers and administrators can test"
        ):
            self.server.with_user(self.bookkeeper).action_test_connection()

    def test_generated_key_is_shown_and_logs_in(self):
        self.assertTrue(self.server.public_key.startswith("ssh-ed25519 "))
        self.assertTrue(
            self.server.sudo().private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY")
        )
        self.assertEqual(self.server.auth_method, "key")
        self.server.with_user(self.admin).action_test_connection()  # it logs in

    def test_secrets_are_for_system_administrators_only(self):
        as_manager = self.server.with_user(self.manager)
        self.assertTrue(as_manager.public_key, "the public half is for everyone")
        with self.assertRaises(AccessError):
            as_manager.read(["private_key"])
        with self.assertRaises(AccessError):
            as_manager.read(["password"])
        with self.assertRaisesRegex(AccessError, "Only administrators can change"):
            as_manager.action_generate_key()
        # ...but the manager can test the connection with them.
        action = as_manager.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")

    def test_bad_credentials_are_explained(self):
        self.server.auth_method = "password"
        self.server.sudo().password = "not-the-password"
        with self.assertRaisesRegex(UserError, "refused the login of user"):
            self.server.with_user(self.manager).action_test_connection()

    def test_directory_with_parent_segments_is_refused(self):
        with self.assertRaisesRegex(Exception, "is not allowed: remove '..'"):
            self.server.directory = "/upload/../../etc"
