#!/usr/bin/env bash
# Drops a database of the project's cluster and its filestore:  setup/drop_db.sh DB_NAME
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
db=${1:?usage: setup/drop_db.sh DB_NAME}
psql_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
rm -rf "$LOCAL/odoo-data/filestore/$db"
