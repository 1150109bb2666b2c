"""The SFTP client: retries at the seam, then everything against a real sshd."""

import hashlib
import io
import json
import os
import signal
import tempfile
import threading
import time
import unittest
from unittest.mock import patch

from odoo.tests import BaseCase

from odoo.addons.sftp_export.services import sftp_client
from odoo.addons.sftp_export.services.growing_file import (
    GrowingFile,
    ProcessReader,
    WriterAbortedError,
)
from odoo.addons.sftp_export.services.paths import PathError
from odoo.addons.sftp_export.services.sftp_client import (
    HostKeyMismatchError,
    RetryableSftpError,
    SftpClient,
    SftpError,
    SftpSettings,
)

from .sshd import SshServer, sshd_available


class FlakySeamClient(SftpClient):
    """Unit-test seam: the connection fails a given number of times."""

    def __init__(self, failures, **kwargs):
        super().__init__(SftpSettings(host="192.0.2.1"), **kwargs)
        self.failures = failures
        self.attempts = 0

    def _connect__(self):
        self.attempts += 1
        if self.attempts <= self.failures:
            raise RetryableSftpError(
                "ssh_failed", 0.5, host="192.0.2.1", port=22, reason="reset"
            )
        raise SftpError("login", host="192.0.2.1", user="odoo")


class TriggerAtRead(io.BytesIO):
    """Data to upload that runs `action` (stop the server...) at the nth read."""

    def __init__(self, data, nth, action):
        super().__init__(data)
        self.reads, self.nth, self.action = 0, nth, action

    def read(self, size=-1):
        self.reads += 1
        if self.reads == self.nth:
            self.action()
        return super().read(size)


class TestRetries(BaseCase):
    def test_backoff_doubles_and_stops_after_the_last_attempt(self):
        waits = []
        client = FlakySeamClient(10, retries=3, backoff=1.0, sleep=waits.append)
        with self.assertRaisesRegex(SftpError, "failed after 3 attempts"):
            client.upload(io.BytesIO(b"x"), "a.csv")
        self.assertEqual(client.attempts, 3)
        self.assertEqual(waits, [1.0, 2.0])

    def test_a_refused_login_is_not_retried(self):
        waits = []
        client = FlakySeamClient(1, retries=5, backoff=1.0, sleep=waits.append)
        with self.assertRaisesRegex(SftpError, "refused the login"):
            client.upload(io.BytesIO(b"x"), "a.csv")
        self.assertEqual(client.attempts, 2, "one retry after the reset, none after")

    def test_settings_never_show_secrets(self):
        settings = SftpSettings(
            host="h", username="u", password="s3cret", private_key="K"
        )
        self.assertNotIn("s3cret", repr(settings))
        self.assertNotIn("K", repr(settings).replace("SftpSettings", ""))

    def test_generated_key_is_a_usable_ed25519_pair(self):
        private, public = sftp_client.generate_ed25519_key("odoo-test")
        self.assertTrue(
            public.startswith("ssh-ed25519 ") and public.endswith(" odoo-test")
        )
        key = sftp_client.load_private_key(private)
        self.assertEqual(key.get_name(), "ssh-ed25519")
        self.assertEqual(public.split()[1], key.get_base64())


def write_slowly(sink, blocks, finish=True, pause=0.001):
    """Write blocks to a GrowingFile from another thread, as an export does."""

    def run():
        for block in blocks:
            sink.write(block)
            time.sleep(pause)
        if finish:
            sink.finish()
        else:
            sink.abort()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


