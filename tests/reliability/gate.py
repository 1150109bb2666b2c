"""Where the Odoo servers talk to the outside world, and a way to hold them there.

The run kills a server while it really holds work: it *holds* the gates of the
local package, Moneybird and the SFTP server for a moment (a remote that stalls,
as real ones do), sees which server has requests waiting there, kills that one
and lets the others through. A request that reached a gate before the kill is
carried out afterwards, as a remote server would carry out a request whose
client died: the takeover must then find it done and not do it twice.

``Gate`` is shared by the HTTP fakes (``with gate.passing(port, what)`` around
the handling of a request); ``HoldingProxy`` puts a gate in front of a TCP
server (the OpenSSH sshd). ``owners`` tells from the client ports which server
sent what (the kernel's socket table, as ``ss -tp`` shows it).
"""

import socket
import threading
import time
from contextlib import contextmanager

import psutil

HOLD_TIMEOUT = 120  # a held request goes on after this many seconds regardless


class Gate:
    """Requests pass freely until ``hold()``; then they wait until ``release()``."""

    def __init__(self, name, port=None):
        self.name = name
        self.port = port  # where the servers connect to (set once listening)
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self._waiting = {}  # id -> (client port, what)

    def hold(self):
        self._open.clear()

    def release(self):
        self._open.set()

    @contextmanager
    def passing(self, client_port, what=""):
        """Around one request: waits while the gate is held."""
        token = object()
        if not self._open.is_set():
            with self._lock:
                self._waiting[id(token)] = (client_port, what)
            try:
                self._open.wait(HOLD_TIMEOUT)
            finally:
                with self._lock:
                    self._waiting.pop(id(token), None)
        yield

    def waiting(self):
        """[(client port, what)] of the requests waiting at the held gate."""
        with self._lock:
            return list(self._waiting.values())


class HoldingProxy:
    """A TCP proxy on 127.0.0.1 in front of ``target_port``, with a gate.

    While the gate is held no byte goes through in either direction; every
    connection open at that moment counts as waiting (an SFTP session is only
    open while a file is being delivered).
    """

    def __init__(self, name, target_port):
        self.name = name
        self.gate = Gate(name)
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.gate.port = self.listener.getsockname()[1]
        self._open = set()  # client ports of the open connections
        self._lock = threading.Lock()
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def hold(self):
        self.gate.hold()

    def release(self):
        self.gate.release()

    def _accept(self):
        while not self._stopped:
            try:
                client, address = self.listener.accept()
            except OSError:
                return
            threading.Thread(
                target=self._serve, args=(client, address[1]), daemon=True
            ).start()

    def _serve(self, client, client_port):
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), 10)
        except OSError:
            client.close()
            return
        with self._lock:
            self._open.add(client_port)
        pumps = [
            threading.Thread(target=self._pump, args=(a, b, client_port), daemon=True)
            for a, b in ((client, upstream), (upstream, client))
        ]
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join()
        with self._lock:
            self._open.discard(client_port)
        for sock in (client, upstream):
            sock.close()

    def _pump(self, source, target, client_port):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                with self.gate.passing(client_port, "sftp"):
                    target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def waiting(self):
        """[(client port, "sftp")] of the sessions open now."""
        with self._lock:
            return [(port, "sftp") for port in self._open]

    def stop(self):
        self._stopped = True
        self.listener.close()


def owners(servers, gates):
    """{server name: [(gate name, what)]} of what is waiting at the gates.

    A client port belongs to the server whose process holds that socket.
    """
    ports = {}
    for gate in gates:
        for client_port, what in gate.waiting():
            ports[(gate.port, client_port)] = (gate.name, what)
    found = {server.name: [] for server in servers}
    if not ports:
        return found
    pid_server = {pid: server.name for server in servers for pid in server.pids()}
    for conn in psutil.net_connections(kind="tcp"):
        if not conn.raddr or conn.pid not in pid_server:
            continue
        item = ports.get((conn.raddr.port, conn.laddr.port))
        if item:
            found[pid_server[conn.pid]].append(item)
    return found


def hold_all(gates, settle=1.5):
    """Hold every gate and give the servers a moment to run into them."""
    for gate in gates:
        gate.hold()
    time.sleep(settle)


def release_all(gates):
    for gate in gates:
        gate.release()
