# Shared by the setup scripts: where things are, and small checks that fail with a sentence.
# shellcheck shell=bash
set -euo pipefail

ODOO_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODOO_SRC=${ODOO_SRC:-/opt/odoo}
export ODOO_REPO ODOO_SRC

VENV="$ODOO_REPO/.venv"
PYTHON="$VENV/bin/python"
LOCAL="$ODOO_REPO/.local"               # ignored by git: database cluster, filestore, logs
PGDATA="$LOCAL/postgres"
# As root the server runs as 'postgres', which must reach the data folder; where a parent folder
# keeps it out (a clone under /root, say), the cluster lives in a folder of this clone's own in /var/tmp.
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$ODOO_REPO"; then
    PGDATA="/var/tmp/odoo-suite-postgres-$(echo "$ODOO_REPO" | sha1sum | cut -c1-12)"
fi
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
ODOO_CONFIG="$ODOO_REPO/.odoo-config"
ODOO_ADDONS=${ODOO_ADDONS:-"sftp_export email_receiver_trusted accounting_connector ccv_moneybird_sync bank_mt940_reconcile"}   # a subset may be named while developing one addon
export ODOO_ADDONS

say() { printf '==> %s\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Values come from .odoo-config so the scripts and Odoo never disagree.
config_value() {
    sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$ODOO_CONFIG" | tail -n 1
}
PGPORT=${ODOO_DB_PORT:-$(config_value db_port)}   # ODOO_DB_PORT overrides, e.g. for a second clone
PGHOST=$(config_value db_host)
PGUSER=$(config_value db_user)
HTTP_PORT=$(config_value http_port)
export PGPORT PGHOST PGUSER

check_odoo() {
    local release="$ODOO_SRC/odoo/release.py"
    [ -f "$release" ] || die "Odoo 19.0 was not found at ODOO_SRC=$ODOO_SRC. Put a checkout of the 19.0 branch of Odoo's public repository there (or set ODOO_SRC to where it is), then run this command again."
    grep -q '^version_info = (19, 0,' "$release" \
        || die "The Odoo at ODOO_SRC=$ODOO_SRC is not version 19.0 ($(grep '^version_info' "$release")). These addons need Odoo 19.0: point ODOO_SRC at a 19.0 checkout."
    [ ! -d "$ODOO_SRC/odoo/enterprise" ] \
        || die "$ODOO_SRC/odoo/enterprise exists: that is not Odoo Community. Remove that folder and run this command again."
}

check_pg_binaries() {
    [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] \
        || die "PostgreSQL 15 server programs were not found in $PG_BIN. Install them (Debian: apt-get install postgresql-15) or set PG_BIN to the folder holding initdb and pg_ctl."
}

port_in_use() {
    "$PYTHON_FOR_CHECKS" - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(0.5)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PY
}
PYTHON_FOR_CHECKS=$(command -v python3 || command -v python)

# The PostgreSQL server refuses to run as root: run it as 'postgres' when we are root.
as_pg_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_running() {
    [ -f "$PGDATA/postmaster.pid" ] && as_pg_owner "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}

psql_admin() {
    PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
}

db_exists() {
    [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]
}

odoo_bin() {
    (cd "$ODOO_REPO" && "$PYTHON" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONFIG" --db_port "$PGPORT" "$@")
}

# Odoo subcommands (db, shell, module, i18n) take their name before the options.
odoo_cmd() {
    local command=$1
    shift
    (cd "$ODOO_REPO" && "$PYTHON" "$ODOO_SRC/odoo-bin" "$command" -c "$ODOO_CONFIG" --db_port "$PGPORT" "$@")
}
