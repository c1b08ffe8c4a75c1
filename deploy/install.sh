#!/usr/bin/env bash
# Install the yamori agent on this box, idempotently, saying what it changes.
#
#   sudo ./install.sh --collector https://soc.example.net --token TOKEN
#
# Debian 12/13, Raspberry Pi OS, Ubuntu (amd64, arm64). Installs Suricata from
# the distribution (deploy/install-suricata.sh; --no-suricata skips it: the
# agent then runs its builtin engine) and disables the distribution's
# suricata.service (the agent runs Suricata itself), creates the `yamori` system user,
# /etc/yamori and /var/lib/yamori, a virtualenv /opt/yamori/venv with yamori
# installed from the source tree this script sits in (or --wheel), the
# systemd unit, /etc/yamori/agent.toml (capture interface detected: the
# default route's, or --interface) and the enrollment token (mode 0600).
# It enables and starts yamori-agent unless --no-start. Running it again
# changes only what differs. What it changed that was not there before is
# recorded in /opt/yamori/install.state, so deploy/uninstall.sh can take
# exactly that away again.
set -euo pipefail

PREFIX=/opt/yamori
VENV=$PREFIX/venv
STATE=$PREFIX/install.state
ETC=/etc/yamori
DATA=/var/lib/yamori
UNIT_DIR=/etc/systemd/system
USER_NAME=yamori
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)

collector="" token="" token_file="" interface="" wheel="" sensor_id="" tenant="" vendor_key=""
engine=auto with_suricata=1 start=1 enroll=1
changed=0  # set when the venv, unit, config or token changed: restart then

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: error: %s\n' "$*" >&2; exit 1; }

usage() {
    cat <<'EOF'
usage: sudo ./install.sh --collector URL (--token T | --token-file F) [options]
  --collector URL    the SOC collector's base URL
  --token T          the enrollment token (or --token-file F to read it from F)
  --interface IF     capture interface (default: the default route's interface)
  --sensor-id ID     this box's sensor id (default: the hostname)
  --tenant NAME      the customer this box belongs to
  --engine E         auto (default), builtin or suricata
  --wheel FILE|URL   install this yamori wheel instead of the source tree
  --vendor-key FILE  the vendor's rule-signing public key (PEM); default:
                     vendor.pub beside this script. Without one the box
                     refuses every remote rule update.
  --no-suricata      do not install Suricata (the agent uses its builtin engine)
  --no-start         do not enable or start yamori-agent
  --no-enroll        write the token file but do not call `yamori enroll`
EOF
}

parse_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --collector) collector=${2:?}; shift ;;
            --token) token=${2:?}; shift ;;
            --token-file) token_file=${2:?}; shift ;;
            --interface) interface=${2:?}; shift ;;
            --sensor-id) sensor_id=${2:?}; shift ;;
            --tenant) tenant=${2:?}; shift ;;
            --engine) engine=${2:?}; shift ;;
            --wheel) wheel=${2:?}; shift ;;
            --vendor-key) vendor_key=${2:?}; shift ;;
            --no-suricata) with_suricata=0 ;;
            --no-start) start=0 ;;
            --no-enroll) enroll=0 ;;
            -h|--help) usage; exit 0 ;;
            *) usage >&2; die "unknown option $1" ;;
        esac
        shift
    done
    [ -n "$collector" ] || { usage >&2; die "--collector is required"; }
    case "$engine" in auto|builtin|suricata) ;; *) die "--engine must be auto, builtin or suricata" ;; esac
    if [ -n "$token_file" ]; then token=$(cat "$token_file"); fi
}

record() {
    # Remember a change this installer made (once), for the uninstaller.
    mkdir -p "$PREFIX"
    grep -qxF "$1" "$STATE" 2>/dev/null || printf '%s\n' "$1" >> "$STATE"
}

step_platform() {
    [ "$(id -u)" = 0 ] || die "must run as root (sudo ./install.sh ...)"
    [ -r /etc/os-release ] || die "/etc/os-release missing: not a supported distribution"
    # shellcheck disable=SC1091
    . /etc/os-release
    case "${ID:-}:${ID_LIKE:-}" in
        debian:*|raspbian:*|ubuntu:*|*:*debian*) ;;
        *) die "unsupported distribution ${PRETTY_NAME:-unknown} (Debian, Raspberry Pi OS, Ubuntu)" ;;
    esac
    local arch
    arch=$(dpkg --print-architecture)
    case "$arch" in
        amd64|arm64) ;;
        *) say "warning: architecture $arch is not tested (amd64, arm64 are)" ;;
    esac
    say "platform: ${PRETTY_NAME:-unknown} ($arch)"
}

