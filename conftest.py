"""pytest hooks for the whole repository (setup/test.sh, setup/bench.sh).

- A skipped test fails the run: a skip is not a pass (a tour whose browser did not
  start, a server that could not be started, a missing tool: the suite must not look
  green).
- With ODOO_TOUR_SCREENSHOTS=1 a browser tour saves a screenshot where it logs
  ``screenshot:<addon>/<name>``: addons/<addon>/static/description/<name>.png, and a
  copy in addons/<addon>/readme/ (for the readme fragments).
"""

import base64
import os
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent
SCREENSHOT_SIGNAL = re.compile(r"^screenshot:([a-z0-9_]+)/([a-z0-9_-]+)$")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        report.outcome = "failed"
        report.longrepr = f"skipped, and a skip fails this suite: {reason}"


def _save_screenshots_from_tours():
    from odoo.tests.common import ChromeBrowser

    handle_console = ChromeBrowser._handle_console

    def _handle_console(self, type, args=None, stackTrace=None, **kw):
        if type == "log" and args and len(args) == 1:
            match = SCREENSHOT_SIGNAL.match(str(self._from_remoteobject(args[0])))
            if match:
                _capture(self, *match.groups())
        return handle_console(self, type, args=args, stackTrace=stackTrace, **kw)

    def _capture(browser, addon, name):
        future = browser._websocket_send(
            "Page.captureScreenshot", params={"format": "png"}, with_future=True
        )

        def _write(done):
            png = base64.b64decode(done.result()["data"])
            target = REPO / "addons" / addon / "static" / "description" / f"{name}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(png)
            readme = REPO / "addons" / addon / "readme" / f"{name}.png"
            shutil.copyfile(target, readme)

        future.add_done_callback(_write)

    ChromeBrowser._handle_console = _handle_console


if os.environ.get("ODOO_TOUR_SCREENSHOTS") == "1":
    _save_screenshots_from_tours()
