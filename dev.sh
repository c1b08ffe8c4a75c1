#!/bin/sh
# yamori developer entry point: sets up .venv (installing python3-venv with apt
# if the system Python lacks it) and runs one task. Works without make.
#
#   ./dev.sh demo [--once]     set up, then run the end-to-end demo
#   ./dev.sh test [PYTEST ARGS] set up, then run the test suite
#   ./dev.sh conformance       score the builtin engine on ../shared/conformance
#   ./dev.sh setup             set up only
set -eu
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv

say() { printf 'dev.sh: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else say "need root to run: $*"; exit 1
    fi
}

check_python() {
    command -v "$PYTHON" >/dev/null 2>&1 || { say "$PYTHON not found: install Python 3.11+"; exit 1; }
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || { say "Python >= 3.11 required, found $("$PYTHON" --version 2>&1)"; exit 1; }
}

make_venv() {
    [ -x "$VENV/bin/python" ] && return 0
    if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
        rm -rf "$VENV"
        say "python venv support missing: installing python3-venv with apt-get"
        as_root apt-get update -qq
        ver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv "python${ver}-venv" \
            || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
        "$PYTHON" -m venv "$VENV"
    fi
}

install_deps() {
    stamp="$VENV/.yamori-installed"
    if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ]; then return 0; fi
    say "installing yamori and its dependencies into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e '.[test]'
    touch "$stamp"
}

setup() { check_python; make_venv; install_deps; }

task=${1:-help}
[ $# -gt 0 ] && shift
case "$task" in
    setup) setup ;;
    demo) setup; exec "$VENV/bin/yamori" demo "$@" ;;
    test) setup; exec "$VENV/bin/python" -m pytest "$@" ;;
    conformance)
        setup
        exec "$VENV/bin/python" ../shared/conformance/run.py --suite ../shared/conformance/suricata-verify \
            --cmd "$VENV/bin/yamori replay --engine builtin --pcap {pcap} {rules_args} --eve {eve} {set_args} {k_args} {config_args}" \
            "$@" ;;
    *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
