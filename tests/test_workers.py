"""Odoo as deployed: ``--workers`` with its websocket process (issue 15 point 1).

Starts ``odoo-bin`` from ``$ODOO_SRC`` with the project's ``.odoo-config``,
``--workers=2 --max-cron-threads=1`` and free HTTP and gevent ports, on a scratch
database that Odoo creates itself (base, web, bus): the test database is left
alone, so no cron of that server runs behind the other tests' backs. Checks what
a browser needs for live notifications: the HTTP port answers, the gevent port
switches protocols on a real websocket handshake, and the gevent process started
once and stays up (a gevent that dies at import is restarted by the master every
few seconds). Every wait is bounded; Odoo is stopped with SIGTERM, SIGKILL after
a bounded wait, and the scratch database is dropped.
"""

import os
import time

from odoo.tools import config

from .common import drop_database
from .reliability.odoo_server import OdooServer

START_TIMEOUT = 300  # creating the scratch database included
WATCH_SECONDS = 10


def test_odoo_with_workers_serves_the_websocket(tmp_path):
    db = f"odoo_workers_{os.getpid()}"
    server = OdooServer(
        db,
        config["db_port"],
        tmp_path / "odoo.log",
        extra_args=["-i", "bus", "--workers=2", "--max-cron-threads=1"],
    )
    try:
        server.start()
        assert server.wait_ready(START_TIMEOUT), (
            f"Odoo did not answer on ports {server.http_port} (HTTP) and "
            f"{server.gevent_port} (websocket) within {START_TIMEOUT} s:\n"
            + server.log_text()[-5000:]
        )
        websocket_pids = server.gevent_pids()

        switched, answer = server.websocket_handshake()
        assert switched, answer

        time.sleep(WATCH_SECONDS)
        assert server.process.poll() is None, server.log_text()[-5000:]
        assert len(websocket_pids) == 1, websocket_pids
        assert server.gevent_pids() == websocket_pids, server.log_text()[-5000:]
        assert server.websocket_handshake()[0]
    finally:
        server.stop()
        drop_database(db)
    log = server.log_text()
    assert server.evented_starts() == 1, log[-5000:]
    assert "Traceback" not in log, log[-5000:]
