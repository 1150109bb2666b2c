#!/usr/bin/env bash
# Runs the benchmarks in tests/benchmarks (bench_*.py) and prints their figures.
#   setup/bench.sh [tests/benchmarks/bench_<addon>.py ...]
# Uses the test database (ODOO_TEST_DB, default odoo_test), created by setup/test.sh when missing.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$ODOO_REPO/setup/install.sh"
db=${ODOO_TEST_DB:-odoo_test}
db_exists "$db" || "$ODOO_REPO/setup/create_db.sh" "$db"
[ $# -gt 0 ] || set -- tests/benchmarks
cd "$ODOO_REPO"
exec "$PYTHON" -m pytest -p no:cacheprovider --rootdir="$ODOO_REPO" --confcutdir="$ODOO_REPO" --odoo-config="$ODOO_CONFIG" --odoo-database="$db" \
    --odoo-extra="db_port=$PGPORT" -o python_files='bench_*.py' -s "$@"