class TestGrowingFile(BaseCase):
    """The file the upload reads while the export still writes it."""

    def setUp(self):
        super().setUp()
        self.handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed by cleanup
        self.addCleanup(self.handle.close)

    def test_reader_gets_every_byte_and_the_checksum_matches(self):
        blocks = [os.urandom(size) for size in (10, 70_000, 300_000, 1, 5_000)]
        sink = GrowingFile(self.handle)
        reader = sink.reader()
        writer = write_slowly(sink, blocks)
        received = bytearray()
        while chunk := reader.read(32_000):
            self.assertLessEqual(len(chunk), 32_000)
            received += chunk
        writer.join()
        expected = b"".join(blocks)
        self.assertEqual(bytes(received), expected)
        self.assertEqual(sink.size, len(expected))
        self.assertEqual(sink.checksum(), hashlib.sha1(expected).hexdigest())
        self.handle.seek(0)
        self.assertEqual(self.handle.read(), expected, "the kept file is whole")
        reader.seek(0)
        self.assertEqual(reader.read(), expected, "a retry reads it again")

    def test_an_export_that_stops_makes_the_reader_fail_not_end(self):
        sink = GrowingFile(self.handle)
        readers = [sink.reader(), self.process_reader(sink)]
        writer = write_slowly(sink, [b"x" * 300_000], finish=False)
        for reader in readers:
            with self.assertRaises(WriterAbortedError):
                while reader.read(32_000):
                    pass
        writer.join()

    def process_reader(self, sink):
        """The reader of a child process, here in the same process: it only
        uses the file descriptor and the pipe."""
        progress, read_end, _write_end = sink.process_channel()
        self.addCleanup(os.close, read_end)
        return ProcessReader(self.handle.fileno(), progress, read_end)

    def test_process_reader_gets_every_byte_of_a_growing_file(self):
        blocks = [os.urandom(size) for size in (10, 70_000, 300_000, 1, 600_000)]
        sink = GrowingFile(self.handle)
        reader = self.process_reader(sink)
        writer = write_slowly(sink, blocks)
        received = bytearray()
        while chunk := reader.read(32_000):
            received += chunk
        writer.join()
        self.assertEqual(bytes(received), b"".join(blocks))
        reader.seek(0)
        self.assertEqual(reader.read(), b"".join(blocks), "a retry reads it again")

    def test_a_writer_gone_without_a_word_makes_the_reader_fail(self):
        # The export's process was killed: its end of the pipe closes without
        # "complete", and the upload must not be renamed to the final name.
        sink = GrowingFile(self.handle)
        reader = self.process_reader(sink)
        sink.write(b"x" * 300_000)
        sink.flush()
        self.assertEqual(len(reader.read()), 300_000)
        for _progress, write_end in sink._channels:
            os.close(write_end)
        with self.assertRaisesRegex(WriterAbortedError, "export process ended"):
            reader.read()

    def test_a_full_pipe_never_stops_the_export(self):
        # A reader that reads nothing for a while (a slow server): the wake-up
        # pipe fills up, the writer goes on, and the reader still gets it all.
        sink = GrowingFile(self.handle)
        reader = self.process_reader(sink)
        for _index in range(70_000):  # more wake-ups than a pipe (64 KiB) holds
            sink.write(b"a")
            sink.flush()
        sink.finish()
        self.assertEqual(reader.read(), b"a" * 70_000)
        self.assertEqual(reader.read(), b"", "then the end")


