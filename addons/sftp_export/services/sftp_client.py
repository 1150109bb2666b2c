"""SFTP client for the exports: pinned host key, upload under a temporary name
and rename, one attempt per call (the cron retries later, with growing delays).

All network I/O goes through SftpClient._connect__ (the one seam, bounded by
TIMEOUT); unit tests replace it, integration tests talk to a real OpenSSH sshd.
Messages are written once, with _lt: the Odoo layer shows them in the user's
language (env._(error.message)), str(error) is the English text for the log.
"""

import concurrent.futures
import contextlib
import errno
import io
import logging
import posixpath
import socket
import uuid
from dataclasses import dataclass

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from odoo.tools.translate import LazyTranslate

from . import sftp_transfer
from .paths import (
    numbered_name,
    remote_path,
    validate_directory,
    validate_file_name,
)

_lt = LazyTranslate(__name__)
_logger = logging.getLogger(__name__)

TIMEOUT = 20  # seconds for connecting, the SSH handshake, authentication and each read
KEEPALIVE = 15  # seconds between keepalive messages on an idle session
# Exports of one second share a name: they get numbers, up to this many.
MAX_SAME_NAME = 100


class SftpError(Exception):
    """An error the bookkeeper can read (message: a lazy translation with its
    values); never contains a secret. Final: trying again will not help."""

    retryable = False

    def __init__(self, message):
        self.message = message
        super().__init__(message._translate("en_US"))


class RetryableSftpError(SftpError):
    """A connection problem that may pass: the cron tries again later."""

    retryable = True


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
    raise SftpError(
        _lt("The private key cannot be read: generate a new key for this server.")
    )


def unreachable_error(host, port, error):
    """The connection could not be made: one sentence saying what to check."""
    if isinstance(error, socket.gaierror):
        message = _lt(
            "The server name %(host)s is unknown: check the spelling of the server.",
            host=host,
        )
    elif isinstance(error, ConnectionRefusedError):
        message = _lt(
            "The server %(host)s refuses connections on port %(port)s: check the "
            "server and the port.",
            host=host,
            port=port,
        )
    elif isinstance(error, TimeoutError | socket.timeout):
        message = _lt(
            "The server %(host)s does not answer on port %(port)s: check the server, "
            "the port and the firewall.",
            host=host,
            port=port,
        )
    else:
        message = _lt(
            "The server %(host)s cannot be reached on port %(port)s: check the "
            "server and the port.",
            host=host,
            port=port,
        )
    return RetryableSftpError(message)


