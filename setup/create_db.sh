#!/usr/bin/env bash
# Creates an Odoo database with the Dutch chart of accounts on the main company, the five addons
# installed and their demo data loaded:  setup/create_db.sh DB_NAME [LANGUAGE]
#
# Odoo's own demo data would force the generic chart onto the main company, so the database is
# created without it and only our addons' demo data is loaded (setup/load_demo.py).
# The whole Odoo log goes to .local/log/DB_NAME.log; a failed creation leaves no database behind.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

db=${1:?usage: setup/create_db.sh DB_NAME [LANGUAGE]}
lang=${2:-en_US}
log="$LOCAL/log/$db.log"
mkdir -p "$LOCAL/log"
: > "$log"

fail() {
    psql_admin -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
    rm -rf "$LOCAL/odoo-data/filestore/$db"
    die "$1 The last lines of .local/log/$db.log:
$(grep -v ' INFO ' "$log" | tail -n 15)"
}

psql_admin -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null
rm -rf "$LOCAL/odoo-data/filestore/$db"
modules="l10n_nl,${ODOO_ADDONS// /,}"
started=$SECONDS

say "Creating database $db (Netherlands, $lang)"
odoo_cmd db init "$db" --country NL --language "$lang" \
    >>"$log" 2>&1 || fail "Creating the database $db failed."

extra_lang=()
[ "$lang" = nl_NL ] || extra_lang=(--load-language=nl_NL)
say "Installing $modules (takes about a minute)"
odoo_bin -d "$db" -i "$modules" "${extra_lang[@]}" --stop-after-init >>"$log" 2>&1 \
    || fail "Installing the addons in $db failed."

say "Loading the addons' demo data"
odoo_cmd shell -d "$db" --no-http < "$ODOO_REPO/setup/load_demo.py" >>"$log" 2>&1 \
    || fail "Loading demo data in $db failed."
grep -q "DEMO LOADED" "$log" || fail "Loading demo data in $db did not finish."

say "Database $db ready in $((SECONDS - started)) s"
