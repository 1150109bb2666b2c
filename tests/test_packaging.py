"""Each addon ships as an OCA-style wheel, odoo-addon-<name>, built by whool from its
manifest: `pip wheel --no-deps addons/<name>` must give a wheel that an integrator can
pip install and that holds everything Odoo loads from the addon."""

import ast
import fnmatch
import subprocess
import sys
import zipfile

import pytest

from .common import ADDONS, REPO


def manifest(addon):
    return ast.literal_eval((REPO / "addons" / addon / "__manifest__.py").read_text())


@pytest.mark.parametrize("addon", ADDONS)
def test_pip_wheel_builds_the_addon_with_its_data_files(addon, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--disable-pip-version-check",
        ]
        + ["-q", "-w", str(tmp_path), str(REPO / "addons" / addon)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = tmp_path.glob(f"odoo_addon_{addon}-19.0.*-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_name).decode()
    info = manifest(addon)
    wanted = info.get("data", []) + info.get("demo", [])
    wanted += [path for paths in info.get("assets", {}).values() for path in paths]
    wanted = [path.removeprefix(f"{addon}/") for path in wanted]
    wanted += ["__manifest__.py", "static/description/icon.png", "i18n/nl.po"]
    missing = sorted(
        path
        for path in wanted
        if not fnmatch.filter(names, f"odoo/addons/{addon}/{path}")
    )
    assert missing == [], f"{wheel.name} lacks {missing}"
    assert f"Name: odoo-addon-{addon}\n" in metadata
    for requirement in info.get("external_dependencies", {}).get("python", []):
        assert f"Requires-Dist: {requirement}" in metadata, metadata
