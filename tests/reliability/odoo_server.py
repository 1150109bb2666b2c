"""One Odoo server as deployed: ``odoo-bin --workers`` in a process group of its own.

Used by tests/test_workers.py and the reliability run. Plain Python (no Odoo
import): start, wait until HTTP and the websocket (gevent) port answer, a real
websocket handshake, the gevent processes of the master, SIGKILL (a crashed
machine) and a clean stop. Every wait is bounded.
"""

import base64
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]
ODOO_SRC = Path(os.environ.get("ODOO_SRC", "/opt/odoo"))
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3
WEBSOCKET_VERSION = "19.0-2"  # bus.websocket.WebsocketConnectionHandler._VERSION
EVENTED_STARTED = "Evented Service (longpolling) running on"
STOP_TIMEOUT = 30


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(port, path, headers=(), timeout=5):
    """One raw HTTP/1.1 GET: returns (status line, {lower-case header: value})."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *headers]
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    status, *header_lines = (
        head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    )
    headers_found = {}
    for line in header_lines:
        name, _sep, value = line.partition(":")
        headers_found[name.strip().lower()] = value.strip()
    return status, headers_found


def answers(port, path):
    try:
        return http_get(port, path)[0].split(" ")[1:2] == ["200"]
    except OSError:
        return False


class OdooServer:
    """``odoo-bin`` with the project's .odoo-config, on one database."""

    def __init__(self, db, db_port, log_path, extra_args=(), env=None, name="odoo"):
        self.db = db
        self.name = name
        self.http_port = free_port()
        self.gevent_port = free_port()
        self.log_path = Path(log_path)
        self.command = [
            sys.executable,
            str(ODOO_SRC / "odoo-bin"),
            "-c",
            str(REPO / ".odoo-config"),
            "--db_port",
            str(db_port),
            "-d",
            db,
            f"--db-filter=^{db}$",
            "--http-port",
            str(self.http_port),
            "--gevent-port",
            str(self.gevent_port),
            *extra_args,
        ]
        self.env = dict(os.environ, ODOO_REPO=str(REPO), ODOO_SRC=str(ODOO_SRC))
        self.env.update(env or {})
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def start(self):
        if self.log_path.exists():
            # the log of an earlier run on this database stays, as <db>-A.<time>.log
            stamp = time.strftime(
                "%Y%m%d-%H%M%S", time.localtime(self.log_path.stat().st_mtime)
            )
            self.log_path.rename(self.log_path.with_suffix(f".{stamp}.log"))
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group (see kill)
            )
        return self

    def log_text(self):
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout):
        """Wait until the HTTP and the gevent port answer; False when not in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if answers(self.http_port, "/web/health") and answers(
                self.gevent_port, "/websocket/health"
            ):
                return True
            time.sleep(1)
        return False

    def websocket_handshake(self):
        """A browser's websocket handshake on the gevent port.

        :return: (True, status line) when Odoo switched protocols with the
            right Sec-WebSocket-Accept, else (False, what it answered)
        """
        key = base64.b64encode(os.urandom(16)).decode()
        try:
            status, headers = http_get(
                self.gevent_port,
                f"/websocket?version={WEBSOCKET_VERSION}",
                headers=(
                    "Upgrade: websocket",
                    "Connection: Upgrade",
                    f"Sec-WebSocket-Key: {key}",
                    "Sec-WebSocket-Version: 13",
                    f"Origin: {self.url}",
                ),
            )
        except OSError as error:
            return False, str(error)
        accept = base64.b64encode(
            hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()
        ).decode()
        switched = (
            status.split(" ")[1:2] == ["101"]
            and headers.get("upgrade", "").lower() == "websocket"
            and headers.get("sec-websocket-accept") == accept
        )
        return switched, f"{status} {headers}"

    def gevent_pids(self):
        """The websocket processes of the master (``odoo-bin gevent ...``)."""
        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return []
        pids = []
        for child in children:
            try:
                if "gevent" in child.cmdline():
                    pids.append(child.pid)
            except psutil.NoSuchProcess:
                continue
        return pids

    def evented_starts(self):
        """How often a websocket process started (more than once: it died)."""
        return self.log_text().count(EVENTED_STARTED)

    def pids(self):
        """The master and all its workers."""
        try:
            master = psutil.Process(self.process.pid)
            return {master.pid} | {child.pid for child in master.children(True)}
        except psutil.NoSuchProcess:
            return set()

    def kill(self):
        """SIGKILL to the master and every worker at once, as a crash would."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=STOP_TIMEOUT)

    def stop(self):
        """SIGTERM to the master; SIGKILL to the group when it does not stop."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        self.kill()  # workers or a gevent process left behind
