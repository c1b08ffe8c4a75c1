#!/usr/bin/env bash
# Try the installer and the units on a throwaway Debian 12 box: a systemd-nspawn container.
#
#   sudo deploy/test-in-nspawn.sh prepare            # debootstrap once, cached
#   sudo deploy/test-in-nspawn.sh create NAME        # a fresh copy + this source tree
#   sudo deploy/test-in-nspawn.sh install NAME ARGS  # install.sh ARGS, online, not booted
#   sudo deploy/test-in-nspawn.sh boot NAME          # boot it (systemd as PID 1), offline
#   sudo deploy/test-in-nspawn.sh exec NAME CMD      # run CMD (sh -c) inside the booted box
#   sudo deploy/test-in-nspawn.sh stop NAME          # power it off
#   sudo deploy/test-in-nspawn.sh destroy NAME       # stop and delete it
#
# The debootstrap tree (minbase + systemd, systemd-sysv, dbus, ca-certificates:
# what a fresh Debian 12 server has, without python3 or Suricata, which the
# installer adds) is kept in $YAMORI_NSPAWN_DIR (default /var/tmp/yamori-nspawn)
# with apt's and pip's download caches, so a rerun costs a copy, not a download.
# The box is booted with --private-network: it sees only its own loopback and
# the links a test creates inside it. So `install` runs the installer before
# the boot, on the host's network (apt, pip), with --no-start; the booted box
# then runs it again to enable and start the agent under a real systemd.
# Needs root, systemd-nspawn (package systemd-container) and debootstrap.
# Works without systemd on the host: no machined, so the box is reached with
# nsenter, not machinectl.
set -euo pipefail

DIR=${YAMORI_NSPAWN_DIR:-/var/tmp/yamori-nspawn}
BASE=$DIR/bookworm
SUITE=bookworm
MIRROR=${YAMORI_NSPAWN_MIRROR:-}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
INNER_SRC=/usr/local/src/yamori

say() { printf 'nspawn: %s\n' "$*" >&2; }
die() { printf 'nspawn: error: %s\n' "$*" >&2; exit 1; }

