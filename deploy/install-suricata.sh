#!/usr/bin/env bash
# Install Suricata (>= 7.0) from the distribution, idempotently, and say what was found.
#
# Debian 12 (bookworm): Suricata 7 is in bookworm-backports. This script adds
# that suite on the same mirror the machine's sources already use (component
# main), runs apt-get update, and installs suricata from it. Newer Debian,
# Raspberry Pi OS and Ubuntu releases carry Suricata 7 in their own archives.
set -euo pipefail

say() { printf 'install-suricata: %s\n' "$*"; }
[ "$(id -u)" = 0 ] || { say "must run as root"; exit 1; }

if command -v suricata >/dev/null 2>&1; then
    ver=$(suricata -V 2>/dev/null | sed -n 's/.*version \([0-9][0-9.]*\).*/\1/p')
    case "$ver" in 7.*|8.*|9.*) say "Suricata $ver already installed, nothing to do"; exit 0 ;; esac
    say "found Suricata ${ver:-unknown}, need >= 7.0"
fi

# shellcheck disable=SC1091
. /etc/os-release
codename=${VERSION_CODENAME:-}
export DEBIAN_FRONTEND=noninteractive

mirror_uri() {
    # The first URI of a main-archive source, deb822 or one-line format.
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '/^URIs:/ {print $2; exit}' "$f" | grep -v security && return 0
    done
    awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null
}

if [ "${ID:-}" = debian ] && [ "$codename" = bookworm ]; then
    list=/etc/apt/sources.list.d/bookworm-backports.sources
    if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
        uri=$(mirror_uri | head -n 1)
        uri=${uri:-http://deb.debian.org/debian}
        cat > "$list" <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
        say "added $list ($uri bookworm-backports main)"
    fi
    apt-get update -qq
    apt-get install -y -qq -t bookworm-backports suricata >/dev/null
else
    apt-get update -qq
    cand=$(apt-cache policy suricata | awk '/Candidate:/ {print $2}')
    case "$cand" in
        7.*|8.*|9.*|1:7.*|1:8.*) apt-get install -y -qq suricata >/dev/null ;;
        *) say "this release (${PRETTY_NAME:-unknown}) offers Suricata '${cand:-none}', need >= 7.0;"
           say "the agent will use its builtin engine"; exit 0 ;;
    esac
fi
say "installed: $(suricata -V 2>/dev/null | head -n 1)"
