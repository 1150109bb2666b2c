#!/usr/bin/env bash
# Installs what is missing, creates a fresh test database with the five addons, and runs every
# test of the project with pytest-odoo (addons/*/tests and tests/, benchmarks excepted).
#   setup/test.sh                        all tests
#   setup/test.sh addons/sftp_export     one addon's tests (any pytest arguments work)
# ODOO_TEST_DB (default odoo_test) names the database; ODOO_TEST_KEEP_DB=1 reuses an existing one
# and only updates the addons (quicker while developing).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$ODOO_REPO/setup/install.sh"

db=${ODOO_TEST_DB:-odoo_test}
if [ "${ODOO_TEST_KEEP_DB:-0}" = 1 ] && db_exists "$db"; then
    say "Updating the addons in the existing test database $db"
    odoo_bin -d "$db" -u "${ODOO_ADDONS// /,}" --stop-after-init >"$LOCAL/log/$db-update.log" 2>&1 \
        || die "Updating the addons in $db failed; see .local/log/$db-update.log."
else
    "$ODOO_REPO/setup/create_db.sh" "$db"
fi

if [ $# -eq 0 ]; then
    set -- addons tests
fi
say "Running the tests: $*"
cd "$ODOO_REPO"
status=0
"$PYTHON" -m pytest -p no:cacheprovider --rootdir="$ODOO_REPO" --confcutdir="$ODOO_REPO" --odoo-config="$ODOO_CONFIG" --odoo-database="$db" \
    --odoo-extra="db_port=$PGPORT" --odoo-http --ignore=tests/benchmarks -o python_files='test_*.py' -rfEs "$@" || status=$?
if [ $status -eq 5 ]; then
    echo "ERROR: no test was collected from: $*" >&2
fi
exit $status
