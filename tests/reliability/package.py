"""The "local accounting package": an HTTP server on 127.0.0.1 that answers the
connector's ``odoo_json2`` backend as an Odoo package does, and keeps a ledger.

Odoo's External JSON-2 API (Odoo 19 documentation, "External JSON-2 API"): every
call is ``POST /json/2/<model>/<method>`` with a JSON body of keyword arguments
(``ids``, ``domain``, ``fields``, ``vals_list``, ``context``...), the API key as
``Authorization: bearer <key>`` and the database in ``X-Odoo-Database``; the
answer is the method's return value as JSON, errors are HTTP 4xx/5xx with a JSON
``{"name", "message"}``. Only what accounting_connector/backends/odoo_json2.py
calls is answered: companies by company registry (one per dossier code),
journals, accounts, taxes and partners (all known), and ``account.move``
``search_read``/``search_count``/``create``/``unlink``.

Every ``account.move.create`` is recorded in the ledger with its idempotency key
(the ``idempotency-key: <key>`` narration the backend writes), its ref and the
order of arrival: booked twice and FIFO order are read from there.
"""

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY_MARK = "idempotency-key:"  # accounting_connector/backends/odoo_json2.py KEY_MARK
KEY_RE = re.compile(rb"idempotency-key:\s*([\w-]+)")
API_KEY = "reliability-package-key"


class Ledger:
    """What the package booked, thread-safe."""

    def __init__(self, companies):
        self.lock = threading.Lock()
        self.companies = dict(companies)  # company registry -> id
        self.moves = []  # dicts: id, company_id, ref, key, state, seq, at

    def find(self, company_id, narration=None, ref=None):
        with self.lock:
            return [
                move
                for move in self.moves
                if move["company_id"] == company_id
                and move["state"] != "cancel"
                and (narration is None or narration in move["narration"])
                and (ref is None or move["ref"] == ref)
            ]

    def book(self, vals):
        with self.lock:
            move = {
                "id": len(self.moves) + 1,
                "company_id": vals["company_id"],
                "ref": vals.get("ref"),
                "narration": vals.get("narration") or "",
                "key": (vals.get("narration") or "").replace(KEY_MARK, "").strip(),
                "state": "draft",
                "seq": len(self.moves),
                "at": time.time(),
            }
            self.moves.append(move)
            return move["id"]

    def unlink(self, ids):
        with self.lock:
            for move in self.moves:
                if move["id"] in ids:
                    move["state"] = "cancel"

    def bookings(self):
        with self.lock:
            return [dict(move) for move in self.moves]


def _domain_value(domain, field):
    for leaf in domain or []:
        if isinstance(leaf, list) and leaf[0] == field:
            return leaf[1], leaf[2]
    return None, None


class PackageHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests.Session uses it
    # headers and body go out in two writes: without this, TCP holds the second
    # back ~40 ms for the first one's ACK, a stall no real package server has
    disable_nagle_algorithm = True
    ledger = None
    latency = 0.0
    gate = None

    def log_message(self, *args):  # quiet: the run prints its own summary
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        body = json.loads(raw or b"{}")
        match = re.fullmatch(r"/json/2/([\w.]+)/(\w+)", self.path)
        if self.headers.get("Authorization") != f"bearer {API_KEY}":
            return self._answer(401, {"name": "AccessDenied", "message": "bad key"})
        if not match:
            return self._answer(404, {"name": "NotFound", "message": self.path})
        # the task this request is about (its idempotency key), if any
        key = KEY_RE.search(raw)
        with self.gate.passing(self.client_address[1], key and key[1].decode()):
            if self.latency:
                time.sleep(self.latency)  # a package on another machine
            model, method = match.groups()
            try:
                result = self._dispatch(model, method, body)
            except KeyError as error:
                return self._answer(422, {"name": "UserError", "message": str(error)})
        return self._answer(200, result)

    def _dispatch(self, model, method, body):
        ledger = self.ledger
        domain = body.get("domain") or []
        if model == "res.users":
            return [{"id": 2, "login": "admin"}]
        if model == "res.company":
            _op, code = _domain_value(domain, "company_registry")
            company_id = ledger.companies.get(code)
            if company_id is None:
                return []
            return [
                {
                    "id": company_id,
                    "name": f"Package {code}",
                    "fiscalyear_lock_date": False,
                    "hard_lock_date": False,
                }
            ]
        if model == "account.journal":
            _op, code = _domain_value(domain, "code")
            return [{"id": 1, "code": code or "BNK1"}]
        if model == "account.account":
            _op, codes = _domain_value(domain, "code")
            return [{"id": index + 1, "code": code} for index, code in enumerate(codes)]
        if model == "account.tax":
            _op, names = _domain_value(domain, "name")
            return [{"id": index + 1, "name": name} for index, name in enumerate(names)]
        if model == "res.partner":
            return []
        if model == "account.move":
            return self._moves(method, body, domain)
        raise KeyError(f"{model}.{method} is not served by the reliability package")

    def _moves(self, method, body, domain):
        ledger = self.ledger
        if method == "create":
            return [ledger.book(vals) for vals in body["vals_list"]]
        if method == "unlink":
            ledger.unlink(set(body.get("ids") or []))
            return True
        _op, company_id = _domain_value(domain, "company_id")
        _op, narration = _domain_value(domain, "narration")
        _op, ref = _domain_value(domain, "ref")
        found = ledger.find(company_id, narration=narration, ref=ref)
        if method == "search_count":
            return len(found)
        return [
            {"id": move["id"], "name": f"MISC/{move['id']}", "state": move["state"]}
            for move in found
        ]

    def _answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class PackageServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # a killed Odoo server drops its connections: that is the point of the run
        pass


def start_package(companies, gate, latency=0.02):
    """Start the package on a free port of 127.0.0.1; returns (server, ledger, url).

    Every request passes ``gate`` (gate.py): the run holds it to kill a server
    while that server's workers wait for the package.
    """
    ledger = Ledger(companies)
    handler = type(
        "Handler",
        (PackageHandler,),
        {"ledger": ledger, "latency": latency, "gate": gate},
    )
    server = PackageServer(("127.0.0.1", 0), handler)
    gate.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, ledger, f"http://127.0.0.1:{server.server_address[1]}"
