#!/usr/bin/env bash
# Runs the tests as Odoo's own runner does it (odoo-bin --test-enable, as OCA's CI and runbot do):
# for each addon a fresh database without our setup (no Dutch loaded, no Dutch chart), the addon
# installed with --test-enable, only its own tests (--test-tags /ADDON).
#   setup/test_odoo.sh [ADDON ...]          (default: all five; log in .local/log/odoo_runner_ADDON.log)
# Extra tags can be given with ODOO_TEST_TAGS (e.g. ODOO_TEST_TAGS=/bank_mt940_reconcile:TestFuzzFull).
# Exits non-zero when a test fails or errors, or when Odoo ran no test of an addon.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$ODOO_REPO/setup/install.sh"

addons=("$@")
[ ${#addons[@]} -gt 0 ] || read -r -a addons <<<"$ODOO_ADDONS"
status=0
for addon in "${addons[@]}"; do
    db="odoo_runner_$addon"
    log="$LOCAL/log/$db.log"
    "$ODOO_REPO/setup/drop_db.sh" "$db"
    say "Odoo's test runner: $addon in a fresh database $db"
    started=$SECONDS
    rc=0
    # free ports of its own, so that it runs beside a running Odoo or another clone's tests
    ports=$("$PYTHON_FOR_CHECKS" -c 'import socket
sockets = [socket.socket() for _ in range(2)]  # both bound at once: two different ports
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets), sep="\n")')
    odoo_bin -d "$db" -i "$addon" --test-enable --test-tags "${ODOO_TEST_TAGS:-/$addon}" \
        --http-port "$(sed -n 1p <<<"$ports")" --gevent-port "$(sed -n 2p <<<"$ports")" \
        --stop-after-init --log-level=test >"$log" 2>&1 || rc=$?
    # Odoo's summary line: "... odoo.tests.result: 0 failed, 0 error(s) of 42 tests when loading database"
    summary=$(grep -E "[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests" "$log" | tail -n 1 | sed 's/.*: //')
    ran=$(sed -E -n 's/.* of ([0-9]+) tests.*/\1/p' <<<"$summary")
    if [ $rc -ne 0 ] || [ -z "$ran" ] || [ "$ran" = 0 ] || ! grep -q "^0 failed, 0 error" <<<"$summary"; then
        status=1
        echo "FAILED: $addon (exit $rc): ${summary:-no test summary}; see ${log#"$ODOO_REPO"/}" >&2
        grep -E " (ERROR|CRITICAL) .*(FAIL|ERROR):" "$log" | head -n 20 >&2 || true
    else
        say "$addon: $summary ($((SECONDS - started)) s)"
    fi
    "$ODOO_REPO/setup/drop_db.sh" "$db"
done
exit $status
