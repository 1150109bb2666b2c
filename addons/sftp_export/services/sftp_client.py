"""SFTP client for the exports: pinned host key, atomic upload, retries.

All network I/O goes through SftpClient._connect__ (the one seam, bounded by
TIMEOUT); unit tests replace it, integration tests talk to a real OpenSSH sshd.
An export's upload runs beside the export, in a child process (Linux) or a
thread: upload_in_background().
"""

import contextlib
import gc
import io
import json
import logging
import os
import posixpath
import select
import signal
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from .growing_file import ProcessReader, WriterAbortedError
from .paths import PathError, remote_path, validate_directory, validate_file_name

_logger = logging.getLogger(__name__)

TIMEOUT = 20  # seconds for connecting, the SSH handshake, authentication and each read
KEEPALIVE = 15  # seconds between keepalive messages on an idle session
RETRIES = 3  # attempts per upload within one run
BACKOFF = 2.0  # seconds before the second attempt, doubled for each next one
MIN_CHUNK = 4096
# Bytes an SFTP write request adds around its data: length, type, request id,
# handle length, offset, data length (the handle itself comes on top).
WRITE_REQUEST_OVERHEAD = 4 + 1 + 4 + 4 + 8 + 4
# Bytes paramiko keeps free in every channel packet for the SSH header.
CHANNEL_HEADER = 64
# Uploads run in a child process where the system can fork (see
# ChildProcessUpload), else in a thread.
CHILD_PROCESS_UPLOADS = sys.platform == "linux" and hasattr(os, "fork")
OUTCOME_POLL = 0.2  # seconds between looks whether the upload process ended


# English texts of the errors; the Odoo layer shows them translated (same keys).
MESSAGES = {
    "bad_key": "The private key cannot be read (expected an OpenSSH key).",
    "unreachable": "Cannot reach %(host)s:%(port)s: %(reason)s",
    "ssh_failed": "The SSH connection to %(host)s:%(port)s failed: %(reason)s",
    "host_key": "The server %(host)s shows host key %(found)s instead of the "
    "trusted %(pinned)s. Nothing was sent. If the server was reinstalled, test "
    "the connection again to trust the new key.",
    "login": "The server %(host)s refused the login of user %(user)s: check the "
    "password or the key.",
    "refused_write": "The server refused to write %(path)s: %(reason)s",
    "interrupted": "Writing %(path)s was interrupted: %(reason)s",
    "upload_gave_up": "The upload of %(file)s failed after %(attempts)s "
    "attempts: %(cause)s",
    "probe_gave_up": "The connection test failed after %(attempts)s attempts: "
    "%(cause)s",
    "incomplete": "%(file)s was not sent: the export stopped before the file "
    "was complete.",
    "upload_ended": "The upload of %(file)s stopped unexpectedly (%(reason)s).",
}


class SftpError(Exception):
    """An error the bookkeeper can read; never contains a secret.

    `kind` names the message in MESSAGES, `params` fill it in.
    """

    def __init__(self, kind, **params):
        self.kind = kind
        self.params = params
        super().__init__(MESSAGES[kind] % {k: str(v) for k, v in params.items()})


class RetryableSftpError(SftpError):
    """A connection problem that may pass: try again after `seconds`."""

    def __init__(self, kind, seconds=BACKOFF, **params):
        super().__init__(kind, **params)
        self.seconds = seconds


class HostKeyMismatchError(SftpError):
    """The server shows another host key than the one that was trusted."""


@dataclass
class SftpSettings:
    host: str
    port: int = 22
    username: str = ""
    password: str = ""
    private_key: str = ""  # OpenSSH private key text
    host_key_fingerprint: str = ""  # "SHA256:..." as ssh-keygen -l prints it
    directory: str = ""

    def __repr__(self):  # never show secrets in logs or tracebacks
        return f"SftpSettings({self.username}@{self.host}:{self.port}/{self.directory})"


def generate_ed25519_key(comment=""):
    """Return (private key in OpenSSH format, public key line)."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        .decode()
    )
    if comment:
        public = f"{public} {comment}"
    return private, public


def load_private_key(text):
    """A paramiko key from OpenSSH/PEM text (Ed25519, ECDSA or RSA)."""
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise SftpError("bad_key")


def fingerprint(key):
    """OpenSSH's SHA256 fingerprint of a paramiko key."""
    return key.fingerprint


