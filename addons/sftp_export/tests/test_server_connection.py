"""The SFTP server form: connection test (asked in the form, done by the cron),
keys, secrets, refusals, as the administrator, the manager and the bookkeeper."""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import SftpExportCase


@tagged("post_install", "-at_install")
class TestServer(SftpExportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sshd()

    def test_connection_test_leaves_the_request_and_trusts_the_host_key(self):
        self.admin.lang = "nl_NL"  # the cron answers in the language of who asked
        as_admin = self.server.with_user(self.admin).with_context(lang="nl_NL")
        action = as_admin.action_test_connection()
        self.assertEqual(
            action["params"]["message"],
            "Bezig met testen van de verbinding met 127.0.0.1: je krijgt een "
            "bericht zodra de test klaar is.",
        )
        # Nothing was connected inside the request: the form says it is busy.
        self.assertFalse(self.server.host_key_fingerprint)
        labels = dict(
            self.server._fields["connection_state"]._description_selection(as_admin.env)
        )
        self.assertEqual(labels[self.server.connection_state], "Bezig met testen…")
        self.assertFalse(self.server.connection_tested_on)

        before = self.now()
        self.run_cron(self.test_cron)
        fingerprint = self.sshd.host_fingerprint
        self.assertEqual(self.server.connection_state, "ok")
        self.assertEqual(
            self.server.connection_result,
            "Odoo kan in de map schrijven; de hostsleutel "
            f"{fingerprint} van de server wordt vertrouwd.",
        )
        self.assertGreaterEqual(self.server.connection_tested_on, before)
        self.assertEqual(self.server.host_key_fingerprint, fingerprint)
        self.assertEqual(self.remote_files(), [], "the test file is removed again")
        # The administrator gets the result as a message in the web client.
        notice = (
            self.env["bus.bus"]
            .sudo()
            .search(
                [("channel", "like", f'"res.partner",{self.admin.partner_id.id}]')],
                order="id desc",
                limit=1,
            )
        )
        self.assertIn(fingerprint, notice.message)
        self.assertIn("simple_notification", notice.message)

    def test_failed_test_is_one_dutch_sentence_on_the_form(self):
        self.server.port = 1
        self.manager.lang = "nl_NL"
        state, result = self.connection_test(self.server, self.manager)
        self.assertEqual(state, "failed")
        self.assertEqual(
            result,
            "De server 127.0.0.1 weigert verbindingen op poort 1: controleer de "
            "server en de poort.",
        )
        self.assertFalse(self.server.host_key_fingerprint)

    def test_bookkeeper_is_told_who_tests_the_connection(self):
        as_dutch_bookkeeper = self.server.with_user(self.bookkeeper).with_context(
            lang="nl_NL"
        )
        with self.assertRaises(AccessError) as caught:
            as_dutch_bookkeeper.action_test_connection()
        self.assertEqual(
            caught.exception.args[0],
            "Alleen boekhoudmanagers en beheerders kunnen de verbinding met een "
            "SFTP-server testen.",
        )
        self.assertFalse(self.server.connection_state, "nothing was asked")

    def test_generated_key_is_shown_and_logs_in(self):
        self.assertTrue(self.server.public_key.startswith("ssh-ed25519 "))
        self.assertTrue(
            self.server.sudo().private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY")
        )
        self.assertEqual(self.server.auth_method, "key")
        # it logs in
        self.assertEqual(self.connection_test(self.server, self.admin)[0], "ok")

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
        self.assertEqual(self.connection_test(self.server, self.manager)[0], "ok")

    def test_bad_credentials_are_explained(self):
        self.server.auth_method = "password"
        self.server.sudo().password = "not-the-password"
        state, result = self.connection_test(self.server, self.manager)
        self.assertEqual(state, "failed")
        self.assertIn("refused the login of user", result)

    def test_directory_with_parent_segments_is_refused(self):
        with self.assertRaisesRegex(Exception, "is not allowed: remove '..'"):
            self.server.directory = "/upload/../../etc"