@unittest.skipUnless(
    sshd_available(), "OpenSSH sshd is not installed (setup/install.sh)"
)
class TestAgainstOpenSsh(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
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
        return SftpClient(SftpSettings(**values), timeout=5, backoff=0.05)

    def files(self):
        return sorted(path.name for path in self.sshd.upload_dir.iterdir())

    def test_key_login_upload_and_rename(self):
        data = b"Number;Total\r\nBILL/1;12,50\r\n" * 1000
        path = self.client().upload(io.BytesIO(data), "bills.csv")
        self.assertEqual(path, f"{self.sshd.upload_dir}/bills.csv")
        self.assertEqual(self.files(), ["bills.csv"], "no temporary file left behind")
        self.assertEqual((self.sshd.upload_dir / "bills.csv").read_bytes(), data)

    def test_probe_returns_the_host_key_fingerprint(self):
        client = self.client()
        self.assertEqual(client.probe(), self.sshd.host_fingerprint)
        self.assertEqual(self.files(), [], "the test file is removed")

    @unittest.skipUnless(os.geteuid() == 0, "password login needs a test user (root)")
    def test_password_login(self):
        client = self.client(private_key="", password=self.sshd.password)
        client.upload(io.BytesIO(b"x"), "with_password.csv")
        self.assertEqual(self.files(), ["with_password.csv"])

    def test_bad_credentials_fail_at_once_with_a_clear_message(self):
        other_key, _public = sftp_client.generate_ed25519_key()
        started = time.monotonic()
        with self.assertRaisesRegex(SftpError, "refused the login of user"):
            self.client(private_key=other_key).upload(io.BytesIO(b"x"), "a.csv")
        if self.sshd.as_root:
            with self.assertRaisesRegex(SftpError, "check the password or the key"):
                self.client(private_key="", password="wrong").probe()
        self.assertLess(time.monotonic() - started, 15)
        self.assertEqual(self.files(), [])

    def test_read_only_directory_is_reported(self):
        client = self.client(directory=self.sshd.readonly_dir)
        if not self.sshd.as_root:
            self.skipTest(
                "root writes everywhere; the read-only case needs the test user"
            )
        with self.assertRaisesRegex(SftpError, "refused to write .*Permission denied"):
            client.upload(io.BytesIO(b"x"), "a.csv")
        with self.assertRaisesRegex(SftpError, "Permission denied"):
            client.probe()

    def test_changed_host_key_is_refused(self):
        client = self.client()
        trusted = client.probe()
        self.sshd.restart_with_new_host_key()
        pinned = self.client(host_key_fingerprint=trusted)
        with self.assertRaisesRegex(HostKeyMismatchError, "instead of the trusted"):
            pinned.upload(io.BytesIO(b"x"), "a.csv")
        self.assertEqual(self.files(), [], "nothing sent to an unknown server")

    def test_server_stopped_mid_upload_leaves_no_file_under_the_final_name(self):
        with self.assertRaisesRegex(SftpError, "failed after 3 attempts"):
            self.client().upload(
                TriggerAtRead(b"x" * 2_000_000, 4, self.sshd.stop), "bills.csv"
            )
        self.assertNotIn("bills.csv", self.files())

    def test_cut_connection_is_retried_and_completes(self):
        data = b"y" * 2_000_000
        self.client().upload(
            TriggerAtRead(data, 4, self.sshd.kill_sessions), "bills.csv"
        )
        self.assertEqual((self.sshd.upload_dir / "bills.csv").read_bytes(), data)
        # The cut attempt may leave its hidden .part file; the final name is whole.
        finals = [name for name in self.files() if not name.endswith(".part")]
        self.assertEqual(finals, ["bills.csv"])

    def test_unreachable_port_fails_after_retries(self):
        with patch.object(sftp_client, "RETRIES", 2):
            client = self.client(port=1)
            with self.assertRaisesRegex(SftpError, "Cannot reach 127.0.0.1:1"):
                client.probe()

    def background_uploads(self):
        """Both ways an upload runs beside the export: a child process where the
        system can fork (Linux, where Odoo runs), a thread elsewhere."""
        return {
            "child process": sftp_client.ChildProcessUpload,
            "thread": lambda client, sink, name: sftp_client.BackgroundUpload(
                client, sink.reader(), name
            ),
        }

    def test_upload_while_the_file_is_written(self):
        for mode, start in self.background_uploads().items():
            with self.subTest(mode), tempfile.TemporaryFile() as handle:
                blocks = [os.urandom(100_000) for _index in range(20)]
                sink = GrowingFile(handle)
                upload = start(self.client(), sink, f"grow_{mode}.zip")
                write_slowly(sink, blocks).join()
                path = f"{self.sshd.upload_dir}/grow_{mode}.zip"
                self.assertEqual(upload.wait(), path)
                with open(path, "rb") as arrived:
                    self.assertEqual(arrived.read(), b"".join(blocks))
        self.assertEqual(self.files(), ["grow_child process.zip", "grow_thread.zip"])

    def test_export_stopping_half_way_delivers_nothing(self):
        for mode, start in self.background_uploads().items():
            with self.subTest(mode), tempfile.TemporaryFile() as handle:
                sink = GrowingFile(handle)
                upload = start(self.client(), sink, "half.zip")
                write_slowly(sink, [b"y" * 300_000] * 3, finish=False).join()
                with self.assertRaisesRegex(
                    SftpError, "was not sent: the export stopped"
                ):
                    upload.wait()
                self.assertEqual(self.files(), [], "no final file, no temporary file")

    def test_exports_upload_in_a_child_process_on_linux(self):
        with tempfile.TemporaryFile() as handle:
            sink = GrowingFile(handle)
            upload = self.client().upload_in_background(sink, "child.csv")
            self.assertIsInstance(upload, sftp_client.ChildProcessUpload)
            self.assertNotEqual(upload._pid, os.getpid())
            sink.write(b"Number;Total\r\n")
            sink.finish()
            upload.wait()
        with self.assertRaises(ChildProcessError, msg="the child was waited for"):
            os.waitpid(upload._pid, os.WNOHANG)
        self.assertEqual(self.files(), ["child.csv"])

    def test_two_exports_at_once_do_not_wait_for_each_other(self):
        # The second child inherits the first one's pipes (fork copies them):
        # the first export must still learn its outcome when its own child ends.
        with tempfile.TemporaryFile() as first, tempfile.TemporaryFile() as second:
            first_sink, second_sink = GrowingFile(first), GrowingFile(second)
            client = self.client()
            first_upload = sftp_client.ChildProcessUpload(client, first_sink, "1.csv")
            second_upload = sftp_client.ChildProcessUpload(client, second_sink, "2.csv")
            first_sink.write(b"first")
            first_sink.finish()
            started = time.monotonic()
            first_upload.wait()
            self.assertLess(time.monotonic() - started, 10)
            finals = [name for name in self.files() if not name.endswith(".part")]
            self.assertEqual(finals, ["1.csv"], "the second is still under way")
            second_sink.write(b"second")
            second_sink.finish()
            second_upload.wait()
        self.assertEqual(self.files(), ["1.csv", "2.csv"])

    def test_a_thread_uploads_when_no_process_can_be_made(self):
        with (
            tempfile.TemporaryFile() as handle,
            patch.object(os, "fork", side_effect=BlockingIOError(11, "no process")),
            self.assertLogs("odoo.addons.sftp_export", "WARNING"),
        ):
            sink = GrowingFile(handle)
            upload = self.client().upload_in_background(sink, "thread.csv")
            self.assertIsInstance(upload, sftp_client.BackgroundUpload)
            sink.write(b"x" * 100_000)
            sink.finish()
            upload.wait()
        self.assertEqual(
            (self.sshd.upload_dir / "thread.csv").read_bytes(), b"x" * 100_000
        )

    def test_errors_of_the_child_process_arrive_whole(self):
        # The reasons of a failed upload come back with their kind and nested
        # cause: the export shows them in the bookkeeper's language.
        self.sshd.stop()
        with tempfile.TemporaryFile() as handle:
            sink = GrowingFile(handle)
            upload = sftp_client.ChildProcessUpload(self.client(), sink, "a.csv")
            sink.write(b"x")
            sink.finish()
            with self.assertRaises(SftpError) as raised:
                upload.wait()
        error = raised.exception
        self.assertEqual(error.kind, "upload_gave_up")
        self.assertEqual(error.params["attempts"], "3")
        self.assertIsInstance(error.params["cause"], RetryableSftpError)
        self.assertEqual(error.params["cause"].kind, "unreachable")
        self.assertRegex(
            str(error), r"failed after 3 attempts: Cannot reach 127\.0\.0\.1:\d+"
        )

    def test_a_killed_upload_process_fails_with_a_reason(self):
        with tempfile.TemporaryFile() as handle:
            sink = GrowingFile(handle)
            upload = sftp_client.ChildProcessUpload(self.client(), sink, "k.zip")
            sink.write(b"z" * 300_000)  # under way, never completed
            sink.flush()
            os.kill(upload._pid, signal.SIGKILL)
            with self.assertRaisesRegex(
                SftpError, r"The upload of k\.zip stopped unexpectedly \(signal 9\)"
            ):
                upload.wait()
            sink.abort()
        self.assertNotIn("k.zip", self.files())


class TestChildProcessErrors(BaseCase):
    def test_every_error_survives_the_way_back(self):
        errors = [
            SftpError(
                "upload_gave_up",
                file="a.zip",
                attempts=3,
                cause=RetryableSftpError(
                    "interrupted", 4.0, path="/x/a.zip", reason=EOFError()
                ),
            ),
            HostKeyMismatchError("host_key", host="h", found="SHA256:b", pinned="a"),
            PathError("The directory '../x' may not contain '..'."),
            ValueError("I/O operation on closed file."),
        ]
        for error in errors:
            back = sftp_client.error_from_dict(
                json.loads(json.dumps(sftp_client.error_to_dict(error)))
            )
            self.assertIs(type(back), type(error))
            self.assertEqual(str(back), str(error))
        back = sftp_client.error_from_dict(sftp_client.error_to_dict(errors[0]))
        self.assertEqual(back.params["cause"].seconds, 4.0)
        self.assertEqual(back.params["cause"].kind, "interrupted")
        bug = sftp_client.error_from_dict(sftp_client.error_to_dict(KeyError("x")))
        self.assertIsInstance(bug, RuntimeError, "a bug still fails the export")
        self.assertIn("KeyError", str(bug))
