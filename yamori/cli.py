"""The `yamori` console command: one entry point, one subcommand per program.

    yamori replay …            agent/replay.py
    yamori agent run …         agent/daemon.py
    yamori collector serve …   collector/cli.py
    yamori enroll …            agent/enroll.py
    yamori demo [--once]       yamori/demo.py

Every subcommand module registers its own parser; this module only dispatches,
sets up logging, and turns a YamoriError into one line and exit code 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from yamori import __version__
from yamori.errors import YamoriError
from yamori.logs import setup_logging

# Subcommand -> the module that registers it. Only the module of the command
# being run is imported: `yamori replay` must not pay for FastAPI and scapy
# (the conformance runner starts it hundreds of times).
COMMANDS = {
    "replay": "agent.replay",
    "agent": "agent.cli",
    "collector": "collector.cli",
    "enroll": "agent.enroll",
    "demo": "yamori.demo",
    "rules": "rules.cli",
    "report": "collector.report.cli",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or one with only the `only` subcommand registered."""
    parser = argparse.ArgumentParser(prog="yamori", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"yamori {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        if only is None or name == only:
            importlib.import_module(module).register(sub)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    words = [a for a in argv if not a.startswith("-")]
    return words[0] if words and words[0] in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_in(argv))
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    try:
        return int(args.func(args) or 0)
    except YamoriError as exc:
        sys.stderr.write(f"yamori: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
