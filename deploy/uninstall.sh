#!/usr/bin/env bash
# Remove the yamori agent from this box, leaving no trace, and say what was removed.
#
#   sudo ./uninstall.sh [--keep-data]
#
# Stops and disables yamori-agent, removes its unit (and any drop-ins),
# /opt/yamori (the virtualenv), /etc/yamori (config and token),
# /var/lib/yamori (the alert queue: alerts not yet delivered are lost) and the
# `yamori` user and group. Packages and apt sources are removed only when
# deploy/install.sh recorded that it added them (/opt/yamori/install.state):
# a Suricata the box had before stays (its suricata.service, which the
# installer disabled, is enabled again). --keep-data keeps /var/lib/yamori and
# the yamori user that owns it, so a reinstall picks the queue up again.
# Idempotent: running it twice removes nothing the second time.
set -euo pipefail

PREFIX=/opt/yamori
STATE=$PREFIX/install.state
ETC=/etc/yamori
DATA=/var/lib/yamori
UNIT=/etc/systemd/system/yamori-agent.service
USER_NAME=yamori
keep_data=0
removed=0

say() { printf 'uninstall: %s\n' "$*"; }

remove_path() {
    if [ -e "$1" ] || [ -L "$1" ]; then
        rm -rf -- "$1"
        say "removed $1"
        removed=$((removed + 1))
    fi
}

have_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

stop_service() {
    have_systemd || return 0
    if systemctl is-active --quiet yamori-agent.service; then
        systemctl stop yamori-agent.service
        say "stopped yamori-agent"
    fi
    if systemctl is-enabled --quiet yamori-agent.service 2>/dev/null; then
        systemctl disable --quiet yamori-agent.service
        say "disabled yamori-agent"
    fi
}

remove_unit() {
    remove_path "$UNIT"
    remove_path "$UNIT.d"
    remove_path /etc/systemd/system/multi-user.target.wants/yamori-agent.service
    if have_systemd; then
        systemctl daemon-reload
        systemctl reset-failed yamori-agent.service 2>/dev/null || true
    fi
}

remove_recorded() {
    # Packages and files the installer added (and only those).
    [ -f "$STATE" ] || return 0
    local kind what unit packages=() reenable=()
    while read -r kind what; do
        case "$kind" in
            apt) dpkg-query -W -f='${Status}' "$what" 2>/dev/null | grep -q "ok installed" \
                     && packages+=("$what") ;;
            file) remove_path "$what" ;;
            disabled) reenable+=("$what") ;;
        esac
    done < "$STATE"
    if [ ${#packages[@]} -gt 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq --autoremove "${packages[@]}" >/dev/null
        say "purged packages the installer added: ${packages[*]}"
        removed=$((removed + 1))
    fi
    # A unit the installer disabled on a package it did not add (a Suricata
    # the box had before) is enabled again; purged packages took theirs along.
    for unit in "${reenable[@]}"; do
        if [ "$(systemctl is-enabled "$unit" 2>/dev/null || true)" = disabled ]; then
            systemctl enable --quiet "$unit"
            say "re-enabled $unit"
        fi
    done
}

remove_user() {
    if getent passwd "$USER_NAME" >/dev/null; then
        userdel "$USER_NAME"
        say "removed user $USER_NAME"
        removed=$((removed + 1))
    fi
    if getent group "$USER_NAME" >/dev/null; then
        groupdel "$USER_NAME"
        say "removed group $USER_NAME"
    fi
}

main() {
    case "${1:-}" in
        --keep-data) keep_data=1 ;;
        "") ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) say "unknown option $1 (usage: uninstall.sh [--keep-data])" >&2; exit 1 ;;
    esac
    [ "$(id -u)" = 0 ] || { say "must run as root"; exit 1; }
    stop_service
    remove_unit
    remove_recorded
    remove_path "$PREFIX"
    remove_path "$ETC"
    if [ "$keep_data" = 1 ]; then
        say "kept $DATA and user $USER_NAME (--keep-data)"
    else
        remove_path "$DATA"
        remove_user
    fi
    if [ "$removed" = 0 ]; then say "nothing to remove: yamori is not installed"; else say "done"; fi
}

main "$@"
