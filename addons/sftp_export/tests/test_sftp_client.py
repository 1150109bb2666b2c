"""The SFTP client against a real OpenSSH sshd: logins, host-key pinning, the
upload under a temporary name, cut connections, a full disk, and a file that
is on the server already (delivered once, never renamed twice)."""

import io
import socket
import threading
import time
from unittest.mock import patch

from odoo.tests import BaseCase
from odoo.tools import mute_logger

from odoo.addons.sftp_export.services import sftp_client
from odoo.addons.sftp_export.services.paths import MAX_NAME_LENGTH
from odoo.addons.sftp_export.services.sftp_client import (
    HostKeyMismatchError,
    RetryableSftpError,
    SftpClient,
    SftpError,
    SftpSettings,
)

from .sshd import SshServer


class CallAtRead(io.BytesIO):
    """A file that calls action once, when its reader gets past offset bytes
    (the upload is then half way)."""

    def __init__(self, data, offset, action):
        super().__init__(data)
        self.offset = offset
        self.action = action
        self.done = False

    def read(self, size=-1):
        if not self.done and self.tell() >= self.offset:
            self.done = True
            self.action()
        return super().read(size)


class TestClientUnit(BaseCase):
    def test_settings_never_show_secrets(self):
        settings = SftpSettings(
            host="h", username="u", password="Geheim-1", private_key="KEY-TEXT"
        )
        self.assertNotIn("Geheim-1", repr(settings))
        self.assertNotIn("KEY-TEXT", repr(settings))

    def test_generated_key_is_a_usable_ed25519_pair(self):
        private, public = sftp_client.generate_ed25519_key("odoo-test")
        key = sftp_client.load_private_key(private)
        self.assertEqual(public.split()[0], "ssh-ed25519")
        self.assertEqual(public.split()[2], "odoo-test")
        self.assertEqual(key.get_base64(), public.split()[1])

    def test_an_unreadable_key_says_what_to_do(self):
        with self.assertRaisesRegex(SftpError, "generate a new key"):
            sftp_client.load_private_key("not a key")


