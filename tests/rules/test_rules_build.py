"""rules.build: `yamori rules build` from file:// sources to a signed, checked bundle.

Sources are made at test time from ../shared/data/et-open (conftest.py): the
whole ruleset once per module for the full build, a few hundred of its rules
where the full set is not the point. suricata-update, `suricata -T` and the
CLI run as the real external processes.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agent.detect.loader import load_rules
from agent.engines.base import EngineSettings
from rules import RULES_DIR
from rules.build import BuildResult, build_ruleset, count_rule_lines
from rules.build_config import BuildConfig, load_build_config
from rules.bundle import BundleError, count_rules, generate_key, is_newer, verify
from rules.bundle import load_public_key as load_pub
from rules.filters import filter_lines
from rules.versioning import next_version
from yamori.errors import ConfigError, RuleBuildError

REPO = Path(__file__).parents[2]
SURICATA = Path("/usr/bin/suricata")
needs_suricata = pytest.mark.skipif(
    not SURICATA.is_file(),
    reason="Suricata not installed at /usr/bin/suricata: the build checks rules with suricata -T")
SID_RX = re.compile(r"[(;]\s*sid\s*:\s*(\d+)\s*;")
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
# ET Open rules the policy tests act on (and the state ET ships them in):
DISABLE_SID = 2013504  # ET INFO APT User-Agent, enabled
ENABLE_SID = 2008230  # ET SCAN fast outbound telnet, disabled
MODIFY_SID = 2016149  # ET INFO STUN Binding Request, enabled, classtype:misc-activity
DROP_SID = 2027390  # ET USER_AGENTS Microsoft Device Metadata, enabled
BROKEN_RULE = ('alert tcp any any -> any any (msg:"YAMORI TEST broken rule"; content:"x"; '
               'no_such_keyword; sid:1999999; rev:1;)\n')


# --- helpers -----------------------------------------------------------------


def _rules_by_sid(text: str) -> dict[int, str]:
    """sid -> its line (still commented when disabled), for every rule line."""
    found = {}
    for line in text.splitlines():
        match = SID_RX.search(line)
        if match and line.lstrip("# ").startswith(("alert", "drop", "pass", "reject")):
            found[int(match.group(1))] = line
    return found


def _enabled(line: str) -> bool:
    return not line.lstrip().startswith("#")


def _subset_source(et_open_dir: Path, folder: Path, first: int = 300) -> str:
    """file:// URL of a tar.gz holding the first `first` ET rules and the policy tests' rules."""
    wanted = {f"sid:{sid};" for sid in (DISABLE_SID, ENABLE_SID, MODIFY_SID, DROP_SID)}
    kept: list[str] = []
    with (et_open_dir / "suricata.rules").open(encoding="utf-8") as fh:
        for line in fh:
            if not SID_RX.search(line):
                continue
            if len(kept) < first or any(w in line for w in wanted):
                kept.append(line)
    rules = folder / "rules"
    rules.mkdir(parents=True)
    (rules / "et-subset.rules").write_text("".join(kept), encoding="utf-8")
    (rules / "classification.config").write_bytes(
        (et_open_dir / "classification.config").read_bytes())
    archive = folder / "et-subset.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(rules, arcname="rules")
    return archive.as_uri()


