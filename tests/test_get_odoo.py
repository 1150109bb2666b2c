"""./setup/run.sh gets Odoo 19.0 by itself when ODOO_SRC is empty (setup/get_odoo.sh):
a shallow clone of the 19.0 branch; offline it says exactly what to do; an existing
ODOO_SRC needs no network. The clone is made here from a local repository standing in
for Odoo's."""

import os
import subprocess

from .common import REPO

UNREACHABLE = "https://127.0.0.1:9/odoo.git"


def get_odoo(odoo_src, git_url):
    env = dict(os.environ, ODOO_SRC=str(odoo_src), ODOO_GIT_URL=git_url)
    return subprocess.run(
        [str(REPO / "setup" / "get_odoo.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_missing_odoo_is_cloned_shallow_from_the_19_0_branch(tmp_path):
    upstream = tmp_path / "upstream"
    (upstream / "odoo").mkdir(parents=True)
    git("init", "-q", "-b", "19.0", cwd=upstream)
    for version in ("(19, 0, 0, FINAL, 0, '')", "(19, 0, 0, FINAL, 1, '')"):
        (upstream / "odoo" / "release.py").write_text(f"version_info = {version}\n")
        git("add", "-A", cwd=upstream)
        git(
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            version,
            cwd=upstream,
        )
    target = tmp_path / "opt" / "odoo"

    result = get_odoo(target, f"file://{upstream}")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Cloning Odoo 19.0 (shallow)" in result.stdout
    assert "FINAL, 1" in (target / "odoo" / "release.py").read_text()
    depth = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"],
        check=True,
        cwd=target,
        capture_output=True,
        text=True,
    )
    assert depth.stdout.strip() == "1"  # shallow: only the newest commit


def test_offline_without_odoo_says_exactly_what_to_do(tmp_path):
    target = tmp_path / "odoo"

    result = get_odoo(target, UNREACHABLE)

    assert result.returncode == 1
    assert "could not be reached" in result.stderr
    assert f"git clone --depth 1 --branch 19.0 {UNREACHABLE} {target}" in result.stderr
    assert not target.exists()


def test_an_existing_odoo_is_used_without_network():
    result = get_odoo(os.environ.get("ODOO_SRC", "/opt/odoo"), UNREACHABLE)

    assert result.returncode == 0, result.stderr
    assert "Cloning" not in result.stdout