host_mirror() {
    # The mirror the host's apt uses (deb822 or one-line sources), as install-suricata.sh finds it.
    local uri
    uri=$(awk '/^URIs:/ {print $2}' /etc/apt/sources.list.d/*.sources 2>/dev/null \
          | grep -v -e security -e '^$' | grep debian | head -n 1 || true)
    [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' \
                           /etc/apt/sources.list 2>/dev/null || true)
    printf '%s' "${uri:-http://deb.debian.org/debian}"
}

cmd_prepare() {
    [ "$(id -u)" = 0 ] || die "must run as root"
    command -v debootstrap >/dev/null || die "debootstrap missing: apt-get install debootstrap"
    command -v systemd-nspawn >/dev/null \
        || die "systemd-nspawn missing: apt-get install systemd-container"
    mkdir -p "$DIR/cache/apt" "$DIR/cache/pip" "$DIR/machines"
    # Two test runs at once debootstrap once: the second waits for the first.
    exec 9>"$DIR/.prepare.lock"
    flock 9
    if [ -f "$BASE/.prepared" ]; then say "cached tree $BASE"; return; fi
    local mirror=${MIRROR:-$(host_mirror)}
    rm -rf "$BASE.tmp"
    say "debootstrap $SUITE from $mirror into $BASE (a minute or two)"
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,ca-certificates \
        --cache-dir="$DIR/cache/apt" "$SUITE" "$BASE.tmp" "$mirror" >"$DIR/debootstrap.log" 2>&1 \
        || die "debootstrap failed, see $DIR/debootstrap.log"
    # The box's apt uses the host's mirror with the usual suites; the
    # installer adds bookworm-backports itself (install-suricata.sh).
    rm -f "$BASE.tmp/etc/apt/sources.list"
    cat > "$BASE.tmp/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $mirror
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    # Where TLS egress goes through a local CA (a sandbox), pip in the box needs it too.
    cp /usr/local/share/ca-certificates/*.crt "$BASE.tmp/usr/local/share/ca-certificates/" \
        2>/dev/null || true
    chroot "$BASE.tmp" update-ca-certificates >/dev/null 2>&1
    echo yamori-box > "$BASE.tmp/etc/hostname"
    # An empty machine-id: each box gets its own at first boot.
    : > "$BASE.tmp/etc/machine-id"
    touch "$BASE.tmp/.prepared"
    mv "$BASE.tmp" "$BASE"
    say "prepared $BASE"
}

tree() { printf '%s' "$DIR/machines/${1:?machine name}"; }

cmd_create() {
    local name=${1:?machine name} root
    root=$(tree "$name")
    [ -f "$BASE/.prepared" ] || cmd_prepare
    [ ! -e "$root" ] || die "$root exists: destroy it first"
    cp -a --reflink=auto "$BASE" "$root"
    # What an office gets: the source tree (no venv, caches or VCS data).
    mkdir -p "$root$INNER_SRC"
    tar -C "$SRC" --exclude=.git --exclude=.venv --exclude='__pycache__' \
        --exclude='*.egg-info' --exclude=.mypy_cache --exclude=.ruff_cache \
        --exclude=.pytest_cache --exclude=.hypothesis --exclude=build -cf - . \
        | tar -C "$root$INNER_SRC" -xf -
    say "created $root (source in $INNER_SRC)"
}

nspawn_common() {
    # No systemd on the host: no machined to register with, no scope to create.
    printf '%s\n' --quiet --register=no --keep-unit "--directory=$1" \
        "--bind=$DIR/cache/apt:/var/cache/apt/archives" "--bind=$DIR/cache/pip:/root/.cache/pip"
}

cmd_install() {
    local name=${1:?machine name} root
    shift
    root=$(tree "$name")
    [ -d "$root" ] || die "no machine $name: create it first"
    [ ! -f "$DIR/machines/$name.pid" ] || die "$name is booted: run install.sh with exec"
    local common
    mapfile -t common < <(nspawn_common "$root")
    # pip's own CA bundle does not know a local CA; the system bundle does.
    systemd-nspawn "${common[@]}" --resolv-conf=copy-host \
        --setenv=PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
        "$INNER_SRC/deploy/install.sh" "$@"
}

leader_of() {
    # The box's PID 1 (systemd) as the host sees it: a descendant of nspawn.
    local pid=$1 child
    # shellcheck disable=SC2013  # the children files hold pids separated by spaces
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
        if [ "$(cat /proc/"$child"/comm 2>/dev/null)" = systemd ]; then
            printf '%s' "$child"; return 0
        fi
        leader_of "$child" && return 0
    done
    return 1
}

leader() {
    local pidfile=$DIR/machines/${1:?machine name}.pid
    [ -f "$pidfile" ] || die "$1 is not booted"
    leader_of "$(cat "$pidfile")" || die "$1: no systemd under nspawn pid $(cat "$pidfile")"
}

cmd_boot() {
    local name=${1:?machine name} root common pid
    root=$(tree "$name")
    [ -d "$root" ] || die "no machine $name: create it first"
    [ ! -f "$DIR/machines/$name.pid" ] || die "$name is already booted"
    mapfile -t common < <(nspawn_common "$root")
    setsid systemd-nspawn "${common[@]}" --boot --private-network --machine="$name" \
        --console=read-only </dev/null >"$DIR/machines/$name.console" 2>&1 &
    pid=$!
    echo "$pid" > "$DIR/machines/$name.pid"
    for _ in $(seq 1 100); do
        leader_of "$pid" >/dev/null && break
        kill -0 "$pid" 2>/dev/null || { rm -f "$DIR/machines/$name.pid"
            die "nspawn exited: $(tail -n 5 "$DIR/machines/$name.console")"; }
        sleep 0.2
    done
    # "degraded" (a unit of the base system failed) still lets us test ours.
    local state
    state=$(cmd_exec "$name" "timeout 120 systemctl is-system-running --wait" || true)
    say "booted $name (nspawn pid $pid, leader $(leader "$name")): $state"
}

cmd_exec() {
    local name=${1:?machine name}
    shift
    nsenter --target "$(leader "$name")" --all -- /usr/bin/env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        SYSTEMD_COLORS=0 SYSTEMD_PAGER= /bin/sh -c "$*"
}

cmd_stop() {
    local name=${1:?machine name} pidfile pid
    pidfile=$DIR/machines/$name.pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    # SIGRTMIN+3 asks systemd for a clean poweroff, as machinectl poweroff does.
    kill -s RTMIN+3 "$(leader "$name" 2>/dev/null)" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
        say "$name did not power off in 30 s; killing nspawn $pid"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
    say "stopped $name"
}

cmd_destroy() {
    local name=${1:?machine name}
    cmd_stop "$name"
    rm -rf "$(tree "$name")" "$DIR/machines/$name.console"
    say "destroyed $name"
}

main() {
    local command=${1:-}
    [ $# -eq 0 ] || shift
    case "$command" in
        prepare|create|install|boot|exec|stop|destroy) "cmd_$command" "$@" ;;
        *) sed -n '2,10p' "$0" >&2; exit 2 ;;
    esac
}

main "$@"