@pytest.fixture(scope="module")
def subset_url(et_open_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _subset_source(et_open_dir, tmp_path_factory.mktemp("subset"))


def _subset_config(tmp_path: Path, url: str, key: Path, **sections: dict[str, Any]
                   ) -> BuildConfig:
    """A build of `url` + yamori's own rules with no vendor policy, into tmp_path/out."""
    overrides: dict[str, Any] = {
        "sources": {"urls": [url], "local": [str(RULES_DIR / "local")],
                    "suricata_rules_dir": ""},
        "policy": {"enable": "", "disable": "", "modify": "", "drop": "", "threshold": ""},
        "suricata": {"binary": str(SURICATA)},
        "signing": {"key": str(key)},
        "output": {"dir": str(tmp_path / "out")},
    }
    for section, values in sections.items():
        overrides[section] = {**overrides.get(section, {}), **values}
    return load_build_config(None, overrides, environ={})


def _bundle_rules(result: BuildResult, public: Path) -> str:
    verified = verify(result.bundle, [load_pub(public)])
    return verified.files["suricata.rules"].decode("utf-8")


# --- the full ET Open build -----------------------------------------------------


@pytest.fixture(scope="module")
def full_build(et_open_tarball: Path, signing_keys: tuple[Path, Path],
               tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """ET Open + yamori's rules with the shipped vendor policy, as production builds it.

    The shared ET Open set is already a merged suricata-update output holding
    Suricata's own event rules, so the installed copies are not added again.
    """
    if not SURICATA.is_file():
        pytest.skip("Suricata not installed at /usr/bin/suricata: the build checks rules "
                    "with suricata -T")
    config = load_build_config(None, {
        "sources": {"urls": [et_open_tarball.as_uri()], "suricata_rules_dir": ""},
        "suricata": {"binary": str(SURICATA)},
        "signing": {"key": str(signing_keys[0])},
        "output": {"dir": str(tmp_path_factory.mktemp("full") / "out")},
    }, environ={})
    return build_ruleset(config, now=NOW)


def test_full_build_is_signed_and_verifies_with_the_vendor_key(
        full_build: BuildResult, signing_keys: tuple[Path, Path]) -> None:
    verified = verify(full_build.bundle, [load_pub(signing_keys[1])])
    assert verified.manifest.version == full_build.version == "2026.11.22.1"
    assert set(verified.files) == {"suricata.rules", "classification.config",
                                   "threshold.config"}
    with pytest.raises(BundleError, match="unknown key"):
        verify(full_build.bundle, [generate_key().public_key()])


def test_full_build_manifest_counts_the_rules_in_its_files(
        full_build: BuildResult, signing_keys: tuple[Path, Path]) -> None:
    verified = verify(full_build.bundle, [load_pub(signing_keys[1])])
    for name, data in verified.files.items():
        if name.endswith(".rules"):
            text = data.decode("utf-8")
            enabled = sum(1 for line in _rules_by_sid(text).values() if _enabled(line))
            assert verified.manifest.rule_counts[name] == enabled == count_rules(text)
    assert sum(verified.manifest.rule_counts.values()) == full_build.rules.enabled
    assert full_build.suricata_loaded is not None and full_build.suricata_loaded > 0


def test_full_build_keeps_every_source_rule(
        full_build: BuildResult, signing_keys: tuple[Path, Path], et_open_dir: Path) -> None:
    built = _rules_by_sid(_bundle_rules(full_build, signing_keys[1]))
    source = _rules_by_sid((et_open_dir / "suricata.rules").read_text(encoding="utf-8"))
    local = _rules_by_sid((RULES_DIR / "local" / "yamori.rules").read_text(encoding="utf-8"))
    assert source.keys() <= built.keys()
    assert local and all(_enabled(built[sid]) for sid in local)
    assert full_build.rules.total == len(built)


def test_full_build_applies_the_shipped_vendor_policy(
        full_build: BuildResult, signing_keys: tuple[Path, Path]) -> None:
    built = _rules_by_sid(_bundle_rules(full_build, signing_keys[1]))
    policy = RULES_DIR / "policy"

    def sids(name: str) -> list[int]:
        lines = filter_lines((policy / name).read_text(encoding="utf-8"))
        return [int(line) for _, line in lines if line.isdigit()]

    assert sids("disable.conf") and sids("enable.conf")
    assert not any(_enabled(built[sid]) for sid in sids("disable.conf"))
    assert all(_enabled(built[sid]) for sid in sids("enable.conf"))
    assert "count 10," in built[ENABLE_SID]  # modify.conf's rewrite
    chat = [line for line in built.values() if 'msg:"ET CHAT ' in line]
    assert all(_enabled(line) == ('msg:"ET CHAT IRC' in line) for line in chat)


def test_full_build_report_lists_what_the_builtin_engine_skips(full_build: BuildResult) -> None:
    report = json.loads(full_build.report.read_text(encoding="utf-8"))
    builtin = report["builtin"]
    assert full_build.report.name == full_build.bundle.name + ".report.json"
    assert builtin["skipped"] == len(builtin["skipped_rules"]) > 0
    assert sum(builtin["by_reason"].values()) == builtin["skipped"]
    assert builtin["loaded"] + builtin["skipped"] >= report["rules"]["enabled"]
    assert report["suricata_test"] == {"run": True, "loaded": full_build.suricata_loaded}
    assert report["manifest"]["version"] == full_build.version
    assert report["suricata_update"]["warnings"] == []


# --- policy files ----------------------------------------------------------------


@needs_suricata
def test_policy_files_disable_enable_modify_drop_and_threshold(
        tmp_path: Path, subset_url: str, signing_keys: tuple[Path, Path]) -> None:
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "disable.conf").write_text(f"# off\n{DISABLE_SID}\n")
    (policy / "enable.conf").write_text(f"1:{ENABLE_SID}\n")
    (policy / "modify.conf").write_text(
        f'{MODIFY_SID} "classtype:misc-activity" "classtype:bad-unknown"\n')
    (policy / "drop.conf").write_text(f"{DROP_SID}\n")
    (policy / "threshold.config").write_text(
        "threshold re:evil-c2, type limit, track by_src, count 1, seconds 60\n")
    config = _subset_config(tmp_path, subset_url, signing_keys[0], policy={
        name.split(".")[0]: str(policy / name) for name in
        ("disable.conf", "enable.conf", "modify.conf", "drop.conf", "threshold.config")})

    result = build_ruleset(config, now=NOW)

    verified = verify(result.bundle, [load_pub(signing_keys[1])])
    built = _rules_by_sid(verified.files["suricata.rules"].decode("utf-8"))
    assert built[DISABLE_SID].startswith("# alert")
    assert _enabled(built[ENABLE_SID])
    assert "classtype:bad-unknown" in built[MODIFY_SID]
    assert "classtype:misc-activity" not in built[MODIFY_SID]
    assert built[DROP_SID].startswith("drop ")
    thresholds = verified.files["threshold.config"].decode("utf-8")
    assert "threshold gen_id 1, sig_id 1000003, type limit" in thresholds


@needs_suricata
def test_without_policy_the_source_states_are_kept(
        tmp_path: Path, subset_url: str, signing_keys: tuple[Path, Path]) -> None:
    result = build_ruleset(_subset_config(tmp_path, subset_url, signing_keys[0]), now=NOW)

    built = _rules_by_sid(_bundle_rules(result, signing_keys[1]))
    assert _enabled(built[DISABLE_SID]) and not _enabled(built[ENABLE_SID])
    assert "classtype:misc-activity" in built[MODIFY_SID]
    assert result.manifest.rule_counts["suricata.rules"] == result.rules.enabled


def test_a_policy_line_suricata_update_cannot_parse_is_named(
        tmp_path: Path, subset_url: str, signing_keys: tuple[Path, Path]) -> None:
    bad = tmp_path / "disable.conf"
    bad.write_text("2013504\nre:(unclosed\n")
    config = _subset_config(tmp_path, subset_url, signing_keys[0],
                            policy={"disable": str(bad)})

    with pytest.raises(ConfigError, match=r"disable\.conf:2") as caught:
        build_ruleset(config, now=NOW)
    assert caught.value.key == "policy.disable"
    assert not list((tmp_path / "out").glob("*.tar.gz"))


# --- refusals and reports -----------------------------------------------------------


@needs_suricata
def test_a_rule_suricata_refuses_fails_the_build_naming_it(
        tmp_path: Path, subset_url: str, signing_keys: tuple[Path, Path]) -> None:
    local = tmp_path / "local"
    local.mkdir()
    (local / "yamori.rules").write_bytes((RULES_DIR / "local" / "yamori.rules").read_bytes())
    (local / "broken.rules").write_text(BROKEN_RULE)
    config = _subset_config(tmp_path, subset_url, signing_keys[0],
                            sources={"local": [str(local)]})

    with pytest.raises(RuleBuildError, match="sid:1999999") as caught:
        build_ruleset(config, now=NOW)
    assert [err.sid for err in caught.value.rejected] == [1999999]
    assert "no_such_keyword" in str(caught.value)
    assert list((tmp_path / "out").iterdir()) == []  # no bundle, no report


@needs_suricata
def test_rule_with_an_unknown_variable_ships_disabled_with_the_warning_reported(
        tmp_path: Path, subset_url: str, signing_keys: tuple[Path, Path]) -> None:
    local = tmp_path / "local"
    local.mkdir()
    (local / "vars.rules").write_text(
        'alert tcp $NO_SUCH_NET any -> $HOME_NET 80 (msg:"YAMORI TEST unknown var"; '
        'content:"x"; sid:1999998; rev:1;)\n')
    config = _subset_config(tmp_path, subset_url, signing_keys[0],
                            sources={"local": [str(local)]})

    result = build_ruleset(config, now=NOW)

    assert not _enabled(_rules_by_sid(_bundle_rules(result, signing_keys[1]))[1999998])
    warnings = json.loads(result.report.read_text())["suricata_update"]["warnings"]
    assert any("NO_SUCH_NET" in w for w in warnings)


@needs_suricata
def test_report_lists_exactly_the_rules_the_builtin_engine_skips(
        tmp_path: Path, subset_url: str, signing_keys: tuple[Path, Path]) -> None:
    result = build_ruleset(_subset_config(tmp_path, subset_url, signing_keys[0]), now=NOW)

    rules_file = tmp_path / "suricata.rules"
    rules_file.write_text(_bundle_rules(result, signing_keys[1]), encoding="utf-8")
    settings = EngineSettings(classification_file=RULES_DIR / "classification.config")
    loaded, skipped = load_rules([rules_file], settings)
    report = json.loads(result.report.read_text(encoding="utf-8"))["builtin"]
    assert skipped, "the ET subset should hold rules the builtin engine cannot honour"
    assert [(r["sid"], r["line"]) for r in report["skipped_rules"]] == [
        (e.sid, e.line) for e in skipped]
    assert report["loaded"] == len(loaded)
    assert sum(report["by_reason"].values()) == report["skipped"] == len(skipped)
    for entry in report["skipped_rules"]:
        assert entry["reason"] in report["by_reason"] and entry["detail"]


def test_missing_source_file_and_signing_key_are_named(
        tmp_path: Path, signing_keys: tuple[Path, Path]) -> None:
    missing = (tmp_path / "nope.tar.gz").as_uri()
    with pytest.raises(ConfigError) as caught:
        build_ruleset(_subset_config(tmp_path, missing, signing_keys[0]), now=NOW)
    assert caught.value.key == "sources.urls"
    config = _subset_config(tmp_path, missing, signing_keys[0], signing={"key": ""})
    with pytest.raises(ConfigError) as caught:
        build_ruleset(config, now=NOW)
    assert caught.value.key == "signing.key"


# --- versions ---------------------------------------------------------------------------


def test_versions_increase_across_builds(
        tmp_path: Path, subset_url: str, signing_keys: tuple[Path, Path]) -> None:
    config = _subset_config(tmp_path, subset_url, signing_keys[0], suricata={"test": False})

    first = build_ruleset(config, now=NOW)
    second = build_ruleset(config, now=NOW)
    next_day = build_ruleset(config, now=datetime(2026, 11, 23, 0, 30, tzinfo=UTC))

    assert [first.version, second.version, next_day.version] == [
        "2026.11.22.1", "2026.11.22.2", "2026.11.23.1"]
    assert is_newer(second.version, first.version) and is_newer(next_day.version, second.version)
    assert first.suricata_loaded is None
    with pytest.raises(RuleBuildError, match="not newer"):
        build_ruleset(config, version="2026.11.23.1", now=NOW)
    explicit = build_ruleset(config, version="2027.1.1.1", now=NOW)
    assert explicit.bundle.name == "yamori-rules-2027.1.1.1.tar.gz"


def test_next_version_stays_monotonic_when_the_clock_goes_back(tmp_path: Path) -> None:
    (tmp_path / "yamori-rules-2026.11.23.4.tar.gz").touch()
    (tmp_path / "yamori-rules-2026.11.23.4.tar.gz.report.json").touch()
    (tmp_path / "other-2030.1.1.1.tar.gz").touch()

    assert next_version(tmp_path, "yamori-rules", NOW) == "2026.11.23.5"
    assert next_version(tmp_path / "empty", "yamori-rules", NOW) == "2026.11.22.1"


# --- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize(("toml", "key"), [
    ('[sources]\nurlz = ["file:///x"]\n', "sources.urlz"),
    ('[suricata]\ntest = "maybe"\n', "suricata.test"),
    ('[sources]\nurls = ["ftp://example.org/et.tar.gz"]\n', "sources.urls"),
    ('[output]\nname = "../escape"\n', "output.name"),
    ('[signing_key]\npath = "k"\n', "signing_key"),
])
def test_a_bad_config_key_is_named(tmp_path: Path, toml: str, key: str) -> None:
    path = tmp_path / "build.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_build_config(path, environ={})
    assert caught.value.key == key
    assert key in str(caught.value)


