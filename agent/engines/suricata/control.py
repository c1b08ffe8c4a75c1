"""A client for Suricata's unix command socket.

The protocol (Suricata's unix-manager.c, the suricatasc client): connect,
send {"version": "0.2"}, read {"return": "OK"}; then send one JSON object
per command ({"command": NAME, "arguments": {...}}) and read one JSON reply
ending with a newline: {"return": "OK"|"NOK", "message": ...}. This module
owns that exchange and nothing else: no process management, no rule files.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from types import TracebackType
from typing import Any

from yamori.errors import YamoriError

PROTOCOL_VERSION = "0.2"
_RECV_SIZE = 4096


class ControlError(YamoriError):
    """The command socket cannot be used, or Suricata answered NOK."""


class SuricataControl:
    """One connection to a Suricata command socket."""

    def __init__(self, path: Path | str, timeout: float = 10.0) -> None:
        self.path = str(path)
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._buffer = b""

    def __enter__(self) -> SuricataControl:
        self.connect()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def connect(self) -> None:
        """Connect and do the version handshake."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except OSError as exc:
            sock.close()
            raise ControlError(f"cannot connect to {self.path}: {exc}") from exc
        self._sock = sock
        reply = self._exchange({"version": PROTOCOL_VERSION})
        if reply.get("return") != "OK":
            self.close()
            raise ControlError(f"handshake refused: {reply.get('message')}")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def command(self, name: str, arguments: dict[str, Any] | None = None) -> Any:
        """Run one command; its "message" on OK, ControlError on NOK."""
        request: dict[str, Any] = {"command": name}
        if arguments:
            request["arguments"] = arguments
        reply = self._exchange(request)
        if reply.get("return") != "OK":
            raise ControlError(f"{name}: {reply.get('message')}")
        return reply.get("message")

    def _exchange(self, request: dict[str, Any]) -> dict[str, Any]:
        if self._sock is None:
            raise ControlError("not connected")
        try:
            self._sock.sendall(json.dumps(request).encode() + b"\n")
            return self._read_reply()
        except OSError as exc:
            raise ControlError(f"{self.path}: {exc}") from exc

    def _read_reply(self) -> dict[str, Any]:
        assert self._sock is not None
        while True:
            # A reply is complete when the buffer holds valid JSON ending in a newline.
            if self._buffer.endswith(b"\n"):
                try:
                    reply = json.loads(self._buffer)
                except ValueError:
                    reply = None
                if isinstance(reply, dict):
                    self._buffer = b""
                    return reply
            chunk = self._sock.recv(_RECV_SIZE)
            if not chunk:
                raise ControlError("connection closed by suricata")
            self._buffer += chunk

    # The commands yamori uses, named as in Suricata.
    def version(self) -> str:
        return str(self.command("version"))

    def uptime(self) -> int:
        return int(self.command("uptime"))

    def reload_rules(self) -> Any:
        return self.command("ruleset-reload-nonblocking")

    def reload_time(self) -> Any:
        return self.command("ruleset-reload-time")

    def ruleset_stats(self) -> Any:
        return self.command("ruleset-stats")

    def failed_rules(self) -> Any:
        return self.command("ruleset-failed-rules")

    def dump_counters(self) -> Any:
        """Every stats counter now, as a tree ({"capture": {"kernel_drops": …}, …})."""
        return self.command("dump-counters")

    def iface_stat(self, iface: str) -> Any:
        return self.command("iface-stat", {"iface": iface})

    def shutdown(self) -> Any:
        return self.command("shutdown")
