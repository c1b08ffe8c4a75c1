"""`yamori enroll`: exchange an enrollment token for this box's sensor credential.

Owns: the enrollment request (POST /api/v1/enroll), writing the credential
(mode 0600, atomically; it is never logged or printed) and the collector's CA
certificate into the data directory, and updating — or creating — the agent
config: [uplink] url, token_file, ca_bundle (an inline `token` is removed,
since it would win over the file) and [sensor] sensor_id, tenant and
data_dir. The config is edited line by line so its comments survive.
Does not own: loading or validating the whole config (agent/config.py).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import socket
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from pydantic import ValidationError

from uplink.schema import ENROLL_PATH, EnrollAnswer, EnrollRequest
from yamori import __version__
from yamori.errors import ConfigError, UplinkRejected, UplinkUnavailable

log = logging.getLogger(__name__)

DEFAULT_CONFIG = Path("/etc/yamori/agent.toml")
DEFAULT_DATA_DIR = Path("/var/lib/yamori")
CREDENTIAL_FILE = "sensor.token"
CA_FILE = "collector-ca.pem"
_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(#.*)?$")
NEW_CONFIG = """\
# yamori agent configuration, written by `yamori enroll`.
# deploy/agent.example.toml documents every key.

[sensor]

[capture]
# The LAN mirror/bridge port to watch: set this to the right interface.
interface = "eth0"

