"""`yamori agent …` subcommands: run the agent, check its configuration.

Parsing and signal handling only; the work is in agent/daemon.py.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from agent.config import load_agent_config
from agent.daemon import Agent
from agent.service import Housekeeper
from yamori.runtime import tune_gc


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    agent = subparsers.add_parser("agent", help="the agent that runs on the box")
    sub = agent.add_subparsers(dest="agent_command", required=True)
    run = sub.add_parser("run", help="capture, detect, queue and uplink alerts")
    run.add_argument("--config", type=Path, required=True, help="agent TOML file")
    run.add_argument("--pcap", type=Path, help="read this pcap instead of the configured source")
    run.add_argument("--interface", help="capture live on this interface")
    run.add_argument("--realtime", action="store_true", help="replay a pcap at recorded speed")
    run.add_argument("--drain-timeout", type=float, default=None,
                     help="when the pcap ends, wait up to S seconds for delivery, then exit")
    run.set_defaults(func=run_agent)
    check = sub.add_parser("check-config", help="validate the agent TOML file and exit")
    check.add_argument("--config", type=Path, required=True)
    check.set_defaults(func=check_config)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    capture: dict[str, Any] = {}
    if args.pcap is not None:
        capture = {"pcap": str(args.pcap), "interface": None}
    if args.interface is not None:
        capture = {"interface": args.interface, "pcap": None}
    if args.realtime:
        capture["realtime"] = True
    return {"capture": capture} if capture else {}


def run_agent(args: argparse.Namespace) -> int:
    config = load_agent_config(args.config, _overrides(args))
    stop = threading.Event()
    agent = Agent(config)
    keeper = Housekeeper(agent, reload_config=lambda: load_agent_config(args.config,
                                                                        _overrides(args)))
    tune_gc()

    def on_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    def on_hup(signum: int, frame: FrameType | None) -> None:
        keeper.reload_requested.set()  # done by the housekeeper, not in the handler

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGHUP, on_hup)
    keeper.start()
    try:
        summary = agent.run(stop, drain_timeout=args.drain_timeout)
    finally:
        keeper.stop()
        agent.close()
    if args.drain_timeout is not None and not summary.drained:
        sys.stderr.write("yamori: some alerts are still queued (collector unreachable?)\n")
        return 1
    return 0


def check_config(args: argparse.Namespace) -> int:
    load_agent_config(args.config)
    sys.stdout.write(f"{args.config}: ok\n")
    return 0
