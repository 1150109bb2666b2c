"""A real OpenSSH sshd on 127.0.0.1 for the tests and the benchmark.

Started with a temporary configuration (own host key, a free port, its own
authorized_keys), stopped by the caller. As root, a dedicated unprivileged user
is used (created once) so password login can be tested too; otherwise key login
as the current user.
"""

import getpass
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
SSH_KEYGEN = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"
TEST_USER = "sftpexporttest"
START_TIMEOUT = 10  # seconds for sshd to accept connections

CONFIG = """\
Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {root}/sshd.pid
AuthorizedKeysFile {root}/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication {password_auth}
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers {user}
Subsystem sftp internal-sftp
ForceCommand internal-sftp
MaxStartups 50
LogLevel ERROR
"""


def sshd_available():
    return os.path.exists(SSHD) and os.path.exists(SSH_KEYGEN)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SshServer:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="sftp_export_sshd_"))
        self.root.chmod(0o755)  # the test user must traverse it
        self.as_root = os.geteuid() == 0
        self.user = TEST_USER if self.as_root else getpass.getuser()
        self.password = secrets.token_urlsafe(16) if self.as_root else ""
        self.port = free_port()
        self.host_key = self.root / "host_ed25519"
        self.process = None
        self.upload_dir = self.root / "exports"
        self.readonly_dir = self.root / "readonly"
        self.full_dir = None  # see small_disk()

    # -- setup ---------------------------------------------------------------
    def start(self):
        if self.as_root:
            self._prepare_user()
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation
        self._new_host_key()
        (self.root / "authorized_keys").write_text("")
        (self.root / "sshd_config").write_text(
            CONFIG.format(
                port=self.port,
                host_key=self.host_key,
                root=self.root,
                user=self.user,
                password_auth="yes" if self.as_root else "no",
            )
        )
        for directory in (self.upload_dir, self.readonly_dir):
            directory.mkdir(exist_ok=True)
        if self.as_root:
            shutil.chown(self.upload_dir, self.user)
        self.upload_dir.chmod(0o755)
        self.readonly_dir.chmod(0o555)
        self._spawn()
        return self

    def _prepare_user(self):
        exists = subprocess.run(["id", self.user], capture_output=True, check=False)
        if exists.returncode:
            subprocess.run(
                ["useradd", "--no-create-home", "--shell", "/bin/sh", self.user],
                check=True,
                capture_output=True,
            )
        subprocess.run(
            ["chpasswd"],
            input=f"{self.user}:{self.password}\n",
            text=True,
            check=True,
            capture_output=True,
        )

    def _new_host_key(self):
        for path in (self.host_key, Path(f"{self.host_key}.pub")):
            path.unlink(missing_ok=True)
        subprocess.run(
            [SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-f", str(self.host_key)],
            check=True,
            capture_output=True,
        )

    def _spawn(self):
        self.process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(self.root / "sshd_config")],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "sshd.log", "ab"),  # noqa: SIM115
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "sshd did not start: " + (self.root / "sshd.log").read_text()
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sshd did not accept connections in time")

    # -- what tests use ----------------------------------------------------------
    @property
    def host_fingerprint(self):
        out = subprocess.run(
            [SSH_KEYGEN, "-l", "-f", f"{self.host_key}.pub"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return out.split()[1]

    def authorize(self, public_key_line):
        with open(self.root / "authorized_keys", "a") as keys:
            keys.write(public_key_line.strip() + "\n")

    def kill_sessions(self):
        """Cut every open SSH session; the listener keeps accepting."""
        for pid in self._descendants(self.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self):
        """Stop the server and every session it serves."""
        if self.process and self.process.poll() is None:
            self.kill_sessions()
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def restart_with_new_host_key(self):
        """As if the server was reinstalled; restore_host_key() undoes it."""
        self.stop()
        for suffix in ("", ".pub"):
            shutil.copy(f"{self.host_key}{suffix}", f"{self.root}/old_host_key{suffix}")
        self._new_host_key()
        self._spawn()

    def restore_host_key(self):
        self.stop()
        for suffix in ("", ".pub"):
            shutil.copy(f"{self.root}/old_host_key{suffix}", f"{self.host_key}{suffix}")
        self._spawn()

    def small_disk(self, size_kb=64):
        """A folder on a disk of its own of size_kb (a tmpfs; needs root, as
        the test user does): writes beyond it fail as on a full disk."""
        if self.full_dir is None:
            self.full_dir = self.root / "small_disk"
            self.full_dir.mkdir()
            subprocess.run(
                [
                    "mount",
                    "-t",
                    "tmpfs",
                    "-o",
                    f"size={size_kb}k",
                    "tmpfs",
                    self.full_dir,
                ],
                check=True,
                capture_output=True,
            )
            if self.as_root:
                shutil.chown(self.full_dir, self.user)
        return self.full_dir

    def cleanup(self):
        self.stop()
        if self.full_dir is not None:
            subprocess.run(["umount", self.full_dir], check=False, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    @staticmethod
    def _descendants(pid):
        children = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
        found, todo = [], [pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return found