class SftpClient:
    def __init__(self, settings, timeout=None):
        self.settings = settings
        # Module constant read at call time, so a test run may shorten it.
        self.timeout = TIMEOUT if timeout is None else timeout
        self.server_fingerprint = ""
        self._transport = None
        self._ahead = None  # the connection connect_ahead() is making

    # -- the seam ---------------------------------------------------------------
    def _connect__(self):
        """Open the SSH transport and return (transport, sftp)."""
        settings = self.settings
        try:
            sock = socket.create_connection(
                (settings.host, int(settings.port)), timeout=self.timeout
            )
        except OSError as error:
            raise unreachable_error(settings.host, settings.port, error) from error
        # Small messages (the login, stat, rename) leave at once instead of
        # waiting for the server to acknowledge the previous one (Nagle's
        # algorithm against delayed acknowledgements: about 40 ms each time).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = paramiko.Transport(sock)
        # Servers that close idle connections keep a slow upload alive.
        transport.set_keepalive(KEEPALIVE)
        transport.banner_timeout = self.timeout
        transport.handshake_timeout = self.timeout
        transport.auth_timeout = self.timeout
        # AES-CTR with encrypt-then-MAC first: with paramiko it costs the least
        # time per packet (its AES-GCM sets up a new cipher for every packet).
        # The other algorithms stay allowed.
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
                _lt(
                    "The SSH connection to %(host)s broke off before the login: "
                    "check that port %(port)s is the SFTP port of the server.",
                    host=settings.host,
                    port=settings.port,
                )
            ) from error
        return transport, sftp

    def _check_host_key(self, key):
        self.server_fingerprint = key.fingerprint
        pinned = self.settings.host_key_fingerprint
        if pinned and pinned != self.server_fingerprint:
            raise HostKeyMismatchError(
                _lt(
                    "The server %(host)s shows host key %(found)s instead of the "
                    "trusted %(pinned)s, so nothing was sent: if the server was "
                    "reinstalled, forget the host key and test the connection again.",
                    host=self.settings.host,
                    found=self.server_fingerprint,
                    pinned=pinned,
                )
            )

    def _authenticate(self, transport):
        settings = self.settings
        refused = SftpError(
            _lt(
                "The server %(host)s refused the login of user %(user)s: check the "
                "password or the key.",
                host=settings.host,
                user=settings.username,
            )
        )
        try:
            if settings.private_key:
                transport.auth_publickey(
                    settings.username, load_private_key(settings.private_key)
                )
            else:
                transport.auth_password(settings.username, settings.password or "")
        except paramiko.AuthenticationException as error:
            raise refused from error
        if not transport.is_authenticated():
            raise refused

    def connect_ahead(self):
        """Start connecting and logging in on a helper thread while the caller
        goes on (making the file): the next session() takes that connection,
        or its error. Nothing is sent before that session; close() ends a
        connection no session took. The helper thread only talks to the
        server, never to the database."""
        if self._ahead is None:
            pool = concurrent.futures.ThreadPoolExecutor(1, "sftp-connect")
            self._ahead = pool.submit(self._connect__)
            pool.shutdown(wait=False)

    def close(self):
        """Close the connection made ahead if no session took it (without
        waiting for a login still under way)."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.add_done_callback(_close_connection)

    def _connection(self):
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return self._connect__()
        transport, sftp = ahead.result()
        if transport.is_active():
            return transport, sftp
        # Cut while the file was made (an idle timeout): once more, now.
        transport.close()
        return self._connect__()

    @contextlib.contextmanager
    def session(self):
        transport, sftp = self._connection()
        self._transport = transport
        try:
            yield sftp
        finally:
            with contextlib.suppress(OSError, paramiko.SSHException, EOFError):
                sftp.close()
            transport.close()

    # -- operations -------------------------------------------------------------------
    def probe(self):
        """Connect, write and remove a small file in the directory.

        Returns the server's host-key fingerprint.
        """
        directory = validate_directory(self.settings.directory)
        with self.session() as sftp:
            path = posixpath.join(directory, f".write-test-{uuid.uuid4().hex}")
            try:
                sftp.putfo(io.BytesIO(b"ok"), path, confirm=True)
                sftp.remove(path)
            except (paramiko.SSHException, EOFError, OSError) as error:
                raise self._classify(error, path) from error
        return self.server_fingerprint

    def upload(self, fileobj, file_name):
        """Deliver the seekable binary fileobj as file_name, once.

        The bytes go to a temporary name first and are renamed when complete,
        so the final name only ever shows a whole file. When the final name
        holds these very bytes already (a run that delivered and then died
        before it could record it), nothing is sent or renamed again. When it
        holds another file (another export made in the same second), that
        file is left alone and this one gets the next free numbered name
        (export_2.csv, export_3.csv, ...).

        Returns (remote path, True when this call put the file there).
        """
        directory = validate_directory(self.settings.directory)
        name = validate_file_name(file_name)
        with self.session() as sftp:
            temporary = posixpath.join(directory, f".{uuid.uuid4().hex}.part")
            final = remote_path(directory, name)
            # Whatever ends this attempt, no temporary file stays behind
            # unless it was renamed to its final name.
            written = renamed = False
            try:
                for number in range(1, MAX_SAME_NAME + 1):
                    final = remote_path(directory, numbered_name(name, number))
                    found = sftp_transfer.holds(sftp, final, fileobj)
                    if found is None and not written:
                        written = True
                        fileobj.seek(0)
                        sftp_transfer.put(sftp, fileobj, temporary)
                        # Checked again just before the rename: the upload took time.
                        found = sftp_transfer.holds(sftp, final, fileobj)
                    if found is None:
                        sftp.posix_rename(temporary, final)
                        renamed = True
                        return final, True
                    if found:
                        return final, False
            except (paramiko.SSHException, EOFError, OSError) as error:
                raise self._classify(error, final) from error
            finally:
                if written and not renamed:
                    sftp_transfer.discard(sftp, temporary)
        raise SftpError(
            _lt(
                "The folder on the server already holds %(count)s other files "
                "named like %(name)s: move them away, then send the export again.",
                count=MAX_SAME_NAME,
                name=name,
            )
        )

    def _classify(self, error, path):
        """A refusal by a live server explains itself; a broken connection may
        pass and is tried again."""
        alive = self._transport is not None and self._transport.is_active()
        code = getattr(error, "errno", None)
        if not alive or isinstance(error, TimeoutError | socket.timeout | EOFError):
            return RetryableSftpError(
                _lt(
                    "The connection broke off while %(path)s was sent: it is sent "
                    "again automatically.",
                    path=path,
                )
            )
        if code in (errno.EACCES, errno.EPERM):
            return SftpError(
                _lt(
                    "The server does not allow user %(user)s to write %(path)s: "
                    "give the user write access to the folder.",
                    user=self.settings.username,
                    path=path,
                )
            )
        if code == errno.ENOENT:
            return SftpError(
                _lt(
                    "The folder of %(path)s does not exist on the server: create "
                    "it or correct the folder of the SFTP server.",
                    path=path,
                )
            )
        # OpenSSH answers "Failure" for a full disk or quota: it may be freed.
        return RetryableSftpError(
            _lt(
                "The server could not store %(path)s (its disk may be full): it is "
                "sent again automatically.",
                path=path,
            )
        )


def _close_connection(ahead):
    if ahead.exception() is None:
        transport, _sftp = ahead.result()
        transport.close()
