"""Each addon's README.rst and static/description/index.html are the ones OCA's
readme generator would make from its readme/ fragments (setup/readme.py), up to date."""

import subprocess
import sys

from .common import ADDONS, REPO


def test_generated_readmes_are_up_to_date():
    result = subprocess.run(
        [sys.executable, str(REPO / "setup" / "readme.py"), "--check", *ADDONS],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for addon in ADDONS:
        html = (
            REPO / "addons" / addon / "static" / "description" / "index.html"
        ).read_text()
        assert "Table of contents" in html
        assert (
            REPO / "addons" / addon / "static" / "description" / "icon.png"
        ).exists()