class TestAgainstOpenSsh(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The tests cut connections on purpose: paramiko's transport thread logs
        # each cut as an error, sometimes after the test that caused it ended.
        cls.enterClassContext(mute_logger("paramiko.transport"))
        cls.sshd = SshServer().start()
        cls.addClassCleanup(cls.sshd.cleanup)
        cls.private_key, public = sftp_client.generate_ed25519_key("test")
        cls.sshd.authorize(public)

    def setUp(self):
        super().setUp()
        for path in self.sshd.upload_dir.iterdir():
            path.unlink()
        if self.sshd.process.poll() is not None:
            self.sshd._spawn()

    def client(self, directory=None, **settings):
        values = {
            "host": "127.0.0.1",
            "port": self.sshd.port,
            "username": self.sshd.user,
            "private_key": self.private_key,
            "directory": str(self.sshd.upload_dir if directory is None else directory),
            **settings,
        }
        return SftpClient(SftpSettings(**values), timeout=5)

    def files(self, directory=None):
        return sorted(
            path.name for path in (directory or self.sshd.upload_dir).iterdir()
        )

    def test_key_login_upload_and_rename(self):
        data = b"Number;Total\r\nBILL/1;12,50\r\n" * 1000
        path, sent = self.client().upload(io.BytesIO(data), "bills.csv")
        self.assertEqual(path, f"{self.sshd.upload_dir}/bills.csv")
        self.assertTrue(sent)
        self.assertEqual(self.files(), ["bills.csv"], "no temporary file left behind")
        self.assertEqual((self.sshd.upload_dir / "bills.csv").read_bytes(), data)

    def test_a_file_on_the_server_already_is_not_sent_or_renamed_again(self):
        data = b"x" * 300_000
        self.client().upload(io.BytesIO(data), "bills.csv")
        final = self.sshd.upload_dir / "bills.csv"
        inode = final.stat().st_ino
        _path, sent = self.client().upload(io.BytesIO(data), "bills.csv")
        self.assertFalse(sent, "found whole under the final name")
        self.assertEqual(final.stat().st_ino, inode, "not replaced by a rename")
        self.assertEqual(self.files(), ["bills.csv"])
        # Other bytes under the same name (another export of the same second)
        # are kept; this file gets the next free number.
        path, sent = self.client().upload(io.BytesIO(b"y" * 300_000), "bills.csv")
        self.assertTrue(sent)
        self.assertEqual(path, f"{self.sshd.upload_dir}/bills_2.csv")
        self.assertEqual(final.read_bytes(), data)
        self.assertEqual(self.files(), ["bills.csv", "bills_2.csv"])
        path, sent = self.client().upload(io.BytesIO(b"y" * 300_000), "bills.csv")
        self.assertEqual((path.rsplit("/", 1)[1], sent), ("bills_2.csv", False))

    def test_a_name_of_the_longest_length_still_gets_a_numbered_name(self):
        name = "b" * (MAX_NAME_LENGTH - 4) + ".csv"
        (self.sshd.upload_dir / name).write_bytes(b"another export")
        path, sent = self.client().upload(io.BytesIO(b"mine"), name)
        numbered = path.rsplit("/", 1)[1]
        self.assertTrue(sent)
        self.assertEqual(numbered, "b" * (MAX_NAME_LENGTH - 6) + "_2.csv")
        self.assertEqual((self.sshd.upload_dir / numbered).read_bytes(), b"mine")
        self.assertEqual(self.files(), sorted([name, numbered]), "no .part left")

    def test_a_folder_full_of_same_name_files_is_refused_with_what_to_do(self):
        for number in range(1, sftp_client.MAX_SAME_NAME + 1):
            name = "bills.csv" if number == 1 else f"bills_{number}.csv"
            (self.sshd.upload_dir / name).write_bytes(b"other")
        with self.assertRaises(SftpError) as caught:
            self.client().upload(io.BytesIO(b"mine"), "bills.csv")
        self.assertFalse(caught.exception.retryable)
        self.assertIn(
            "move them away, then send the export again", str(caught.exception)
        )
        self.assertEqual(len(self.files()), sftp_client.MAX_SAME_NAME, "no .part left")

    def test_probe_returns_the_host_key_fingerprint(self):
        self.assertEqual(self.client().probe(), self.sshd.host_fingerprint)
        self.assertEqual(self.files(), [], "the test file is removed")

    def test_password_login(self):
        if self.sshd.as_root:
            client = self.client(private_key="", password=self.sshd.password)
            client.upload(io.BytesIO(b"x"), "with_password.csv")
            self.assertEqual(self.files(), ["with_password.csv"])
        with self.assertRaisesRegex(SftpError, "check the password or the key"):
            self.client(private_key="", password="wrong").probe()

    def test_bad_key_fails_with_a_clear_final_message(self):
        other_key, _public = sftp_client.generate_ed25519_key()
        with self.assertRaises(SftpError) as caught:
            self.client(private_key=other_key).upload(io.BytesIO(b"x"), "a.csv")
        self.assertFalse(caught.exception.retryable, "trying again will not help")
        self.assertEqual(
            str(caught.exception),
            f"The server 127.0.0.1 refused the login of user {self.sshd.user}: "
            "check the password or the key.",
        )
        self.assertEqual(self.files(), [])

    def test_read_only_directory_is_reported(self):
        client = self.client(directory=self.sshd.readonly_dir)
        with self.assertRaisesRegex(SftpError, "give the user write access") as caught:
            client.upload(io.BytesIO(b"x"), "a.csv")
        self.assertFalse(caught.exception.retryable)
        with self.assertRaisesRegex(SftpError, "give the user write access"):
            client.probe()

    def test_missing_directory_is_reported(self):
        client = self.client(directory=self.sshd.upload_dir / "missing")
        with self.assertRaisesRegex(SftpError, "does not exist on the server"):
            client.upload(io.BytesIO(b"x"), "a.csv")

    def test_changed_host_key_is_refused(self):
        trusted = self.client().probe()
        self.sshd.restart_with_new_host_key()
        self.addCleanup(self.sshd.restore_host_key)
        pinned = self.client(host_key_fingerprint=trusted)
        with self.assertRaisesRegex(HostKeyMismatchError, "instead of the trusted"):
            pinned.upload(io.BytesIO(b"x"), "a.csv")
        self.assertEqual(self.files(), [], "nothing sent to an unknown server")

    def test_connection_cut_mid_upload_leaves_nothing_under_the_final_name(self):
        data = b"y" * 2_000_000
        with self.assertRaisesRegex(RetryableSftpError, "sent again automatically"):
            self.client().upload(
                CallAtRead(data, 500_000, self.sshd.kill_sessions), "bills.csv"
            )
        self.assertNotIn("bills.csv", self.files())
        # The next attempt (the cron's) delivers it whole, once.
        _path, sent = self.client().upload(io.BytesIO(data), "bills.csv")
        self.assertTrue(sent)
        self.assertEqual((self.sshd.upload_dir / "bills.csv").read_bytes(), data)
        finals = [name for name in self.files() if not name.startswith(".")]
        self.assertEqual(finals, ["bills.csv"])

    def test_the_login_made_while_the_file_is_made_is_used_once(self):
        client = self.client()
        with patch.object(client, "_connect__", wraps=client._connect__) as connect:
            client.connect_ahead()
            path, sent = client.upload(io.BytesIO(b"ahead"), "ahead.csv")
        self.assertEqual(path, f"{self.sshd.upload_dir}/ahead.csv")
        self.assertTrue(sent)
        self.assertEqual(connect.call_count, 1, "one login for the delivery")
        self.assertEqual((self.sshd.upload_dir / "ahead.csv").read_bytes(), b"ahead")

    def test_a_login_cut_while_the_file_is_made_is_made_again(self):
        client = self.client()
        client.connect_ahead()
        transport, _sftp = client._ahead.result()
        self.sshd.kill_sessions()  # an idle connection dropped by a firewall
        _wait_until(lambda: not transport.is_active())
        _path, sent = client.upload(io.BytesIO(b"again"), "again.csv")
        self.assertTrue(sent)
        self.assertEqual(self.files(), ["again.csv"])

    def test_a_changed_host_key_found_ahead_stops_the_upload(self):
        trusted = self.client().probe()
        self.sshd.restart_with_new_host_key()
        self.addCleanup(self.sshd.restore_host_key)
        pinned = self.client(host_key_fingerprint=trusted)
        pinned.connect_ahead()
        with self.assertRaisesRegex(HostKeyMismatchError, "instead of the trusted"):
            pinned.upload(io.BytesIO(b"x"), "a.csv")
        self.assertEqual(self.files(), [], "nothing sent to an unknown server")

    def test_close_ends_a_login_no_upload_took(self):
        client = self.client()
        client.connect_ahead()
        ahead = client._ahead
        client.close()  # the file could not be made: nothing to send
        transport, _sftp = ahead.result()
        _wait_until(lambda: not transport.is_active())
        self.assertFalse(transport.is_active())

    def test_server_stopped_mid_upload(self):
        with self.assertRaises(RetryableSftpError):
            self.client().upload(
                CallAtRead(b"x" * 2_000_000, 500_000, self.sshd.stop), "bills.csv"
            )
        self.assertNotIn("bills.csv", self.files())

    def test_full_disk_is_reported_and_leaves_no_file(self):
        small = self.sshd.small_disk(size_kb=64)
        client = self.client(directory=small)
        with self.assertRaisesRegex(RetryableSftpError, "its disk may be full"):
            client.upload(io.BytesIO(b"z" * 200_000), "bills.csv")
        self.assertEqual(self.files(small), [], "the partial upload is removed")
        client.upload(io.BytesIO(b"z" * 20_000), "small.csv")
        self.assertEqual(self.files(small), ["small.csv"])

    def test_unreachable_port_is_one_sentence(self):
        with self.assertRaises(RetryableSftpError) as caught:
            self.client(port=1).upload(io.BytesIO(b"x"), "a.csv")
        self.assertEqual(
            str(caught.exception),
            "The server 127.0.0.1 refuses connections on port 1: check the server "
            "and the port.",
        )

    def test_silent_server_times_out(self):
        # A listener that never speaks SSH: the banner timeout ends the wait.
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        self.addCleanup(listener.close)
        accepted = []
        thread = threading.Thread(
            target=lambda: accepted.append(listener.accept()), daemon=True
        )
        thread.start()
        client = SftpClient(
            SftpSettings(host="127.0.0.1", port=listener.getsockname()[1]), timeout=1
        )
        with self.assertRaisesRegex(RetryableSftpError, "broke off before the login"):
            client.probe()
        thread.join(5)
        for connection, _address in accepted:
            connection.close()


def _wait_until(condition, seconds=5):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
