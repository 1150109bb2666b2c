#!/usr/bin/env bash
# The reliability run of issue 15 (tests/reliability/README.md): a scratch database with the
# five addons, two Odoo servers with --workers on it, connector tasks, an MT940 file,
# duplicate mails, scheduled SFTP exports and CCV payments, one server killed with SIGKILL
# while it holds work. Prints the figures and exits 1 when a goal is missed. Bounded: the
# run observes at most --budget seconds (900) after the kill and is stopped after 30 minutes.
#   setup/reliability.sh                       full size (3,000 tasks, 3,000 credits)
#   setup/reliability.sh --tasks 300 --credits 300   any option of tests/reliability/run.py
# ODOO_RELIABILITY_DB names an existing database to use instead of a scratch one (it is kept).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$ODOO_REPO/setup/install.sh"

if [ -n "${ODOO_RELIABILITY_DB:-}" ]; then
    db=$ODOO_RELIABILITY_DB
    db_exists "$db" || die "Database $db does not exist; leave ODOO_RELIABILITY_DB empty for a scratch one."
else
    db="reliability_$$"
    trap '"$ODOO_REPO/setup/drop_db.sh" "$db" || true' EXIT
    "$ODOO_REPO/setup/create_db.sh" "$db"
fi

say "Reliability run on $db (logs in .local/log/$db-A.log and -B.log)"
cd "$ODOO_REPO/tests/reliability"
status=0
timeout --kill-after=60 1800 "$PYTHON" run.py --db "$db" --db-port "$PGPORT" "$@" || status=$?
[ $status -ne 124 ] || echo "ERROR: the reliability run did not finish within 30 minutes." >&2
exit $status
