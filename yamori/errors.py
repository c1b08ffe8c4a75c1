"""The error hierarchy shared by every yamori program.

    YamoriError
     ├── ConfigError          bad configuration: names the key
     ├── RuleParseError       a rule that cannot be loaded (file, line, sid)
     ├── BundleError          a rule bundle refused (or not made): `reason`
     ├── RuleBuildError       `yamori rules build` failed (suricata-update, suricata -T)
     ├── CaptureError         a capture source that cannot be opened or read
     ├── QueueError           the local alert queue is unusable
     ├── UplinkError          talking to the collector failed
     │    ├── UplinkUnavailable   retry later (network, 5xx, 429)
     │    └── UplinkRejected      the collector refused the batch (4xx)
     └── IngestError          the collector refused input (carries an HTTP status)

Exceptions are for bad configuration and bugs; hostile or malformed traffic is
data (decode events), never an exception. CLIs catch YamoriError, print one
line and exit 1.
"""

from __future__ import annotations


class YamoriError(Exception):
    """Base of every error yamori raises on purpose."""


class ConfigError(YamoriError):
    """Configuration is invalid; the message names the offending key."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"config key '{key}': {message}")
        self.key = key


class RuleParseError(YamoriError):
    """A rule cannot be parsed or uses something the engine cannot honour."""

    def __init__(
        self,
        message: str,
        *,
        sid: int | None = None,
        file: str | None = None,
        line: int | None = None,
        unsupported: str | None = None,
    ) -> None:
        super().__init__(message)
        self.sid = sid
        self.file = file
        self.line = line
        # Name of the keyword (or protocol) the engine does not implement;
        # None means the rule text itself is malformed.
        self.unsupported = unsupported

    def skip_line(self) -> str:
        """The one stderr line the replay contract prints for a skipped rule."""
        sid = self.sid if self.sid is not None else "?"
        if self.unsupported is not None:
            return f"rule sid:{sid} skipped: unsupported keyword '{self.unsupported}'"
        return f"rule sid:{sid} skipped: parse error: {self}"


class BundleError(YamoriError):
    """A rule bundle was refused (or could not be made); `reason` says why in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"rule bundle refused: {reason}")
        self.reason = reason


class RuleBuildError(YamoriError):
    """A ruleset build failed; `rejected` holds the rules Suricata refused, if that was why."""

    def __init__(self, message: str, rejected: list[RuleParseError] | None = None) -> None:
        super().__init__(message)
        self.rejected = list(rejected or [])


class CaptureError(YamoriError):
    """A capture source (pcap file, interface) cannot be opened or read."""


class QueueError(YamoriError):
    """The local alert queue cannot be used."""


class UplinkError(YamoriError):
    """Sending to the collector failed."""


class UplinkUnavailable(UplinkError):
    """The collector could not be reached or asked us to come back later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UplinkRejected(UplinkError):
    """The collector refused the batch (4xx): resending it unchanged won't help."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class IngestError(YamoriError):
    """The collector refuses a request; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
