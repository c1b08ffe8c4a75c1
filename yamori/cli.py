"""The `yamori` console command: one entry point, one subcommand per program.

    yamori replay …            agent/replay.py
    yamori agent run …         agent/daemon.py
    yamori collector serve …   collector/cli.py
    yamori demo [--once]       yamori/demo.py

Every subcommand module registers its own parser; this module only dispatches,
sets up logging, and turns a YamoriError into one line and exit code 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from yamori import __version__
from yamori.errors import YamoriError
from yamori.logs import setup_logging


def build_parser() -> argparse.ArgumentParser:
    from agent import cli as agent_cli
    from agent import replay
    from collector import cli as collector_cli
    from yamori import demo

    parser = argparse.ArgumentParser(prog="yamori", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"yamori {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", required=True)
    replay.register(sub)
    agent_cli.register(sub)
    collector_cli.register(sub)
    demo.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
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