def test_config_paths_are_relative_to_the_file_and_env_sits_below_cli(tmp_path: Path) -> None:
    path = tmp_path / "build.toml"
    path.write_text('[sources]\nurls = ["file:et.tar.gz"]\nlocal = ["mine"]\n'
                    '[signing]\nkey = "keys/k.pem"\n')
    env = {"YAMORI_RULES__SURICATA__TEST": "false",
           "YAMORI_RULES__OUTPUT__NAME": "from-env"}

    config = load_build_config(path, {"output": {"name": "from-cli"}}, environ=env)

    assert config.sources.urls == [(tmp_path / "et.tar.gz").as_uri()]
    assert config.sources.local == [tmp_path / "mine"]
    assert config.signing.key == tmp_path / "keys" / "k.pem"
    assert config.suricata.test is False and config.output.name == "from-cli"


def _keys(model: Any, prefix: str = "") -> list[str]:
    found = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
            found += _keys(annotation, f"{prefix}{name}.")
        else:
            found.append(prefix + name)
    return found


def test_example_config_documents_every_key_and_loads() -> None:
    example = RULES_DIR / "build.example.toml"
    config = load_build_config(example, environ={})
    text = example.read_text(encoding="utf-8")
    for key in _keys(BuildConfig):
        section, name = key.split(".")
        assert re.search(rf"^\[{section}\]$", text, re.M), f"[{section}] not in the example"
        assert re.search(rf"^#?\s*{name} = ", text, re.M), f"{key} not in the example"
    assert config.policy.disable == RULES_DIR / "policy" / "disable.conf"
    assert config.sources.local == [RULES_DIR / "local"]


