#!/usr/bin/env bash
# `yamori` with the Suricata engine, for ../shared/realtraffic/check.py --yamori:
# check.py calls `<cmd> replay --pcap … --rules … --eve … [-k none]`; this adds
# `--engine suricata` after the subcommand.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sub="$1"; shift
exec "$here/.venv/bin/yamori" "$sub" --engine suricata "$@"
