#!/usr/bin/env bash
# Installs one addon alone (no l10n_nl, no other addon of ours) in a fresh database, to prove it
# stands on its own:  setup/install_addon.sh DB_NAME ADDON   (log in .local/log/DB_NAME.log)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
db=${1:?usage: setup/install_addon.sh DB_NAME ADDON}
addon=${2:?usage: setup/install_addon.sh DB_NAME ADDON}
log="$LOCAL/log/$db.log"
mkdir -p "$LOCAL/log"
"$ODOO_REPO/setup/drop_db.sh" "$db"
odoo_cmd db init "$db" >"$log" 2>&1 || die "Creating $db failed; see $log."
odoo_bin -d "$db" -i "$addon" --stop-after-init >>"$log" 2>&1 || die "Installing $addon failed; see $log."
state=$(psql_admin -d "$db" -c "SELECT state FROM ir_module_module WHERE name = '$addon'")
echo "$addon: $state"
