"""`yamori rules publish|promote|status|override|channel`: the collector's ruleset admin API.

    yamori rules publish BUNDLE --collector URL --admin-token-file F [--channel canary]
    yamori rules promote VERSION --collector URL --admin-token-file F [--force]
    yamori rules status --collector URL --admin-token-file F [--json]
    yamori rules override add --tenant T --kind disable --sid N [...]
    yamori rules override list --tenant T [--retired]
    yamori rules override retire --tenant T ID
    yamori rules channel SENSOR canary|stable

Owns: those subcommands (`register(rules_subparsers)` mounts them on the
`yamori rules` group), `AdminClient` (requests, the admin bearer token read
from a file and never printed) and the plain-argument functions behind the
commands. Failures are YamoriErrors: ConfigError (token file), BundleError
(bundle file), UplinkUnavailable (network, 5xx) and UplinkRejected (the
collector refused: its reason is in the message). Does not own: building or
signing bundles (rules/build.py, rules/bundle.py) or the collector's rules.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from yamori.errors import BundleError, ConfigError, UplinkRejected, UplinkUnavailable

RULESETS_PATH = "/api/v1/rulesets"
CHANNELS = ("canary", "stable")
OVERRIDE_KINDS = ("disable", "suppress", "threshold")


@dataclass(slots=True)
class AdminClient:
    """Talks to one collector's admin API with the admin bearer token."""

    url: str
    token: str = field(repr=False)
    verify: bool | str = True  # False, or a CA bundle path, for a private CA
    timeout: float = 60.0
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; the JSON answer, or UplinkUnavailable/UplinkRejected."""
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        try:
            resp = self.session.request(method, self.url.rstrip("/") + path, headers=headers,
                                        timeout=self.timeout, verify=self.verify, **kwargs)
        except requests.RequestException as exc:
            raise UplinkUnavailable(f"cannot reach the collector at {self.url}: {exc}") from exc
        if resp.status_code >= 500:
            raise UplinkUnavailable(f"collector answered {resp.status_code}: {_reason(resp)}")
        if resp.status_code >= 400:
            raise UplinkRejected(f"collector refused ({resp.status_code}): {_reason(resp)}",
                                 resp.status_code)
        try:
            return resp.json()
        except ValueError as exc:
            raise UplinkUnavailable(f"collector answered {resp.status_code} without JSON") from exc


def _reason(resp: requests.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200] or resp.reason
    return str(body.get("error", body)) if isinstance(body, dict) else str(body)[:200]


def read_token(path: Path) -> str:
    """The admin token in `path` (one line); ConfigError if unreadable or empty."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError("admin_token_file", f"cannot read {path}: {exc.strerror}") from exc
    if not token:
        raise ConfigError("admin_token_file", f"{path} is empty")
    return token


# -- the operations (plain-argument twins of the subcommands) --------------------------------


def publish(client: AdminClient, bundle: Path, channel: str = "canary") -> dict[str, Any]:
    """Upload a signed bundle to `channel`; the collector's answer (version, sha256 …)."""
    try:
        data = bundle.read_bytes()
    except OSError as exc:
        raise BundleError(f"cannot read {bundle}: {exc.strerror}") from exc
    answer: dict[str, Any] = client.call(
        "POST", RULESETS_PATH, params={"channel": channel}, data=data,
        headers={"Content-Type": "application/gzip"})
    return answer


def promote(client: AdminClient, version: str, force: bool = False) -> dict[str, Any]:
    """Put published `version` on stable."""
    params = {"force": "true"} if force else {}
    answer: dict[str, Any] = client.call("POST", f"{RULESETS_PATH}/{version}/promote",
                                         params=params)
    return answer


def status(client: AdminClient) -> dict[str, Any]:
    """Channels, versions and rollouts with their evidence (GET /api/v1/rulesets)."""
    answer: dict[str, Any] = client.call("GET", RULESETS_PATH)
    return answer


def set_channel(client: AdminClient, sensor_id: str, channel: str) -> dict[str, Any]:
    """Move a sensor to `channel`."""
    answer: dict[str, Any] = client.call("PUT", f"/api/v1/sensors/{sensor_id}/channel",
                                         json={"channel": channel})
    return answer


