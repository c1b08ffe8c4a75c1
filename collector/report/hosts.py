"""The office's own machines that took part in the month's alerts.

Owns: counting, per address in the office's network (Suricata's default
HOME_NET plus IPv6 unique- and link-local, as notices decide it:
collector/notify/render.py), the alerts it was the source or the destination
of (an alert between two office machines counts for both, once each). The
database groups the alerts by address, after a coarse textual filter that
keeps only addresses that may be private; ipaddress then decides exactly,
over distinct addresses rather than alerts. Does not own: which alerts count
(alerts.py).
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from collector.models import Alert
from collector.notify.render import HOME_NET
from collector.report.alerts import month_alerts
from collector.report.period import ReportPeriod

TOP_HOSTS = 20
# A superset of HOME_NET's textual prefixes (172.% admits 172.0-15 and 172.32+, which
# ipaddress then drops); IPv6 is compared lower-cased.
_MAYBE_PRIVATE = ("10.%", "192.168.%", "172.%", "169.254.%", "fc%", "fd%", "fe8%", "fe9%",
                  "fea%", "feb%")


@dataclass(slots=True, frozen=True)
class HostCount:
    address: str
    alerts: int


@dataclass(slots=True, frozen=True)
class HostFigures:
    hosts: tuple[HostCount, ...]  # the TOP_HOSTS most involved, most first
    distinct: int  # every internal address involved


def internal_hosts(session: Session, tenant: str, period: ReportPeriod) -> HostFigures:
    """The internal addresses among the month's alerts' sources and destinations."""
    where = month_alerts(tenant, period)
    counts: Counter[str] = Counter()
    # A destination equal to the source is the same host in the same alert: counted once.
    for column, extra in ((Alert.src_ip, ()), (Alert.dest_ip, (Alert.dest_ip != Alert.src_ip,))):
        query = (select(column, func.count()).where(*where, *extra, _maybe_private(column))
                 .group_by(column))
        for address, n in session.execute(query):
            if is_internal(address):
                counts[address] += int(n)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], _sort_key(item[0])))
    return HostFigures(tuple(HostCount(a, n) for a, n in ranked[:TOP_HOSTS]), len(counts))


def _maybe_private(column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    lowered = func.lower(column)
    return or_(*(lowered.like(prefix) for prefix in _MAYBE_PRIVATE))


def is_internal(address: str) -> bool:
    """Whether `address` is in the office's network (HOME_NET)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in net for net in HOME_NET if net.version == parsed.version)


def _sort_key(address: str) -> tuple[int, int]:
    parsed = ipaddress.ip_address(address)
    return parsed.version, int(parsed)
