"""`yamori rules …`: build, sign, verify and inspect rule bundles (vendor side).

    yamori rules build [--config F] [--source URL …] [--key F] [--out DIR]
                       [--version V] [--skip-suricata-test]
    yamori rules keygen --out-private F --out-public F [--force]
    yamori rules verify BUNDLE --key PUB
    yamori rules inspect BUNDLE

`register(subparsers)` mounts them, then lets rules/publish.py (when present)
add its own subcommands to the same group. Does not own: the build itself
(rules/build.py), logging setup, or turning a YamoriError into exit code 1
(yamori/cli.py does both).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from rules.build import BuildResult, build_ruleset
from rules.build_config import load_build_config
from rules.bundle import (
    generate_key,
    key_id,
    load_public_key,
    save_private_key,
    save_public_key,
    verify,
)
from rules.bundle_info import inspect_bundle
from yamori.errors import ConfigError

# Reasons listed in the build summary; the full count is in the report.
_SUMMARY_REASONS = 5


def register(subparsers: Any) -> None:
    """Add `rules build|keygen|verify|inspect` (and rules/publish.py's commands)."""
    parser = subparsers.add_parser("rules", help="build, sign and inspect rule bundles")
    sub = parser.add_subparsers(dest="rules_command", required=True)
    _add_build(sub)
    keygen_p = sub.add_parser("keygen", help="make an Ed25519 bundle signing key pair")
    keygen_p.add_argument("--out-private", type=Path, required=True,
                          help="private key file (written mode 0600)")
    keygen_p.add_argument("--out-public", type=Path, required=True,
                          help="public key file (what boxes are installed with)")
    keygen_p.add_argument("--force", action="store_true",
                          help="overwrite an existing private key")
    keygen_p.set_defaults(func=_keygen_args)
    verify_p = sub.add_parser("verify", help="check a bundle's signature and hashes")
    verify_p.add_argument("bundle", type=Path)
    verify_p.add_argument("--key", type=Path, required=True, help="vendor public key (PEM)")
    verify_p.set_defaults(func=_verify_args)
    inspect_p = sub.add_parser("inspect", help="show a bundle's manifest (signature unchecked)")
    inspect_p.add_argument("bundle", type=Path)
    inspect_p.set_defaults(func=_inspect_args)
    _register_publish(sub)


def _add_build(sub: Any) -> None:
    build_p = sub.add_parser("build", help="assemble, check, sign and write a rule bundle")
    build_p.add_argument("--config", type=Path, help="build TOML file (rules/build.example.toml)")
    build_p.add_argument("--source", action="append", metavar="URL",
                         help="source URL (file://, https://); repeatable; replaces "
                              "sources.urls")
    build_p.add_argument("--key", type=Path, help="Ed25519 signing key (signing.key)")
    build_p.add_argument("--out", type=Path, help="output directory (output.dir)")
    build_p.add_argument("--version", help="bundle version (default: YYYY.MM.DD.N, UTC)")
    build_p.add_argument("--skip-suricata-test", action="store_true",
                         help="do not check the ruleset with `suricata -T`")
    build_p.set_defaults(func=_build_args)


def _register_publish(sub: Any) -> None:
    # rules/publish.py is another module's (publish, promote, status, override);
    # until it exists only the build commands are offered.
    try:
        publish = importlib.import_module("rules.publish")
    except ModuleNotFoundError as exc:
        if exc.name != "rules.publish":
            raise
        return
    publish.register(sub)


def build_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The config keys the `build` options set (paths made absolute: they are the shell's)."""
    found: dict[str, Any] = {}
    if args.source:
        found["sources"] = {"urls": [_absolute_url(u) for u in args.source]}
    if args.key is not None:
        found["signing"] = {"key": str(args.key.resolve())}
    if args.out is not None:
        found["output"] = {"dir": str(args.out.resolve())}
    if args.skip_suricata_test:
        found["suricata"] = {"test": False}
    return found


def _absolute_url(url: str) -> str:
    # A bare path is taken as a local file, as a shell user would mean it.
    if "://" in url:
        return url
    path = Path(url)
    if not path.exists():
        raise ConfigError("--source", f"{url}: not a URL and no such file")
    return path.resolve().as_uri()


def _build_args(args: argparse.Namespace) -> int:
    config = load_build_config(args.config, build_overrides(args))
    result = build_ruleset(config, version=args.version)
    sys.stdout.write(summary(result))
    return 0


def summary(result: BuildResult) -> str:
    """The lines `yamori rules build` prints about a finished build."""
    builtin = result.builtin
    reasons = ", ".join(f"{reason} {count}" for reason, count
                        in list(builtin.by_reason().items())[:_SUMMARY_REASONS])
    tested = ("not run" if result.suricata_loaded is None
              else f"{result.suricata_loaded} rules loaded")
    return (
        f"bundle   {result.bundle}\n"
        f"version  {result.version} (signed by {result.manifest.signer})\n"
        f"rules    {result.rules.total} total, {result.rules.enabled} enabled, "
        f"{result.rules.disabled} disabled\n"
        f"suricata -T: {tested}\n"
        f"builtin  {builtin.loaded} loaded, {len(builtin.skipped)} skipped"
        + (f" ({reasons})" if reasons else "") + "\n"
        f"report   {result.report}\n"
        f"took     {result.seconds:.1f} s\n"
    )


def _keygen_args(args: argparse.Namespace) -> int:
    if args.out_private.exists() and not args.force:
        raise ConfigError("--out-private", f"{args.out_private} exists; a lost signing key "
                          "strands every box installed with it (use --force to replace it)")
    key = generate_key()
    save_private_key(key, args.out_private)
    save_public_key(key.public_key(), args.out_public)
    sys.stdout.write(f"key id {key_id(key.public_key())}: private {args.out_private} (0600), "
                     f"public {args.out_public}\n")
    return 0


def _verify_args(args: argparse.Namespace) -> int:
    verified = verify(args.bundle, [load_public_key(args.key)])
    sys.stdout.write(json.dumps(verified.manifest.to_dict(), indent=2, sort_keys=True) + "\n")
    return 0


def _inspect_args(args: argparse.Namespace) -> int:
    sys.stdout.write(json.dumps(inspect_bundle(args.bundle), indent=2) + "\n")
    return 0
