"""`yamori enroll`: the exchange against a real collector on loopback, files, config edits."""

from __future__ import annotations

import logging
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.config import load_agent_config
from agent.enroll import _toml_string, enroll, set_keys
from collector.fleet.testing import fleet_config
from collector.repo.enrollment import issue_token
from collector.state import AppState
from collector.testing import LiveCollector, serve_in_thread
from yamori.cli import main
from yamori.errors import UplinkRejected

CA = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n"
EXISTING = """\
# my box
[sensor]
sensor_id = "old-id"   # replaced
data_dir = "data"

[capture]
interface = "eth1"  # kept

[uplink]
url = "http://old.example"
token = "inline-secret"
batch_max = 100
"""


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveCollector]:
    ca = tmp_path / "ca.pem"
    ca.write_text(CA)
    with serve_in_thread(fleet_config(tmp_path, ca_cert_file=str(ca))) as collector:
        yield collector


def token(live: LiveCollector, tenant: str = "tanaka-kogyo") -> str:
    state: AppState = live.app.state.collector
    with state.database.session() as session:
        return issue_token(session, tenant, 600).token


def test_new_config_is_created_and_loads(live: LiveCollector, tmp_path: Path) -> None:
    cfg = tmp_path / "etc" / "agent.toml"
    done = enroll(live.url, token(live), cfg, data_dir=tmp_path / "data", hostname="pi-box")
    config = load_agent_config(cfg)
    assert (config.sensor.sensor_id, config.sensor.tenant) == ("pi-box", "tanaka-kogyo")
    assert config.uplink.url == live.url and config.uplink.token is None
    assert config.uplink.read_token() == done.credential_file.read_text().strip()
    assert config.uplink.ca_bundle is not None and config.uplink.ca_bundle.read_text() == CA


def test_credential_file_is_owner_only(live: LiveCollector, tmp_path: Path) -> None:
    done = enroll(live.url, token(live), tmp_path / "agent.toml", data_dir=tmp_path / "d",
                  hostname="pi-box")
    assert stat.S_IMODE(done.credential_file.stat().st_mode) == 0o600


def test_credential_is_never_logged(live: LiveCollector, tmp_path: Path,
                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    done = enroll(live.url, token(live), tmp_path / "agent.toml", data_dir=tmp_path / "d",
                  hostname="pi-box")
    assert done.credential_file.read_text().strip() not in caplog.text


def test_existing_config_keeps_comments_and_drops_inline_token(live: LiveCollector,
                                                               tmp_path: Path) -> None:
    cfg = tmp_path / "agent.toml"
    cfg.write_text(EXISTING)
    done = enroll(live.url, token(live), cfg, hostname="pi-box")
    text = cfg.read_text()
    assert "# my box" in text and 'interface = "eth1"  # kept' in text
    assert "inline-secret" not in text and "batch_max = 100" in text
    assert done.credential_file == tmp_path / "data" / "sensor.token"  # data_dir from the config
    assert load_agent_config(cfg).sensor.sensor_id == "pi-box"


def test_reenrollment_rotates_and_says_so(live: LiveCollector, tmp_path: Path) -> None:
    cfg = tmp_path / "agent.toml"
    first = enroll(live.url, token(live), cfg, data_dir=tmp_path / "d", hostname="pi-box")
    old = first.credential_file.read_text()
    again = enroll(live.url, token(live), cfg, data_dir=tmp_path / "d", hostname="pi-box")
    assert again.rotated and again.sensor_id == first.sensor_id
    assert again.credential_file.read_text() != old


def test_used_token_is_refused(live: LiveCollector, tmp_path: Path) -> None:
    once = token(live)
    enroll(live.url, once, tmp_path / "a.toml", data_dir=tmp_path / "a", hostname="a")
    with pytest.raises(UplinkRejected) as info:
        enroll(live.url, once, tmp_path / "b.toml", data_dir=tmp_path / "b", hostname="b")
    assert info.value.status == 401 and not (tmp_path / "b.toml").exists()


def test_cli_enrolls_and_prints_no_secret(live: LiveCollector, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "agent.toml"
    code = main(["enroll", "--collector", live.url, "--token", token(live), "--config", str(cfg),
                 "--data-dir", str(tmp_path / "d"), "--sensor-id", "tanaka-01"])
    out = capsys.readouterr()
    assert code == 0 and "tanaka-01" in out.out
    secret = (tmp_path / "d" / "sensor.token").read_text().strip()
    assert secret not in out.out + out.err


def test_cli_refusal_is_one_line_and_exit_1(live: LiveCollector, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["enroll", "--collector", live.url, "--token", "ye1_bogus",
                 "--config", str(tmp_path / "a.toml"), "--data-dir", str(tmp_path / "d")])
    assert code == 1 and "enrollment refused (401)" in capsys.readouterr().err


# -- the line-based TOML editor --------------------------------------------------------

KEYS = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True)
VALUES = st.text(max_size=20)
SECTIONS = st.dictionaries(KEYS, st.dictionaries(KEYS, VALUES, max_size=4), max_size=4)


def dump(data: dict[str, dict[str, str]]) -> str:
    out = []
    for section, keys in data.items():
        out.append(f"# section {section}\n[{section}]")
        out += [f"{k} = {_toml_string(v)}  # note" for k, v in keys.items()]
    return "\n".join(out) + "\n"


@given(SECTIONS, KEYS, st.dictionaries(KEYS, st.none() | VALUES, max_size=4))
def test_set_keys_sets_exactly_what_it_is_told(data: dict[str, dict[str, str]], section: str,
                                               values: dict[str, str | None]) -> None:
    result = tomllib.loads(set_keys(dump(data), section, values))
    expected = {k: dict(v) for k, v in data.items()}
    target = expected.setdefault(section, {})
    for key, value in values.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    if not target and section not in data:
        expected.pop(section)
    assert result == expected