class SftpClient:
    def __init__(self, settings, timeout=None, retries=None, backoff=None, sleep=None):
        self.settings = settings
        # Module constants read at call time, so a test run may shorten them.
        self.timeout = TIMEOUT if timeout is None else timeout
        self.retries = max(1, RETRIES if retries is None else retries)
        self.backoff = BACKOFF if backoff is None else backoff
        self.sleep = sleep or time.sleep
        self.server_fingerprint = ""
        self._transport = None

    # -- the seam ---------------------------------------------------------------
    def _connect__(self):
        """Open the SSH transport and return (transport, sftp)."""
        settings = self.settings
        try:
            sock = socket.create_connection(
                (settings.host, int(settings.port)), timeout=self.timeout
            )
        except OSError as error:
            raise RetryableSftpError(
                "unreachable",
                self.backoff,
                host=settings.host,
                port=settings.port,
                reason=error,
            ) from error
        transport = paramiko.Transport(sock)
        # The upload may wait for the export to write more: keep the session
        # alive for servers that close idle connections.
        transport.set_keepalive(KEEPALIVE)
        transport.banner_timeout = self.timeout
        transport.handshake_timeout = self.timeout
        transport.auth_timeout = self.timeout
        # AES-CTR with encrypt-then-MAC first: with paramiko it costs the least
        # time per packet (its AES-GCM sets up a new cipher for every packet), and
        # a 60 MB upload is 1,900 packets. The other algorithms stay allowed.
        options = transport.get_security_options()
        options.ciphers = sorted(options.ciphers, key=lambda name: name != "aes128-ctr")
        options.digests = sorted(options.digests, key=lambda name: "-etm@" not in name)
        try:
            transport.start_client(timeout=self.timeout)
            self._check_host_key(transport.get_remote_server_key())
            self._authenticate(transport)
            sftp = paramiko.SFTPClient.from_transport(transport)
            sftp.get_channel().settimeout(self.timeout)
        except SftpError:
            transport.close()
            raise
        except (paramiko.SSHException, OSError, EOFError) as error:
            transport.close()
            raise RetryableSftpError(
                "ssh_failed",
                self.backoff,
                host=settings.host,
                port=settings.port,
                reason=error or type(error).__name__,
            ) from error
        return transport, sftp

    def _check_host_key(self, key):
        self.server_fingerprint = fingerprint(key)
        pinned = self.settings.host_key_fingerprint
        if pinned and pinned != self.server_fingerprint:
            raise HostKeyMismatchError(
                "host_key",
                host=self.settings.host,
                found=self.server_fingerprint,
                pinned=pinned,
            )

    def _authenticate(self, transport):
        settings = self.settings
        try:
            if settings.private_key:
                transport.auth_publickey(
                    settings.username, load_private_key(settings.private_key)
                )
            else:
                transport.auth_password(settings.username, settings.password or "")
        except paramiko.AuthenticationException as error:
            raise SftpError(
                "login", host=settings.host, user=settings.username
            ) from error
        if not transport.is_authenticated():
            raise SftpError("login", host=settings.host, user=settings.username)

    # -- sessions and retries ------------------------------------------------------
    @contextlib.contextmanager
    def session(self):
        transport, sftp = self._connect__()
        self._transport = transport
        try:
            yield sftp
        finally:
            with contextlib.suppress(OSError, paramiko.SSHException, EOFError):
                sftp.close()
            transport.close()

    def _with_retries(self, operation, kind, **params):
        delay = self.backoff
        for attempt in range(1, self.retries + 1):
            try:
                return operation()
            except RetryableSftpError as error:
                if attempt == self.retries:
                    raise SftpError(
                        kind, attempts=attempt, cause=error, **params
                    ) from error
                _logger.info("Attempt %s failed (%s), retrying", attempt, error)
                self.sleep(max(delay, error.seconds))
                delay *= 2

    # -- operations -------------------------------------------------------------------
    def probe(self):
        """Connect, write and remove a small file in the directory.

        Returns the server's host-key fingerprint.
        """
        directory = validate_directory(self.settings.directory)

        def attempt():
            with self.session() as sftp:
                name = f".write-test-{uuid.uuid4().hex}"
                path = posixpath.join(directory, name)
                try:
                    sftp.putfo(io.BytesIO(b"ok"), path, confirm=True)
                    sftp.remove(path)
                except (paramiko.SSHException, EOFError, OSError) as error:
                    raise self._classify(error, path) from error
            return self.server_fingerprint

        return self._with_retries(attempt, "probe_gave_up")

    def upload(self, fileobj, file_name):
        """Upload fileobj as file_name: first under a temporary name, then
        posix-rename, so the final name only ever shows a complete file.

        Returns the remote path.
        """
        directory = validate_directory(self.settings.directory)
        final = remote_path(directory, validate_file_name(file_name))

        def attempt():
            fileobj.seek(0)
            with self.session() as sftp:
                temporary = posixpath.join(directory, f".{uuid.uuid4().hex}.part")
                try:
                    _put(sftp, fileobj, temporary)
                    sftp.posix_rename(temporary, final)
                except (paramiko.SSHException, EOFError, OSError) as error:
                    self._discard(sftp, temporary)
                    raise self._classify(error, final) from error
                except WriterAbortedError as error:
                    self._discard(sftp, temporary)
                    raise SftpError("incomplete", file=file_name) from error
            return final

        return self._with_retries(attempt, "upload_gave_up", file=file_name)

    def upload_in_background(self, growing, file_name):
        """Start upload() of a growing_file.GrowingFile that may still be
        written: the upload sends the bytes as they come. wait() on the result
        gives the remote path or raises what upload() raised."""
        if CHILD_PROCESS_UPLOADS:
            try:
                return ChildProcessUpload(self, growing, file_name)
            except OSError as error:  # no process can be made now (limits)
                _logger.warning("Uploading %s in a thread: %s", file_name, error)
        return BackgroundUpload(self, growing.reader(), file_name)

    def _classify(self, error, target):
        """A refusal by a live server is final; a broken connection may pass."""
        transport_alive = self._transport is not None and self._transport.is_active()
        if (
            isinstance(error, OSError)
            and not isinstance(error, TimeoutError)
            and transport_alive
        ):
            return SftpError(
                "refused_write", path=target, reason=error.strerror or error
            )
        return RetryableSftpError(
            "interrupted",
            self.backoff,
            path=target,
            reason=error or type(error).__name__,
        )

    @staticmethod
    def _discard(sftp, path):
        # The connection may be gone already; a stale .part file is harmless.
        with contextlib.suppress(OSError, paramiko.SSHException, EOFError):
            sftp.remove(path)


