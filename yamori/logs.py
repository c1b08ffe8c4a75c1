"""Logging setup for every yamori program: structured, quiet by default.

One line per event on stderr in logfmt (`ts=… level=… logger=… msg="…"`),
which journald stores as-is and which greps well on a night shift. Default
level is WARNING; `-v` gives INFO, `-vv` DEBUG.
"""

from __future__ import annotations

import logging
import time


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        msg = record.getMessage().replace('"', '\\"')
        line = f'ts={ts}Z level={record.levelname.lower()} logger={record.name} msg="{msg}"'
        if record.exc_info:
            line += " exc=" + repr(self.formatException(record.exc_info))
        return line


def setup_logging(verbosity: int = 0) -> None:
    """Configure the root logger once for a CLI run."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler()
    handler.setFormatter(LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party libraries stay at WARNING unless we are debugging.
    for noisy in ("urllib3", "uvicorn.access", "scapy.runtime"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbosity < 2 else logging.DEBUG)
