"""The notifier's runtime settings, resolved once from the collector config.

Owns: `NotifySettings` (attempts, backoff cap, the customer's offline delay,
time zone, polling, the console's base URL, the claim lease) and the backoff
schedule 1 s, 2 s, 4 s … capped. Does not own: loading the config (config.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from collector.config import CollectorConfig

# A claimed notice is another worker's to retry only after this long: longer
# than any one apprise attempt (SMTP's own timeout is 15 s, HTTP's a few).
LEASE_SECONDS = 120.0
BATCH = 50


@dataclass(slots=True, frozen=True)
class NotifySettings:
    """What the delivery worker and the routes need to know."""

    max_attempts: int = 12
    retry_cap_seconds: float = 600.0
    customer_offline_after_seconds: float = 1800.0
    timezone: str = "Asia/Tokyo"
    poll_seconds: float = 1.0
    console_base_url: str = ""
    lease_seconds: float = LEASE_SECONDS
    batch: int = BATCH

    @classmethod
    def from_config(cls, config: CollectorConfig) -> NotifySettings:
        return cls(max_attempts=config.notify_max_attempts,
                   retry_cap_seconds=config.notify_retry_cap_seconds,
                   customer_offline_after_seconds=config.notify_customer_offline_after_seconds,
                   timezone=config.notify_timezone, poll_seconds=config.notify_poll_seconds,
                   console_base_url=config.console_base_url)

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt: 1, 2, 4 … capped."""
        return float(min(self.retry_cap_seconds, 2.0 ** max(attempts - 1, 0)))

    def thread_domain(self) -> str:
        """The host part of e-mail thread ids: the console's host, else a reserved name."""
        return urlsplit(self.console_base_url).hostname or "yamori.invalid"
