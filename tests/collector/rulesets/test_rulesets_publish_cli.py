"""`yamori rules publish|promote|status|override|channel` against a real collector on loopback."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from collector.fleet.testing import ADMIN_TOKEN, fleet_config
from collector.testing import LiveCollector, enroll, serve_in_thread
from rules import publish
from uplink.faults import free_port
from yamori.errors import BundleError, ConfigError, UplinkRejected, UplinkUnavailable

BundleMaker = Callable[..., Path]
V1, V2 = "2026.11.22.1", "2026.11.29.1"


@pytest.fixture
def live(tmp_path: Path, vendor_public: Path) -> Iterator[LiveCollector]:
    config = fleet_config(tmp_path, rules_dir=str(tmp_path / "rulesets"),
                          rules_vendor_key_file=str(vendor_public),
                          offline_check_seconds=3600.0)
    with serve_in_thread(config) as collector:
        enroll(collector.app, "pi-001", "tanaka-kogyo")
        yield collector


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "admin.token"  # fleet_config wrote ADMIN_TOKEN here
    assert path.read_text().strip() == ADMIN_TOKEN
    return path


def run(capsys: pytest.CaptureFixture[str], url: str, token: Path, *words: str) -> str:
    parser = argparse.ArgumentParser(prog="yamori rules")
    publish.register(parser.add_subparsers(dest="rules_command", required=True))
    # The collector options belong to each subcommand: put them after its positionals.
    args = parser.parse_args([*words, "--collector", url, "--admin-token-file", str(token)])
    assert args.func(args) == 0
    return capsys.readouterr().out


def test_the_whole_publishing_cycle(live: LiveCollector, token_file: Path,
                                    make_bundle: BundleMaker,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    def cli(*words: str) -> str:
        return run(capsys, live.url, token_file, *words)

    assert f"published {V1} to stable" in cli("publish", str(make_bundle(V1)),
                                              "--channel", "stable")
    assert f"published {V2} to canary" in cli("publish", str(make_bundle(V2)))
    assert "stable -> canary" in cli("channel", "pi-001", "canary")
    added = cli("override", "add", "--tenant", "tanaka-kogyo", "--kind", "suppress",
                "--sid", "2019401", "--track", "by_src", "--ip", "10.0.0.5",
                "--reason", "printer")
    assert "suppress 1:2019401 track by_src ip 10.0.0.5 (printer)" in added
    override_id = added.split()[1]
    assert f"{override_id}  suppress 1:2019401" in cli("override", "list",
                                                       "--tenant", "tanaka-kogyo")
    text = cli("status")
    assert f"channel canary: {V2}" in text and f"channel stable: {V1}" in text
    assert "canary sensors: pi-001" in text
    report = json.loads(cli("status", "--json"))
    assert [b["version"] for b in report["bundles"]] == [V2, V1]
    assert f"promoted {V2} to stable (was {V1})" in cli("promote", V2)
    assert "retired" in cli("override", "retire", "--tenant", "tanaka-kogyo", override_id)
    assert cli("override", "list", "--tenant", "tanaka-kogyo").strip() == "(no overrides)"


def test_refusals_carry_the_collectors_reason(live: LiveCollector, token_file: Path,
                                              make_bundle: BundleMaker) -> None:
    client = publish.AdminClient(live.url, publish.read_token(token_file))
    publish.publish(client, make_bundle(V2))
    with pytest.raises(UplinkRejected, match="not newer") as refused:
        publish.publish(client, make_bundle(V1))
    assert refused.value.status == 409
    with pytest.raises(UplinkRejected) as wrong:
        publish.status(publish.AdminClient(live.url, "not-the-token"))
    assert wrong.value.status == 401
    with pytest.raises(BundleError, match="cannot read"):
        publish.publish(client, Path("/nonexistent/bundle.tar.gz"))


def test_local_problems_are_yamori_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="admin_token_file"):
        publish.read_token(tmp_path / "missing.token")
    (tmp_path / "empty.token").write_text("\n")
    with pytest.raises(ConfigError, match="empty"):
        publish.read_token(tmp_path / "empty.token")
    nobody = publish.AdminClient(f"http://127.0.0.1:{free_port()}", "t", timeout=5)
    with pytest.raises(UplinkUnavailable, match="cannot reach"):
        publish.status(nobody)
