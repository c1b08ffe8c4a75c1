"""Notice texts: Jinja2 plain-text templates per kind and language, Japanese first.

Owns: templates/<kind>.<lang>.txt (first line: the title, e.g. the e-mail
subject, whose "[yamori #<incident>]" prefix is the same for every notice of
an incident; the rest: the body), and what they are given — the guidance's
what/action for the alert, the affected host in the office's own network (of
the two addresses the one in Suricata's default HOME_NET, else the source),
severity in words, first/last seen in the contact's time zone (JST by
default), the count, and a link to the customer's view when there is one.
Does not own: the guidance catalog (collector/guidance) or sending (channels.py).
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from collector.fleet import events
from collector.guidance import Guidance, guidance_for
from collector.notify.channels import Message
from collector.notify.models import (
    ESCALATED,
    OFFLINE,
    RECOVERED,
    RESOLVED,
    TEST,
    UPDATE,
)

TEMPLATE_DIR = Path(__file__).parent / "templates"
# Suricata's default HOME_NET plus IPv6 unique-local and link-local. Not
# `ip.is_private`: that also counts the documentation ranges (203.0.113.0/24 …).
HOME_NET = tuple(ipaddress.ip_network(n) for n in (
    "192.168.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "169.254.0.0/16", "fc00::/7", "fe80::/10"))
LANGUAGES = ("ja", "en")
_SEVERITY_WORDS = {"ja": ("高", "中", "低", "情報"), "en": ("high", "medium", "low", "info")}
_GREETING = {"ja": ("{tenant} ご担当者様", "運用担当者各位（お客様: {tenant}）"),
             "en": ("Dear {tenant},", "To the operators (customer: {tenant}),")}
# apprise's notify type per notice kind (colours and icons in chat services).
_LEVEL = {ESCALATED: "warning", UPDATE: "warning", RESOLVED: "success",
          OFFLINE: "warning", RECOVERED: "success", TEST: "info"}
_SENSOR_SID = {OFFLINE: events.SENSOR_OFFLINE.sid, RECOVERED: events.SENSOR_RECOVERED.sid}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Plain text for e-mail and chat: HTML escaping would show as "&amp;".
    return Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=False,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=False)


def render(kind: str, lang: str, payload: dict[str, Any], *, notice_id: int,
           operator: bool = False, tz: str = "Asia/Tokyo", base_url: str = "") -> Message:
    """The title and body of a `kind` notice in `lang` (ja when unknown)."""
    lang = lang if lang in LANGUAGES else "ja"
    context = _context(kind, lang, payload, ZoneInfo(tz), base_url)
    context["notice_id"] = notice_id
    greeting = _GREETING[lang][1 if operator else 0]
    context["greeting"] = greeting.format(tenant=payload.get("tenant") or "-")
    text = _environment().get_template(f"{kind}.{lang}.txt").render(context)
    title, _, body = text.partition("\n")
    level = "failure" if kind == ESCALATED and int(payload.get("severity", 3)) <= 1 \
        else _LEVEL[kind]
    return Message(title=title.strip(), body=body.strip() + "\n", level=level)


def _context(kind: str, lang: str, payload: dict[str, Any], tz: ZoneInfo,
             base_url: str) -> dict[str, Any]:
    context = dict(payload)
    context["link"] = absolute_link(payload.get("url"), base_url)
    if kind in (ESCALATED, UPDATE, RESOLVED):
        context.update(_incident_context(lang, payload, tz))
    elif kind in (OFFLINE, RECOVERED):
        context["guidance"] = guidance_for(events.CATEGORY, events.FLEET_GID,
                                           _SENSOR_SID[kind], lang)
        context["since"] = local_time(payload["since"], tz)
    else:
        context["sent"] = local_time(datetime.now(UTC).isoformat(), tz)
    return context


def _incident_context(lang: str, payload: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    host = payload.get("internal_host") or internal_host(payload["src_ip"], payload["dest_ip"])
    guidance: Guidance = guidance_for(payload.get("category"), payload.get("gid"),
                                      payload.get("sid"), lang)
    return {
        "guidance": guidance, "host": host,
        "peer": payload["dest_ip"] if host == payload["src_ip"] else payload["src_ip"],
        "severity_words": severity_words(int(payload["severity"]), lang),
        "first_seen": local_time(payload["first_seen"], tz),
        "last_seen": local_time(payload["last_seen"], tz),
    }


def internal_host(src_ip: str, dest_ip: str) -> str:
    """The address inside the office: the private one of the two, else the source."""
    for address in (src_ip, dest_ip):
        if _is_private(address):
            return address
    return src_ip


def _is_private(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in HOME_NET if network.version == parsed.version)


def severity_words(severity: int, lang: str) -> str:
    """Suricata severity (1 = most severe) in words."""
    words = _SEVERITY_WORDS[lang if lang in _SEVERITY_WORDS else "ja"]
    return words[min(max(severity, 1), 4) - 1]


def local_time(iso: str, tz: ZoneInfo) -> str:
    """An ISO time as "2024-05-01 02:13:30 JST" in `tz` (no offset means UTC)."""
    when = datetime.fromisoformat(iso)
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")


def absolute_link(url: str | None, base_url: str) -> str | None:
    """`url` as given when absolute, joined to `base_url` when a path, else None."""
    if not url:
        return None
    if url.startswith(("http://", "https://")):
        return url
    if url.startswith("/") and base_url:
        return base_url.rstrip("/") + url
    return None
