#!/usr/bin/env bash
# Lint as CI does: ruff (OCA 19.0 settings, check + format) on the Python code and pylint-odoo's
# mandatory checks on the addons. Exits non-zero on any finding.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$ODOO_REPO/setup/install.sh"

stamp="$VENV/.lint-requirements.sha256"
wanted=$(sha256sum "$ODOO_REPO/setup/lint-requirements.txt" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    say "Installing the linters (setup/lint-requirements.txt)"
    "$PYTHON" -m pip install -q --disable-pip-version-check -r "$ODOO_REPO/setup/lint-requirements.txt" 2>&1 \
        | grep -v "^WARNING: Location" || true
    "$VENV/bin/ruff" --version >/dev/null && "$VENV/bin/pylint" --version >/dev/null \
        || die "Installing the linters failed (see the pip messages above)."
    echo "$wanted" > "$stamp"
fi

cd "$ODOO_REPO"
status=0
say "ruff check"
"$VENV/bin/ruff" check addons tests setup conftest.py || status=1
say "ruff format --check"
"$VENV/bin/ruff" format --check addons tests setup conftest.py || status=1
say "pylint-odoo (mandatory checks)"
"$VENV/bin/pylint" --rcfile=.pylintrc-mandatory addons/* || status=1
[ $status -eq 0 ] && say "Lint clean" || echo "ERROR: lint found problems (listed above)." >&2
exit $status