class BackgroundUpload:
    """SftpClient.upload() in a thread of its own; wait() gives its outcome.

    Used where the system cannot fork (see ChildProcessUpload). The thread only
    runs the plain-Python client (no ORM, no database cursor).
    """

    def __init__(self, client, fileobj, file_name):
        self.error = None
        self.remote_path = None
        self._thread = threading.Thread(
            target=self._run,
            args=(client, fileobj, file_name),
            name=f"sftp-upload-{file_name}",
            daemon=True,
        )
        self._thread.start()

    def _run(self, client, fileobj, file_name):
        try:
            self.remote_path = client.upload(fileobj, file_name)
        except Exception as error:  # noqa: BLE001 - re-raised by wait() in the caller
            self.error = error

    def wait(self):
        """The remote path once the upload ended; raises what the upload raised."""
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.remote_path


class ChildProcessUpload:
    """SftpClient.upload() in a child process; wait() gives its outcome.

    The upload's work is Python (paramiko builds, encrypts and signs every 32 KB
    packet): in a thread it takes turns with the export for Python's global
    lock, and both slow down. A child forked from the export has an interpreter
    of its own. The child only runs the plain-Python client and reads the file
    through ProcessReader; it ends with os._exit(), never returning into Odoo.
    """

    def __init__(self, client, growing, file_name):
        self.error = None
        self.remote_path = None
        progress, read_end, write_end = growing.process_channel()
        outcome_read, outcome_write = os.pipe()
        try:
            self._pid = os.fork()
        except OSError:
            for fd in (read_end, outcome_read, outcome_write):
                os.close(fd)
            raise
        if not self._pid:  # the child
            os.close(write_end)
            os.close(outcome_read)
            _upload_in_child(
                client,
                ProcessReader(growing.handle.fileno(), progress, read_end),
                file_name,
                outcome_write,
            )
        os.close(read_end)
        os.close(outcome_write)
        self._outcome = outcome_read
        self._file_name = file_name
        self._ended = False

    def wait(self):
        """The remote path once the upload ended; raises what the upload raised."""
        if not self._ended:
            self._ended = True
            received, status = self._receive_outcome()
            if received:
                outcome = json.loads(received)
                self.remote_path = outcome.get("remote_path")
                if "error" in outcome:
                    self.error = error_from_dict(outcome["error"])
            else:  # killed before it could say how it went
                self.error = SftpError(
                    "upload_ended", file=self._file_name, reason=_status_text(status)
                )
        if self.error is not None:
            raise self.error
        return self.remote_path

    def _receive_outcome(self):
        """(what the child wrote, its exit status), once it ended.

        The end of the pipe is not awaited: a child forked meanwhile by another
        export holds a copy of its write end until that export's upload ends.
        """
        received = bytearray()
        os.set_blocking(self._outcome, False)
        try:
            while True:
                select.select([self._outcome], [], [], OUTCOME_POLL)
                ended = _read_available(self._outcome, received)
                pid, status = os.waitpid(self._pid, 0 if ended else os.WNOHANG)
                if pid:
                    _read_available(self._outcome, received)
                    return received, status
        finally:
            os.close(self._outcome)


