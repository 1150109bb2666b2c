"""A tiny JSON HTTP server on 127.0.0.1 (free port) run in a thread, for the fakes."""

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # no 40 ms delayed-ACK stalls between header and body segments
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # keep the test output clean
        pass

    def _dispatch(self, method):
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fake = self.server.fake
        with fake.lock:
            fake.log.append((method, parsed.path, query))
            status, body, headers = fake.handle(
                method, parsed.path, query, raw, self.headers
            )
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")


class FakeServer:
    """Start with :meth:`start` (or ``with``); :attr:`url` is the base URL."""

    def __init__(self):
        self.lock = threading.RLock()
        self.log = []
        self._server = None
        self._thread = None

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), JsonHandler)
        self._server.daemon_threads = True
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def handle(self, method, path, query, raw, headers):
        raise NotImplementedError

    def requests_to(self, prefix):
        return [entry for entry in self.log if entry[1].startswith(prefix)]
