"""Odoo's own runner (odoo-bin --test-enable, OCA CI, runbot) runs only the test
modules an addon's tests/__init__.py imports: every test_*.py must be imported there."""

import ast

import pytest

from .common import ADDONS, REPO


def imported_test_modules(init_file):
    """Names of the modules `from . import x` brings in, read from its syntax tree."""
    names = set()
    for node in ast.walk(ast.parse(init_file.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and not node.module:
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("addon", ADDONS)
def test_every_test_module_is_imported_for_odoos_runner(addon):
    tests = REPO / "addons" / addon / "tests"
    on_disk = {path.stem for path in tests.glob("test_*.py")}
    assert on_disk, f"{addon} has no test modules"
    missing = sorted(on_disk - imported_test_modules(tests / "__init__.py"))
    assert missing == [], (
        f"{addon}/tests/__init__.py does not import {missing}: "
        "Odoo's test runner would never run them"
    )
