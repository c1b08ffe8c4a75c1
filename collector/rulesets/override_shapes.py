"""Which per-tenant overrides make sense, checked before they are stored.

Owns: the combinations of RuleOverride fields Suricata's threshold.config
accepts — `disable` takes nothing but gid/sid; `suppress` takes either
nothing or both `track` (by_src, by_dst, by_either) and `ip` (an address or
CIDR); `threshold` needs `type`, `track` (by_src, by_dst, by_rule, by_both),
`count` and `seconds`. An override the box cannot load would fail its whole
ruleset update, so the collector refuses it at the door (422).
Does not own: the wire shape (uplink/schema.py) or storing (collector/overrides.py).
"""

from __future__ import annotations

import ipaddress

from uplink.schema import RuleOverride
from yamori.errors import IngestError

SUPPRESS_TRACKS = ("by_src", "by_dst", "by_either")
THRESHOLD_TRACKS = ("by_src", "by_dst", "by_rule", "by_both")


def check_override(override: RuleOverride) -> None:
    """422 naming the problem when `override` is not a loadable threshold.config line."""
    problem = {"disable": _disable, "suppress": _suppress, "threshold": _threshold}[
        override.kind](override)
    if problem is not None:
        raise IngestError(f"{override.kind} override of {override.gid}:{override.sid}: "
                          f"{problem}", 422)


def _set(override: RuleOverride, *names: str) -> list[str]:
    return [name for name in names if getattr(override, name) is not None]


def _disable(override: RuleOverride) -> str | None:
    extra = _set(override, "track", "ip", "type", "count", "seconds")
    return f"takes no {', '.join(extra)}" if extra else None


def _suppress(override: RuleOverride) -> str | None:
    extra = _set(override, "type", "count", "seconds")
    if extra:
        return f"takes no {', '.join(extra)}"
    if (override.track is None) != (override.ip is None):
        return "give both track and ip (one address or network), or neither (all alerts)"
    if override.track is not None and override.track not in SUPPRESS_TRACKS:
        return f"track must be one of {', '.join(SUPPRESS_TRACKS)}"
    if override.ip is not None:
        try:
            ipaddress.ip_network(override.ip, strict=False)
        except ValueError:
            return f"ip {override.ip!r} is not an address or network"
    return None


def _threshold(override: RuleOverride) -> str | None:
    missing = [n for n in ("type", "track", "count", "seconds") if getattr(override, n) is None]
    if missing:
        return f"needs {', '.join(missing)}"
    if override.ip is not None:
        return "takes no ip"
    if override.track not in THRESHOLD_TRACKS:
        return f"track must be one of {', '.join(THRESHOLD_TRACKS)}"
    return None