def add_override(client: AdminClient, tenant: str, override: dict[str, Any],
                 reason: str = "") -> dict[str, Any]:
    """Add an override (RuleOverride fields) for `tenant`."""
    answer: dict[str, Any] = client.call("POST", _overrides(tenant),
                                         json={**override, "reason": reason})
    return answer


def list_overrides(client: AdminClient, tenant: str, retired: bool = False) -> list[Any]:
    """The tenant's overrides (active only unless `retired`)."""
    answer = client.call("GET", _overrides(tenant), params={"retired": str(retired).lower()})
    return list(answer["overrides"])


def retire_override(client: AdminClient, tenant: str, override_id: int) -> dict[str, Any]:
    """Retire one of the tenant's overrides."""
    answer: dict[str, Any] = client.call("DELETE", f"{_overrides(tenant)}/{override_id}")
    return answer


def _overrides(tenant: str) -> str:
    return f"/api/v1/tenants/{quote(tenant, safe='')}/overrides"


# -- the subcommands ------------------------------------------------------------------------


def register(sub: Any) -> None:
    """Add publish, promote, status, override and channel to the `yamori rules` subparsers."""
    p = _command(sub, "publish", "upload a signed bundle to the collector (canary first)")
    p.add_argument("bundle", type=Path, help="the .tar.gz made by `yamori rules build`")
    p.add_argument("--channel", choices=CHANNELS, default="canary")
    p.set_defaults(func=_publish_args)
    p = _command(sub, "promote", "put a published bundle on the stable channel")
    p.add_argument("version")
    p.add_argument("--force", action="store_true", help="even though the canary check held it")
    p.set_defaults(func=_promote_args)
    p = _command(sub, "status", "channels, versions and rollouts with their evidence")
    p.add_argument("--json", action="store_true", help="the collector's JSON as it is")
    p.set_defaults(func=_status_args)
    p = _command(sub, "channel", "put a sensor in the canary or stable channel")
    p.add_argument("sensor_id")
    p.add_argument("channel", choices=CHANNELS)
    p.set_defaults(func=_channel_args)
    _register_override(sub)


def _command(sub: Any, name: str, text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=text, description=text)
    _collector_options(parser)
    return parser


def _collector_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--collector", required=True, metavar="URL",
                        help="the collector's base URL, e.g. https://collector.example:8443")
    parser.add_argument("--admin-token-file", required=True, type=Path, metavar="FILE",
                        help="file holding the collector's admin bearer token")
    parser.add_argument("--ca-file", type=Path, metavar="FILE",
                        help="CA certificate to verify the collector with")


def _register_override(sub: Any) -> None:
    parser = sub.add_parser("override", help="per-tenant rule overrides on the collector")
    verbs = parser.add_subparsers(dest="override_command", required=True)
    add = _command(verbs, "add", "disable, suppress or threshold a rule for one tenant")
    add.add_argument("--tenant", required=True)
    add.add_argument("--kind", required=True, choices=OVERRIDE_KINDS)
    add.add_argument("--sid", required=True, type=int)
    add.add_argument("--gid", type=int, default=1)
    add.add_argument("--track", choices=("by_src", "by_dst", "by_rule", "by_both", "by_either"))
    add.add_argument("--ip", help="suppress: only alerts for this address or network")
    add.add_argument("--type", choices=("limit", "threshold", "both"))
    add.add_argument("--count", type=int)
    add.add_argument("--seconds", type=int)
    add.add_argument("--reason", default="")
    add.set_defaults(func=_override_add_args)
    lst = _command(verbs, "list", "a tenant's overrides")
    lst.add_argument("--tenant", required=True)
    lst.add_argument("--retired", action="store_true", help="include retired overrides")
    lst.set_defaults(func=_override_list_args)
    ret = _command(verbs, "retire", "retire one of a tenant's overrides")
    ret.add_argument("--tenant", required=True)
    ret.add_argument("override_id", type=int)
    ret.set_defaults(func=_override_retire_args)


def client_from_args(args: argparse.Namespace) -> AdminClient:
    """An AdminClient for the --collector/--admin-token-file/--ca-file options."""
    verify: bool | str = str(args.ca_file) if args.ca_file else True
    return AdminClient(args.collector, read_token(args.admin_token_file), verify=verify)


def _publish_args(args: argparse.Namespace) -> int:
    done = publish(client_from_args(args), args.bundle, args.channel)
    _out(f"published {done['version']} to {done['channel']} (sha256 {done['sha256']}, "
         f"{done['rule_count']} rules; was {done['previous'] or 'empty'})")
    return 0