step_packages() {
    # python3-venv for the virtualenv, libpcap0.8 for capture filters,
    # iproute2 to find the default route's interface.
    local missing=() pkg
    for pkg in python3 python3-venv libpcap0.8 iproute2; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -gt 0 ] || { say "packages: python3-venv, libpcap0.8, iproute2 present"; return; }
    say "installing packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    for pkg in "${missing[@]}"; do record "apt $pkg"; done
}

step_suricata() {
    if [ "$with_suricata" = 0 ]; then say "suricata: skipped (--no-suricata)"; return; fi
    local had_suricata=0 had_backports=0
    command -v suricata >/dev/null 2>&1 && had_suricata=1
    [ -e /etc/apt/sources.list.d/bookworm-backports.sources ] && had_backports=1
    bash "$HERE/install-suricata.sh"
    if [ "$had_suricata" = 0 ] && command -v suricata >/dev/null 2>&1; then record "apt suricata"; fi
    if [ "$had_backports" = 0 ] && [ -e /etc/apt/sources.list.d/bookworm-backports.sources ]; then
        record "file /etc/apt/sources.list.d/bookworm-backports.sources"
    fi
    step_distribution_suricata
}

step_distribution_suricata() {
    # The agent runs its own Suricata (af-packet on the capture interface). The
    # distribution's suricata.service, enabled by the package, would capture a
    # second time with the stock config (and, on a box without eth0, fail in a
    # restart loop). systemctl enable/disable work without systemd running too.
    command -v systemctl >/dev/null 2>&1 || return 0
    systemctl is-enabled --quiet suricata.service 2>/dev/null || return 0
    systemctl disable --quiet suricata.service
    if have_systemd; then systemctl stop suricata.service || true; fi
    record "disabled suricata.service"
    say "disabled the distribution's suricata.service (the agent runs Suricata itself)"
}

step_user() {
    if getent passwd "$USER_NAME" >/dev/null; then
        say "user $USER_NAME exists"
        return
    fi
    useradd --system --user-group --home-dir "$DATA" --no-create-home \
        --shell /usr/sbin/nologin --comment "yamori agent" "$USER_NAME"
    record "user $USER_NAME"
    say "created system user $USER_NAME"
}

step_directories() {
    local spec path mode owner group
    for spec in "$ETC:0750:root:$USER_NAME" "$DATA:0750:$USER_NAME:$USER_NAME" \
                "$PREFIX:0755:root:root"; do
        IFS=: read -r path mode owner group <<<"$spec"
        if [ ! -d "$path" ]; then
            install -d -m "$mode" -o "$owner" -g "$group" "$path"
            say "created $path ($mode $owner:$group)"
        else
            chmod "$mode" "$path" && chown "$owner:$group" "$path"
        fi
    done
}

source_version() {
    sed -n 's/^version *= *"\(.*\)"/\1/p' "$SRC/pyproject.toml" | head -n 1
}

step_virtualenv() {
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV"
        say "created virtualenv $VENV"
    fi
    local target have want
    if [ -n "$wheel" ]; then
        target=$wheel
        want=""
    else
        [ -f "$SRC/pyproject.toml" ] || die "no source tree at $SRC: pass --wheel FILE"
        target=$SRC
        want=$(source_version)
    fi
    have=$("$VENV/bin/python" -m pip show yamori 2>/dev/null | sed -n 's/^Version: //p' || true)
    if [ -n "$want" ] && [ "$have" = "$want" ]; then
        say "yamori $have already installed in $VENV"
        return
    fi
    say "installing yamori from $target into $VENV (this takes a few minutes on a Pi)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "$target"
    # A failing command substitution inside `say` would not stop the script.
    local version
    version=$("$VENV/bin/yamori" --version) || die "the installed yamori does not start (above)"
    say "installed $version"
    changed=1
}

have_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

step_unit() {
    local unit=yamori-agent.service
    if cmp -s "$SRC/systemd/$unit" "$UNIT_DIR/$unit" 2>/dev/null; then
        say "unit $UNIT_DIR/$unit up to date"
        return
    fi
    [ -f "$SRC/systemd/$unit" ] || die "missing $SRC/systemd/$unit"
    mkdir -p "$UNIT_DIR"
    install -m 0644 "$SRC/systemd/$unit" "$UNIT_DIR/$unit"
    say "installed $UNIT_DIR/$unit"
    changed=1
    if have_systemd; then systemctl daemon-reload; fi
}

default_interface() {
    local dev
    dev=$(ip -o route show default 2>/dev/null \
          | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}')
    if [ -z "$dev" ]; then
        # No default route (an isolated mirror port): the first non-loopback link.
        local link
        for link in /sys/class/net/*; do
            [ "${link##*/}" = lo ] || { dev=${link##*/}; break; }
        done
    fi
    printf '%s' "$dev"
}

