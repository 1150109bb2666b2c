"""Installing the suite: with the Dutch chart and demo data, and each addon alone.

These run Odoo in a separate process on scratch databases, as an administrator would.
"""

import pytest

from .common import ADDONS, REPO, drop_database, log_problems, run_setup


def test_all_addons_install_with_dutch_chart_and_demo_without_warnings():
    db = "odoo_checklog"
    try:
        result = run_setup("create_db.sh", db)
        log = (REPO / ".local" / "log" / f"{db}.log").read_text()
        assert result.returncode == 0, result.stdout + result.stderr
        assert log_problems(log) == []
        assert "DEMO LOADED" in log
    finally:
        drop_database(db)


@pytest.mark.parametrize("addon", ADDONS)
def test_addon_installs_on_its_own(addon):
    db = f"odoo_alone_{addon}"
    try:
        result = run_setup("install_addon.sh", db, addon)
        log = (REPO / ".local" / "log" / f"{db}.log").read_text()
        assert result.returncode == 0, result.stdout + result.stderr
        assert log_problems(log) == []
        assert f"{addon}: installed" in result.stdout
    finally:
        drop_database(db)
