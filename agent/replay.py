"""`yamori replay`: run an engine offline over a pcap and write EVE-JSON.

The contract (DESIGN.md, shared/conformance/run.py depends on it): one EVE
record per line in --eve; one stderr line per skipped rule
(`rule sid:N skipped: …`); --strict turns any skip into exit code 3. This
module owns that contract and nothing else: no queue, no uplink.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TextIO

from agent.engines.base import RuleLoadReport, SourceSpec
from agent.engines.select import ENGINE_NAMES, make_engine
from agent.engines.settings import build_settings
from yamori.errors import CaptureError

log = logging.getLogger(__name__)

EXIT_SKIPPED_STRICT = 3


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("replay", help="run an engine over a pcap, write EVE-JSON")
    p.add_argument("--pcap", required=True, type=Path, help="pcap or pcapng file")
    p.add_argument("--rules", required=True, action="append", type=Path,
                   help="rule file (repeatable)")
    p.add_argument("--eve", required=True, type=Path, help="EVE-JSON output file")
    p.add_argument("--engine", default="builtin", choices=ENGINE_NAMES)
    p.add_argument("--strict", action="store_true", help="exit 3 if any rule was skipped")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="Suricata setting (vars.address-groups.HOME_NET=… ); unknown ones ignored")
    p.add_argument("-k", dest="checksum", choices=("none", "all"),
                   help="checksum validation (Suricata's -k)")
    p.add_argument("--config", type=Path, help="a suricata.yaml whose vars are used")
    p.add_argument("--classification", type=Path, help="classification.config to use")
    p.set_defaults(func=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    if not args.pcap.is_file():
        raise CaptureError(f"cannot read capture {args.pcap}: no such file")
    settings = build_settings(args.config, args.sets, args.checksum, args.classification)
    engine = make_engine(args.engine, settings)
    report = engine.load_rules(args.rules)
    print_skips(report, sys.stderr)
    if args.strict and report.skipped:
        return EXIT_SKIPPED_STRICT
    count = 0
    with args.eve.open("w", encoding="utf-8") as out:
        if report.loaded == 0:
            # No rule can match: reading the capture would only cost time.
            log.info("replay: no rules loaded, nothing to inspect")
            return 0
        for record in engine.run(SourceSpec(pcap=args.pcap)):
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
            count += 1
    log.info("replay done: %d packets, %d alerts, %d rules loaded, %d skipped",
             engine.stats.packets, count, report.loaded, len(report.skipped))
    return 0


def print_skips(report: RuleLoadReport, stream: TextIO) -> None:
    """One line per skipped rule, exactly as the replay contract says."""
    for error in report.skipped:
        stream.write(error.skip_line() + "\n")