step_config() {
    local conf=$ETC/agent.toml
    if [ -f "$conf" ]; then
        say "config $conf exists, left as it is"
        return
    fi
    [ -n "$interface" ] || interface=$(default_interface)
    [ -n "$interface" ] || die "no capture interface found: pass --interface"
    [ -n "$sensor_id" ] || sensor_id=$(hostname)
    local tenant_line="# tenant = \"\""
    [ -z "$tenant" ] || tenant_line="tenant = \"$tenant\""
    sed -e "s|@DATE@|$(date -u +%Y-%m-%dT%H:%M:%SZ)|" -e "s|@SENSOR_ID@|$sensor_id|" \
        -e "s|@TENANT_LINE@|$tenant_line|" -e "s|@INTERFACE@|$interface|" \
        -e "s|@ENGINE@|$engine|" -e "s|@COLLECTOR@|$collector|" \
        "$HERE/templates/agent.toml.in" > "$conf.tmp"
    chown "root:$USER_NAME" "$conf.tmp" && chmod 0640 "$conf.tmp"
    mv "$conf.tmp" "$conf"
    say "wrote $conf (interface $interface, collector $collector)"
    changed=1
}

step_vendor_key() {
    # Rule bundles are verified against this key on the box; it is public,
    # but only root may replace it (a swapped key would admit any ruleset).
    local key=${vendor_key:-$HERE/vendor.pub} dest=$ETC/vendor.pub
    if [ ! -f "$key" ]; then
        [ -n "$vendor_key" ] && die "--vendor-key $vendor_key: no such file"
        say "warning: no vendor key ($key): remote rule updates will be refused"
        return
    fi
    grep -q "BEGIN PUBLIC KEY" "$key" || die "$key is not a PEM public key"
    if [ -f "$dest" ] && cmp -s "$key" "$dest"; then
        say "vendor key $dest unchanged"
        return
    fi
    install -m 0644 -o root -g root "$key" "$dest.tmp"
    mv "$dest.tmp" "$dest"
    say "installed vendor key $dest"
    changed=1
}

step_token() {
    local file=$ETC/sensor.token
    if [ -z "$token" ]; then
        [ -f "$file" ] || say "warning: no --token given and no $file: the agent cannot uplink"
        return
    fi
    if [ -f "$file" ] && [ "$(cat "$file")" = "$token" ]; then
        say "token $file unchanged"
    else
        (umask 077 && printf '%s\n' "$token" > "$file.tmp")
        chown "$USER_NAME:$USER_NAME" "$file.tmp" && chmod 0600 "$file.tmp"
        mv "$file.tmp" "$file"
        say "wrote $file (mode 0600)"
        changed=1
    fi
    step_enroll
}

step_enroll() {
    # `yamori enroll` swaps the single-use token for the sensor's credential
    # (kept in $DATA) and points uplink.token_file at it; once that file
    # exists the box is enrolled and a rerun must not spend the token again.
    local credential=$DATA/sensor.token
    if [ "$enroll" = 0 ]; then say "enrollment skipped (--no-enroll)"; return; fi
    if [ -s "$credential" ]; then say "already enrolled ($credential exists)"; return; fi
    if ! "$VENV/bin/yamori" enroll --help >/dev/null 2>&1; then
        say "this yamori has no 'enroll' command: token written, enrollment skipped"
        return
    fi
    local args=(--collector "$collector" --token "$token" --config "$ETC/agent.toml"
                --data-dir "$DATA")
    [ -z "$sensor_id" ] || args+=(--sensor-id "$sensor_id")
    "$VENV/bin/yamori" enroll "${args[@]}" || die "enrollment with $collector failed (token \
wrong or spent, or collector unreachable); fix and rerun: nothing is lost"
    chown -R "$USER_NAME:$USER_NAME" "$DATA"
    chown "root:$USER_NAME" "$ETC/agent.toml" && chmod 0640 "$ETC/agent.toml"
    say "enrolled with $collector"
    changed=1
}

step_check() {
    # As the service user, so a file it cannot read fails here, not at boot.
    runuser -u "$USER_NAME" -- "$VENV/bin/yamori" agent check-config --config "$ETC/agent.toml"
}

step_service() {
    if [ "$start" = 0 ]; then say "yamori-agent not enabled or started (--no-start)"; return; fi
    have_systemd || die "systemd is not running: rerun with --no-start"
    if ! systemctl is-enabled --quiet yamori-agent.service; then
        systemctl enable --quiet yamori-agent.service
        say "enabled yamori-agent"
    fi
    if [ "$changed" = 1 ] || ! systemctl is-active --quiet yamori-agent.service; then
        systemctl restart yamori-agent.service
        say "started yamori-agent; see: systemctl status yamori-agent"
    else
        say "yamori-agent running, nothing changed"
    fi
}

main() {
    parse_args "$@"
    step_platform
    step_packages
    step_suricata
    step_user
    step_directories
    step_virtualenv
    step_unit
    step_vendor_key
    step_config
    step_token
    step_check
    step_service
    say "done"
}

main "$@"
