#!/usr/bin/env bash
# Build today's signed rule bundle and publish it to the canary channel (vendor side).
#
#   rules-build-and-publish.sh --collector URL --admin-token-file F
#       [--config /etc/yamori/rules-build.toml] [--key F] [--channel canary]
#       [--out DIR (default /var/lib/yamori-rules/bundles, the unit's state directory)]
#       [--yamori /opt/yamori/venv/bin/yamori]
#
# What yamori-rules-build.service runs once a day (installed as
# /opt/yamori/bin/rules-build-and-publish.sh): `yamori rules build --config C
# --out DIR` (suricata-update, policy, `suricata -T`, signing), then `yamori
# rules publish` of the bundle that build wrote, to the canary channel; the
# collector promotes it to stable once the canary boxes stay healthy. The
# bundle published is the newest *.tar.gz that appeared in DIR during this
# run (DIR is passed as --out, so the config's output.dir is not used): a
# build that wrote none is an error, and an older bundle is never sent
# again. Options may also come from the environment (YAMORI_COLLECTOR_URL,
# YAMORI_ADMIN_TOKEN_FILE, YAMORI_RULES_BUILD_CONFIG, YAMORI_RULES_OUT_DIR,
# YAMORI_RULES_SIGNING_KEY), as /etc/default/yamori-rules-build sets them.
set -euo pipefail

config=${YAMORI_RULES_BUILD_CONFIG:-/etc/yamori/rules-build.toml}
out_dir=${YAMORI_RULES_OUT_DIR:-/var/lib/yamori-rules/bundles}
collector=${YAMORI_COLLECTOR_URL:-}
token_file=${YAMORI_ADMIN_TOKEN_FILE:-}
key=${YAMORI_RULES_SIGNING_KEY:-}
channel=canary
yamori=${YAMORI_BIN:-/opt/yamori/venv/bin/yamori}

say() { printf 'rules-build: %s\n' "$*"; }
die() { printf 'rules-build: error: %s\n' "$*" >&2; exit 1; }

parse_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --config) config=${2:?}; shift ;;
            --out) out_dir=${2:?}; shift ;;
            --collector) collector=${2:?}; shift ;;
            --admin-token-file) token_file=${2:?}; shift ;;
            --key) key=${2:?}; shift ;;
            --channel) channel=${2:?}; shift ;;
            --yamori) yamori=${2:?}; shift ;;
            -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
            *) die "unknown option $1 (see --help)" ;;
        esac
        shift
    done
    [ -n "$collector" ] || die "--collector (or YAMORI_COLLECTOR_URL) is required"
    [ -n "$token_file" ] || die "--admin-token-file (or YAMORI_ADMIN_TOKEN_FILE) is required"
    [ -r "$token_file" ] || die "cannot read the admin token file $token_file"
    [ -r "$config" ] || die "cannot read the build config $config"
    [ -x "$yamori" ] || die "no yamori at $yamori (--yamori)"
}

bundles() {
    # The bundles in $out_dir, one path a line, oldest first.
    find "$out_dir" -maxdepth 1 -type f -name '*.tar.gz' -printf '%T@ %p\n' \
        | sort -n | cut -d' ' -f2-
}

main() {
    parse_args "$@"
    mkdir -p "$out_dir"
    local before bundle
    before=$(bundles)
    local build=("$yamori" rules build --config "$config" --out "$out_dir")
    [ -z "$key" ] || build+=(--key "$key")
    "${build[@]}"
    # The newest bundle that was not there before the build: never resend an old one.
    bundle=$(bundles | grep -vxF -e "$before" | tail -n 1 || true)
    [ -n "$bundle" ] || die "the build wrote no new bundle into $out_dir"
    say "publishing $bundle to the $channel channel of $collector"
    "$yamori" rules publish "$bundle" --collector "$collector" \
        --admin-token-file "$token_file" --channel "$channel"
    say "published $(basename "$bundle")"
}

main "$@"
