#!/usr/bin/env bash
# Refreshes addons/<addon>/i18n/<addon>.pot from the code and merges it into nl.po, keeping the
# translations already there; lists what still needs a Dutch translation.
#   setup/i18n.sh [ADDON ...]      (default: all five; uses the test database, see test.sh)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
db=${ODOO_TEST_DB:-odoo_test}
db_exists "$db" || die "Database $db does not exist; run ./setup/test.sh once first."
addons=("$@")
[ ${#addons[@]} -gt 0 ] || read -r -a addons <<<"$ODOO_ADDONS"
say "Updating ${addons[*]} in $db"
odoo_bin -d "$db" -u "$(IFS=,; echo "${addons[*]}")" --stop-after-init >"$LOCAL/log/$db-i18n.log" 2>&1 \
    || die "Updating the addons in $db failed; see .local/log/$db-i18n.log."
for addon in "${addons[@]}"; do
    pot="$ODOO_REPO/addons/$addon/i18n/$addon.pot"
    mkdir -p "$(dirname "$pot")"
    "$PYTHON" "$ODOO_SRC/odoo-bin" i18n export -c "$ODOO_CONFIG" -d "$db" -l pot -o "$pot" "$addon" >>"$LOCAL/log/$db-i18n.log" 2>&1 \
        || die "Exporting the terms of $addon failed; see .local/log/$db-i18n.log."
    "$PYTHON" "$ODOO_REPO/setup/merge_po.py" "$pot" "$ODOO_REPO/addons/$addon/i18n/nl.po"
done