[uplink]
"""


@dataclass(slots=True, frozen=True)
class Enrollment:
    """What `enroll` did: who this box is now and where its files are."""

    sensor_id: str
    tenant: str
    rotated: bool
    config: Path
    credential_file: Path
    ca_file: Path | None


def enroll(collector: str, token: str, config: Path = DEFAULT_CONFIG,
           data_dir: Path | None = None, hostname: str | None = None,
           sensor_id: str | None = None, ca_bundle: str | None = None,
           timeout: float = 30.0) -> Enrollment:
    """Enroll this box with `collector` and point `config` at the new credential."""
    existing = config.read_text(encoding="utf-8") if config.exists() else None
    where = data_dir or _configured_data_dir(existing, config.parent)
    answer = request_enrollment(collector, token, hostname or socket.gethostname(),
                                sensor_id, ca_bundle, timeout)
    where.mkdir(parents=True, exist_ok=True)
    credential_file = where / CREDENTIAL_FILE
    write_private(credential_file, answer.credential + "\n")
    ca_file = where / CA_FILE if answer.ca_pem else None
    if ca_file is not None:
        write_private(ca_file, answer.ca_pem or "", mode=0o644)
    sensor: dict[str, str | None] = {"sensor_id": answer.sensor_id, "tenant": answer.tenant}
    if data_dir is not None:
        sensor["data_dir"] = str(data_dir.resolve())
    uplink: dict[str, str | None] = {
        "url": collector.rstrip("/"), "token": None,
        "token_file": str(credential_file.resolve())}
    pin = str(ca_file.resolve()) if ca_file else ca_bundle
    if pin:  # without one, a ca_bundle set by hand is kept
        uplink["ca_bundle"] = pin
    text = set_keys(set_keys(existing or NEW_CONFIG, "sensor", sensor), "uplink", uplink)
    write_private(config, text, mode=0o644)
    log.info("enrolled as sensor %s in tenant %s; credential in %s",
             answer.sensor_id, answer.tenant, credential_file)
    return Enrollment(answer.sensor_id, answer.tenant, answer.rotated, config,
                      credential_file, ca_file)


def request_enrollment(collector: str, token: str, hostname: str, sensor_id: str | None,
                       ca_bundle: str | None = None, timeout: float = 30.0) -> EnrollAnswer:
    """POST the enrollment request; the answer, or UplinkRejected/UplinkUnavailable."""
    body = EnrollRequest(token=token, hostname=hostname, sensor_id=sensor_id,
                         version=__version__).model_dump_json(exclude_none=True)
    try:
        resp = requests.post(collector.rstrip("/") + ENROLL_PATH, data=body, timeout=timeout,
                             headers={"Content-Type": "application/json",
                                      "User-Agent": f"yamori-agent/{__version__}"},
                             verify=ca_bundle if ca_bundle else True, allow_redirects=False)
    except requests.RequestException as exc:
        raise UplinkUnavailable(f"collector unreachable: {type(exc).__name__}") from exc
    if resp.status_code >= 500:
        raise UplinkUnavailable(f"collector answered {resp.status_code}")
    if resp.status_code != 200:
        raise UplinkRejected(f"enrollment refused ({resp.status_code}): {_reason(resp)}",
                             status=resp.status_code)
    try:
        return EnrollAnswer.model_validate_json(resp.content)
    except ValidationError as exc:
        raise UplinkUnavailable("collector answered the enrollment with a bad body") from exc


def _reason(resp: requests.Response) -> str:
    try:
        return str(resp.json().get("error", ""))[:200]
    except (ValueError, AttributeError):
        return resp.text[:200]


def _configured_data_dir(text: str | None, base: Path) -> Path:
    if text is None:
        return DEFAULT_DATA_DIR
    try:
        value = tomllib.loads(text).get("sensor", {}).get("data_dir")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("--config", f"not valid TOML: {exc}") from exc
    if not value:
        return DEFAULT_DATA_DIR
    path = Path(value)
    return path if path.is_absolute() else base / path


def write_private(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace `path` atomically with `text`; the file never exists with a wider mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- editing TOML while keeping its comments ---------------------------------------------


def set_keys(text: str, section: str, values: dict[str, str | None]) -> str:
    """Set string `values` in `[section]` of TOML `text` (None removes the key).

    Only top-level `key = value` lines of that section are touched; the
    section is appended when missing.
    """
    # Not splitlines(): it also splits on U+0085 and U+2028, which TOML strings may hold.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    start, end = _section(lines, section)
    if start is None:
        added = [f"{k} = {_toml_string(v)}" for k, v in values.items() if v is not None]
        tail = ["", f"[{section}]", *added] if added else []
        return "\n".join([*lines, *tail]) + "\n"
    for key, value in values.items():
        lines, end = _set_one(lines, start, end, key, value)
    return "\n".join(lines) + "\n"


def _section(lines: list[str], name: str) -> tuple[int | None, int]:
    start = None
    for i, line in enumerate(lines):
        match = _HEADER.match(line)
        if match and start is not None:
            return start, i
        if match and match.group(1) == name:
            start = i
    return start, len(lines)


def _set_one(lines: list[str], start: int, end: int, key: str,
             value: str | None) -> tuple[list[str], int]:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for i in range(start + 1, end):
        if pattern.match(lines[i]):
            if value is None:
                return lines[:i] + lines[i + 1:], end - 1
            lines[i] = f"{key} = {_toml_string(value)}"
            return lines, end
    if value is None:
        return lines, end
    at = _last_entry(lines, start, end) + 1
    return lines[:at] + [f"{key} = {_toml_string(value)}"] + lines[at:], end + 1


def _last_entry(lines: list[str], start: int, end: int) -> int:
    last = start
    for i in range(start + 1, end):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            last = i
    return last


def _toml_string(value: str) -> str:
    """`value` as a TOML basic string (not JSON's: it escapes astral chars as surrogates)."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'



# -- the command ------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    """Add `yamori enroll` to the top-level subparsers."""
    p = subparsers.add_parser("enroll", help="enroll this box with a collector")
    p.add_argument("--collector", required=True, help="the collector's base URL")
    p.add_argument("--token", required=True, help="the single-use enrollment token")
    p.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                   help=f"agent TOML file to update or create (default {DEFAULT_CONFIG})")
    p.add_argument("--data-dir", type=Path,
                   help="where the credential is kept (default: the config's sensor.data_dir)")
    p.add_argument("--hostname", help="this box's name (default: the system hostname)")
    p.add_argument("--sensor-id", help="ask for this sensor id (default: from the hostname)")
    p.add_argument("--ca-bundle", help="CA bundle to verify the collector while enrolling")
    p.set_defaults(func=_enroll_args)


def _enroll_args(args: argparse.Namespace) -> int:
    done = enroll(args.collector, args.token, args.config, args.data_dir, args.hostname,
                  args.sensor_id, args.ca_bundle)
    verb = "re-enrolled (new credential)" if done.rotated else "enrolled"
    sys.stdout.write(f"{verb} as sensor '{done.sensor_id}' in tenant '{done.tenant}'\n"
                     f"credential: {done.credential_file} (mode 0600)\n"
                     f"config:     {done.config}\n")
    return 0