def _read_available(fd, into):
    """Append what the non-blocking fd holds to into; True at its end."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return False
        if not chunk:
            return True
        into += chunk


def _upload_in_child(client, reader, file_name, outcome_fd):
    """The body of the child process of ChildProcessUpload."""
    try:
        # The child holds a copy of every object of the export (database
        # cursors included): no collection may run their finalizers here.
        gc.disable()
        # The parent's signal handlers are Odoo's (stop the worker...): the
        # child just ends, and the parent reads that no outcome came.
        for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGXCPU"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        try:
            outcome = {"remote_path": client.upload(reader, file_name)}
        except BaseException as error:  # noqa: BLE001 - passed on to the parent
            outcome = {"error": error_to_dict(error)}
        data = json.dumps(outcome).encode()
        while data:
            data = data[os.write(outcome_fd, data) :]
    finally:
        os._exit(0)


def _status_text(status):
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


ERROR_CLASSES = {
    error_class.__name__: error_class
    for error_class in (SftpError, RetryableSftpError, HostKeyMismatchError)
}


def error_to_dict(error):
    """An upload error as plain data, to pass it from the child process."""
    if isinstance(error, SftpError):
        data = {
            "class": type(error).__name__,
            "kind": error.kind,
            "params": {
                key: error_to_dict(value)
                if isinstance(value, SftpError)
                else str(value)
                for key, value in error.params.items()
            },
        }
        if isinstance(error, RetryableSftpError):
            data["seconds"] = error.seconds
        return data
    if isinstance(error, ValueError):  # invalid names: the message says which
        name = "PathError" if isinstance(error, PathError) else "ValueError"
        return {"class": name, "message": str(error)}
    return {"class": "RuntimeError", "message": f"{type(error).__name__}: {error}"}


def error_from_dict(data):
    """The error error_to_dict() described."""
    error_class = ERROR_CLASSES.get(data["class"])
    if error_class is None:
        plain = {"PathError": PathError, "ValueError": ValueError}
        return plain.get(data["class"], RuntimeError)(data["message"])
    params = {
        key: error_from_dict(value) if isinstance(value, dict) else value
        for key, value in data["params"].items()
    }
    if error_class is RetryableSftpError:
        return RetryableSftpError(data["kind"], data["seconds"], **params)
    return error_class(data["kind"], **params)


def _put(sftp, fileobj, path):
    """Write fileobj to path, streaming; returns the size the server confirms.

    Write requests are pipelined (no wait for each answer) and sized so that
    each fits one SSH packet of the channel: paramiko's default 32 KiB requests
    take two packets each, doubling the packets to encrypt and send. One stat at
    the end checks the server holds every byte.
    """
    with sftp.open(path, "wb", bufsize=0) as remote:
        remote.set_pipelined(True)
        chunk = max(
            MIN_CHUNK,
            sftp.sock.out_max_packet_size
            - CHANNEL_HEADER
            - WRITE_REQUEST_OVERHEAD
            - len(remote.handle),
        )
        size = 0
        while data := fileobj.read(chunk):
            remote.write(data)
            size += len(data)
    stored = sftp.stat(path).st_size
    if stored != size:
        raise OSError(f"{stored} of {size} bytes arrived")
    return size