def _promote_args(args: argparse.Namespace) -> int:
    done = promote(client_from_args(args), args.version, args.force)
    _out(f"promoted {done['version']} to stable (was {done['previous'] or 'empty'})")
    return 0


def _status_args(args: argparse.Namespace) -> int:
    report = status(client_from_args(args))
    _out(json.dumps(report, indent=2, ensure_ascii=False) if args.json else format_status(report))
    return 0


def _channel_args(args: argparse.Namespace) -> int:
    done = set_channel(client_from_args(args), args.sensor_id, args.channel)
    _out(f"sensor {done['sensor_id']}: {done['previous']} -> {done['channel']}")
    return 0


def _override_add_args(args: argparse.Namespace) -> int:
    fields = {k: getattr(args, k) for k in ("kind", "gid", "sid", "track", "ip", "type",
                                            "count", "seconds")}
    done = add_override(client_from_args(args), args.tenant,
                        {k: v for k, v in fields.items() if v is not None}, args.reason)
    _out(f"override {done['id']} for {args.tenant}: {format_override(done)}")
    return 0


def _override_list_args(args: argparse.Namespace) -> int:
    rows = list_overrides(client_from_args(args), args.tenant, args.retired)
    _out("\n".join(f"{r['id']}  {format_override(r)}" for r in rows) or "(no overrides)")
    return 0


def _override_retire_args(args: argparse.Namespace) -> int:
    done = retire_override(client_from_args(args), args.tenant, args.override_id)
    _out(f"override {done['id']} of {done['tenant']} retired")
    return 0


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


# -- plain text ---------------------------------------------------------------------------


def format_override(row: dict[str, Any]) -> str:
    """`suppress 1:2019401 track by_src ip 10.0.0.5 (noisy printer) — retired …`."""
    opts = " ".join(f"{k} {row[k]}" for k in ("type", "track", "ip", "count", "seconds")
                    if row.get(k) is not None)
    text = f"{row['kind']} {row['gid']}:{row['sid']}" + (f" {opts}" if opts else "")
    if row.get("reason"):
        text += f" ({row['reason']})"
    if row.get("retired_at"):
        text += f" - retired {row['retired_at']}"
    return text


def format_status(report: dict[str, Any]) -> str:
    """The status report as lines for a terminal."""
    lines = [f"channel {name}: {info['version'] or '(empty)'}"
             + (f"  (since {info['updated_at']} by {info['updated_by']})" if info["version"]
                else "")
             for name, info in report["channels"].items()]
    lines.append("canary sensors: " + (", ".join(report["canary_sensors"]) or "(none)"))
    for bundle in report["bundles"]:
        lines += ["", _bundle_line(bundle)]
        if bundle["held_reason"]:
            lines.append(f"  held: {bundle['held_reason']}")
        lines += [_rollout_line(r) for r in bundle["rollouts"]]
    return "\n".join(lines)


def _bundle_line(bundle: dict[str, Any]) -> str:
    on = ",".join(bundle["channels"]) or "-"
    return (f"{bundle['version']}  {bundle['status']}  on {on}  {bundle['rule_count']} rules  "
            f"published {bundle['published_at']} by {bundle['published_by']}")


def _rollout_line(rollout: dict[str, Any]) -> str:
    text = f"  {rollout['sensor_id']} ({rollout['tenant']}, {rollout['channel']}): "
    text += str(rollout["state"]) + (" [rollback]" if rollout["rollback"] else "")
    if rollout["reason"]:
        text += f": {rollout['reason']}"
    if rollout["verdict"]:
        text += f"; verdict {rollout['verdict']}"
    if rollout["baseline"] or rollout["after"]:
        text += f"; before {_figures(rollout['baseline'])}, after {_figures(rollout['after'])}"
    return text


def _figures(figures: dict[str, Any] | None) -> str:
    if not figures:
        return "n/a"
    rate, cost = figures.get("alerts_per_packet"), figures.get("engine_seconds_per_packet")
    text = f"{figures['alerts']} alerts/{figures['packets']} pkts"
    text += f" = {rate:.3g}/pkt" if rate is not None else ""
    return text + (f", {cost:.3g} s/pkt" if cost is not None else "")
