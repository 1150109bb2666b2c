#!/usr/bin/env bash
# Makes sure Odoo 19.0 is at ODOO_SRC: when it is missing, clones the 19.0 branch of Odoo's public
# repository there (shallow); when that cannot be done, says exactly what to do. An existing
# ODOO_SRC is used as it is (no network needed).   setup/get_odoo.sh
# ODOO_GIT_URL (default Odoo's repository on GitHub) names another place to clone from.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
url=${ODOO_GIT_URL:-https://github.com/odoo/odoo.git}

if [ ! -f "$ODOO_SRC/odoo/release.py" ]; then
    how="Get Odoo 19.0 yourself: git clone --depth 1 --branch 19.0 $url $ODOO_SRC (or put any copy of Odoo 19.0 Community there, or set ODOO_SRC to where it is), then run this command again."
    if [ -e "$ODOO_SRC" ] && [ -n "$(ls -A "$ODOO_SRC" 2>/dev/null)" ]; then
        die "ODOO_SRC=$ODOO_SRC exists but holds no Odoo (no odoo/release.py), so nothing was cloned into it. $how"
    fi
    command -v git >/dev/null || die "Odoo 19.0 is not at ODOO_SRC=$ODOO_SRC and git is not installed to fetch it (Debian: apt-get install git). $how"
    say "Odoo 19.0 is not at $ODOO_SRC: checking that $url can be reached"
    timeout 30 git ls-remote --exit-code --heads "$url" 19.0 >/dev/null 2>&1 \
        || die "Odoo 19.0 is not at ODOO_SRC=$ODOO_SRC and $url could not be reached from this machine (offline, or a proxy is needed). $how"
    say "Cloning Odoo 19.0 (shallow) into $ODOO_SRC; this takes a few minutes"
    mkdir -p "$(dirname "$ODOO_SRC")"
    git clone --quiet --depth 1 --branch 19.0 "$url" "$ODOO_SRC" \
        || { rm -rf "$ODOO_SRC"; die "Cloning $url into $ODOO_SRC failed (see git's message above). $how"; }
fi
check_odoo