# --- the command line ----------------------------------------------------------------------


def _yamori(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "yamori.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@needs_suricata
def test_cli_keygen_build_verify_inspect_end_to_end(tmp_path: Path, subset_url: str) -> None:
    config = tmp_path / "build.toml"
    config.write_text('[sources]\nsuricata_rules_dir = ""\n'
                      f'local = ["{RULES_DIR / "local"}"]\n'
                      f'[suricata]\nbinary = "{SURICATA}"\n')

    keygen = _yamori("rules", "keygen", "--out-private", "k.pem", "--out-public", "k.pub",
                     cwd=tmp_path)
    assert keygen.returncode == 0, keygen.stderr
    assert stat.S_IMODE((tmp_path / "k.pem").stat().st_mode) == 0o600
    again = _yamori("rules", "keygen", "--out-private", "k.pem", "--out-public", "k2.pub",
                    cwd=tmp_path)
    assert again.returncode == 1 and "exists" in again.stderr

    build = _yamori("rules", "build", "--config", str(config), "--source", subset_url,
                    "--key", "k.pem", "--out", "out", "--version", "2026.11.22.7", cwd=tmp_path)
    assert build.returncode == 0, build.stderr
    bundle = tmp_path / "out" / "yamori-rules-2026.11.22.7.tar.gz"
    assert str(bundle) in build.stdout and "builtin" in build.stdout

    checked = _yamori("rules", "verify", str(bundle), "--key", "k.pub", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    manifest = json.loads(checked.stdout)
    assert manifest["version"] == "2026.11.22.7"
    assert manifest["rule_counts"]["suricata.rules"] == count_rule_lines(
        verify(bundle, [load_pub(tmp_path / "k.pub")]).files["suricata.rules"].decode()).enabled

    looked = _yamori("rules", "inspect", str(bundle), cwd=tmp_path)
    assert looked.returncode == 0, looked.stderr
    info = json.loads(looked.stdout)
    assert all(f["matches_manifest"] for f in info["files"].values())
    assert info["build_report"]["builtin"]["skipped"] > 0

    wrong = _yamori("rules", "keygen", "--out-private", "o.pem", "--out-public", "o.pub",
                    cwd=tmp_path)
    assert wrong.returncode == 0
    refused = _yamori("rules", "verify", str(bundle), "--key", "o.pub", cwd=tmp_path)
    assert refused.returncode == 1 and "rule bundle refused" in refused.stderr
