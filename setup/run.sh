#!/usr/bin/env bash
# Gets Odoo 19.0 when it is missing (setup/get_odoo.sh), installs what is missing, creates the demo
# database once (Dutch chart of accounts, the five addons and their demo data) and starts Odoo on
# http://localhost:$HTTP_PORT (admin / admin).
# Extra arguments go to odoo-bin.   ODOO_DB (default odoo_demo) names the database.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$ODOO_REPO/setup/get_odoo.sh"   # clones Odoo 19.0 to ODOO_SRC when it is missing
"$ODOO_REPO/setup/install.sh"

db=${ODOO_DB:-odoo_demo}
installed=0
if db_exists "$db"; then
    installed=$(psql_admin -d "$db" -c "SELECT count(*) FROM ir_module_module
        WHERE state = 'installed' AND name = ANY(string_to_array('$ODOO_ADDONS', ' '))")
fi
if [ "$installed" != "$(wc -w <<<"$ODOO_ADDONS")" ]; then
    "$ODOO_REPO/setup/create_db.sh" "$db" nl_NL
else
    say "Reusing database $db"
fi

if port_in_use "$HTTP_PORT"; then
    die "Port $HTTP_PORT (http_port in .odoo-config) is in use by another program, perhaps an Odoo that is already running. Stop it, or change http_port in .odoo-config, then run this command again."
fi
say "Starting Odoo on http://localhost:$HTTP_PORT (login admin / admin); stop it with Ctrl+C"
cd "$ODOO_REPO"
exec "$PYTHON" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONFIG" --db_port "$PGPORT" -d "$db" --db-filter="^$db\$" "$@"
