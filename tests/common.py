"""Helpers shared by the cross-addon tests."""

import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ADDONS = os.environ.get(
    "ODOO_ADDONS",
    "sftp_export email_receiver_trusted accounting_connector "
    "ccv_moneybird_sync bank_mt940_reconcile",
).split()
# An Odoo log record: "2026-11-21 21:42:14,001 4500 WARNING db logger: message"
ODOO_LOG_PROBLEM = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (WARNING|ERROR|CRITICAL) "
)


def log_problems(log_text):
    """WARNING, ERROR and CRITICAL records of an Odoo log, as OCA checklog sees them."""
    return [line for line in log_text.splitlines() if ODOO_LOG_PROBLEM.match(line)]


def run_setup(script, *args, timeout=900):
    """Run one of the setup/ scripts; returns the finished process (output captured)."""
    return subprocess.run(
        [str(REPO / "setup" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def drop_database(name):
    run_setup("drop_db.sh", name, timeout=120)
