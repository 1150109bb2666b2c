#!/usr/bin/env bash
# Installs what is missing: system packages the tests need, the virtualenv with the Python
# dependencies, and a PostgreSQL cluster of the project's own (started on 127.0.0.1).
# Running it again only checks; it changes nothing that is already in place.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

check_odoo
check_pg_binaries

# Debian packages the test suite uses (real servers on 127.0.0.1): OpenSSH's sshd for the SFTP
# tests, Postfix for the mail end-to-end test (each test starts its own instance and stops it),
# Chromium for the browser tours (Odoo's HttpCase.start_tour runs it headless), pandoc for the
# addons' README.rst made from their readme/ fragments (setup/readme.py), unzip to check the
# SFTP export's zip as other programs read it.
SYSTEM_PACKAGES="openssh-server openssh-client postfix chromium pandoc unzip"
missing=""
for pkg in $SYSTEM_PACKAGES; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "Installing system packages:$missing"
        export DEBIAN_FRONTEND=noninteractive
        # Postfix unconfigured: no system mail service is set up or started.
        printf '%s\n' "postfix postfix/main_mailer_type select No configuration" \
            "postfix postfix/mailname string localhost" | debconf-set-selections
        apt-get update -qq >/dev/null
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing >/dev/null \
            || die "Could not install$missing with apt-get. Install them by hand and run this command again."
    else
        say "Warning: missing system packages:$missing (install them as root; tests that need them will fail)."
    fi
fi

# Python virtualenv; reinstalled only when requirements.txt changed.
stamp="$VENV/.requirements.sha256"
wanted=$(sha256sum "$ODOO_REPO/requirements.txt" | cut -d' ' -f1)
if [ ! -x "$PYTHON" ]; then
    say "Creating the virtualenv in .venv"
    python3 -m venv "$VENV" || die "Could not create a virtualenv with python3. Install Python 3.11 with venv (Debian: apt-get install python3-venv)."
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    say "Installing Python dependencies (requirements.txt); this takes a few minutes the first time"
    "$PYTHON" -m pip install -q --disable-pip-version-check --upgrade pip wheel setuptools 2>&1 | grep -v "^WARNING: Location" || true
    "$PYTHON" -m pip install -q --disable-pip-version-check -r "$ODOO_REPO/requirements.txt" 2>&1 \
        | grep -v "^WARNING: Location" || true
    "$PYTHON" -c "import psycopg2, lxml, werkzeug, paramiko, mt940" 2>/dev/null \
        || die "Installing requirements.txt into .venv failed (see the pip messages above). Fix the cause, then run this command again."
    echo "$wanted" > "$stamp"
fi
# Odoo is not a package: make it importable in the venv (pytest-odoo imports it) from ODOO_SRC.
site=$("$PYTHON" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
echo "$ODOO_SRC" > "$site/odoo-src.pth"

# PostgreSQL cluster of our own, in .local/postgres, on db_port of .odoo-config.
mkdir -p "$LOCAL/log"
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    exec "$0" "$@"   # again, now that PGDATA can be chosen for the 'postgres' user
fi
if [ ! -f "$PGDATA/PG_VERSION" ]; then
    if port_in_use "$PGPORT"; then
        die "Port $PGPORT (db_port in .odoo-config) is in use by another program. Stop it, or change db_port in .odoo-config, then run this command again."
    fi
    say "Creating the PostgreSQL cluster in ${PGDATA#"$ODOO_REPO"/} (port $PGPORT)"
    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$PGDATA"
        runuser -u postgres -- test -w "$PGDATA" \
            || die "The 'postgres' user cannot write to $PGDATA (a parent folder is not accessible). Clone the repository where other users can read it, or run as a normal user."
    fi
    as_pg_owner "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$LOCAL/log/initdb.log" 2>&1 \
        || die "initdb failed; see .local/log/initdb.log."
    cat >> "$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF
fi
if ! pg_running; then
    if port_in_use "$PGPORT"; then
        die "Port $PGPORT (db_port in .odoo-config) is in use by another program. Stop it, or change db_port in .odoo-config, then run this command again."
    fi
    say "Starting PostgreSQL on 127.0.0.1:$PGPORT"
    rm -f "$PGDATA/postmaster.pid"
    log="$LOCAL/log/postgres.log"
    touch "$log"
    [ "$(id -u)" = 0 ] && chown postgres: "$log"
    as_pg_owner "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$log" -w -t 60 start >/dev/null \
        || die "PostgreSQL did not start; see .local/log/postgres.log."
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$PGUSER'")" != 1 ]; then
    psql_admin -c "CREATE ROLE \"$PGUSER\" LOGIN SUPERUSER"
fi
