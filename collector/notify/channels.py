"""The apprise boundary: what a contact URL is, how it is shown, and sending one message.

Owns: checking an apprise URL (e-mail `mailto://`, webhooks `json://`,
`slack://`, `workflows://` for Teams, `discord://`, …) and naming its kind;
the masked form the API shows (apprise's privacy form, long path tokens and
query values cut down, so a secret is never answered in full); and
`send_message`, one attempt through apprise with the per-kind extras: e-mail
gets `In-Reply-To`/`References` thread headers (apprise's `+header` URL
arguments; it sets Message-ID itself, so the thread is anchored on a stable
id that every notice of an incident references), JSON webhooks get
`notice_id`, `incident_id` … as extra body fields (apprise's `:key` payload
arguments). apprise reports only success or failure plus log lines: the error
text is those lines, and the HTTP status is read from them when a plugin
names it (`error=500`). This is the only module that imports apprise.
Does not own: retries (deliver.py) or message text (render.py).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from apprise import Apprise, AppriseAsset, NotifyFormat, NotifyType
from apprise.plugins import url_to_dict

from yamori.errors import IngestError

# apprise schema -> the kind yamori shows; other schemas show as themselves.
KINDS = {
    "mailto": "email", "mailtos": "email",
    "json": "webhook", "jsons": "webhook",
    "slack": "slack", "discord": "discord",
    "workflow": "teams", "workflows": "teams", "msteams": "teams",
}
# Query arguments safe to show back (addresses and modes, never keys or tokens).
_SHOWN_ARGS = frozenset({"to", "from", "cc", "bcc", "name", "mode", "format", "method", "lang"})
_HTTP_STATUS = re.compile(r"\berror=(\d{3})\b")
_MAX_ERROR = 1000


@dataclass(slots=True, frozen=True)
class Channel:
    """A checked contact URL: its kind and the form safe to show."""

    kind: str
    masked: str


@dataclass(slots=True, frozen=True)
class Message:
    """One rendered notice."""

    title: str
    body: str
    level: str = "info"  # apprise notify type: info | success | warning | failure


@dataclass(slots=True, frozen=True)
class SendResult:
    """How one attempt went."""

    ok: bool
    error: str | None
    http_status: int | None
    seconds: float


def describe(url: str) -> Channel:
    """Check `url` with apprise; 422 when apprise cannot send to it."""
    parsed = _parse(url)
    if parsed is None or _service(parsed) is None:
        raise IngestError("url: not an apprise URL yamori can send to "
                          "(e.g. mailto://…, json://…, slack://…, workflows://…)", 422)
    schema = str(parsed["schema"])
    return Channel(KINDS.get(schema, schema), mask(url))


def kind_of(url: str) -> str:
    """The kind of an already checked URL."""
    schema = urlsplit(url).scheme.lower()
    return KINDS.get(schema, schema)


def mask(url: str) -> str:
    """`url` with passwords, tokens and unknown query values cut down (for display)."""
    service = _service(_parse(url))
    shown = service.url(privacy=True) if service is not None else url
    parts = urlsplit(shown)
    path = "/".join(_mask_segment(unquote(s)) for s in parts.path.split("/"))
    args = [f"{k}={v if k.lower() in _SHOWN_ARGS else '****'}"
            for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True)]
    netloc = parts.netloc if "@" not in parts.netloc or "****" in parts.netloc \
        else _mask_userinfo(parts.netloc)
    return f"{parts.scheme}://{netloc}{path}" + (f"?{'&'.join(args)}" if args else "")


def _mask_segment(segment: str) -> str:
    # apprise already shortens the tokens of the services it knows (T...2);
    # a generic webhook path may carry one too. Addresses stay readable.
    if len(segment) < 12 or "@" in segment or "..." in segment:
        return segment
    return f"{segment[0]}...{segment[-1]}"


def _mask_userinfo(netloc: str) -> str:
    userinfo, _, host = netloc.rpartition("@")
    user, sep, _password = userinfo.partition(":")
    return f"{user}{':****' if sep else ''}@{host}"


def send_message(url: str, message: Message, headers: dict[str, str] | None = None,
                 payload: dict[str, Any] | None = None) -> SendResult:
    """One attempt: e-mail gets `headers`, JSON webhooks get `payload` in their body."""
    started = time.monotonic()
    parsed = _parse(url)
    service = _service(_with_extras(parsed, headers, payload)) if parsed else None
    if service is None:
        return SendResult(False, "the contact URL is not usable by apprise", None,
                          time.monotonic() - started)
    try:
        result = Apprise(asset=_asset(), services=[service]).notify(
            body=message.body, title=message.title, notify_type=NotifyType(message.level),
            body_format=NotifyFormat.TEXT)
    except Exception as exc:  # a plugin bug must count as a failed attempt, not kill the worker
        return SendResult(False, f"{type(exc).__name__}: {exc}", None,
                          time.monotonic() - started)
    seconds = time.monotonic() - started
    if result:
        return SendResult(True, None, None, seconds)
    lines = [entry.message for entry in result.logs()]
    error = "; ".join(lines)[:_MAX_ERROR] or "apprise reported a failure without detail"
    return SendResult(False, error, _status_in(lines), seconds)


def _status_in(lines: list[str]) -> int | None:
    for line in reversed(lines):
        match = _HTTP_STATUS.search(line)
        if match:
            return int(match.group(1))
    return None


def _with_extras(parsed: dict[str, Any], headers: dict[str, str] | None,
                 payload: dict[str, Any] | None) -> dict[str, Any]:
    kind = KINDS.get(str(parsed["schema"]))
    if kind == "email":
        # Our text is plain: without this apprise sends HTML and a reflowed text part.
        parsed["format"] = NotifyFormat.TEXT.value
        parsed["headers"] = {**parsed.get("headers", {}), **(headers or {})}
    elif kind == "webhook":
        parsed["payload"] = {**parsed.get("payload", {}), **(payload or {})}
    return parsed


def _parse(url: str) -> dict[str, Any] | None:
    try:
        parsed = url_to_dict(url.strip(), secure_logging=True)  # type: ignore[no-untyped-call]
    except Exception:  # apprise raises on some malformed input instead of answering None
        return None
    return parsed if isinstance(parsed, dict) else None


def _service(parsed: dict[str, Any] | None) -> Any:
    if parsed is None:
        return None
    return Apprise.instantiate(dict(parsed), asset=_asset())


def _asset() -> AppriseAsset:
    # Memory only: apprise must not write caches into the collector's home.
    return AppriseAsset(storage_mode="memory")
