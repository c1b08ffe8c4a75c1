"""The customer guidance catalog: complete for ET Open's classtypes and yamori's own rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from collector.fleet import events
from collector.guidance import (
    LANGUAGES,
    guidance_for,
    load_catalog,
    read_descriptions,
)
from yamori.errors import ConfigError

ROOT = Path(__file__).parents[3]
ET_OPEN = ROOT / ".." / "shared" / "data" / "et-open"


def _classtypes(path: Path) -> set[str]:
    return set(read_descriptions(path).values())


def test_every_classtype_of_our_classification_config_has_guidance() -> None:
    catalog = load_catalog()
    missing = _classtypes(ROOT / "rules" / "classification.config") - set(catalog.classtypes)
    assert not missing


def test_every_classtype_of_et_open_has_guidance() -> None:
    configs = sorted(ET_OPEN.glob("*/classification.config"))
    if not configs:
        pytest.skip(f"ET Open ruleset not found under {ET_OPEN} (../shared absent)")
    catalog = load_catalog()
    for config in configs:
        names = _classtypes(config)
        assert len(names) > 30
        assert not names - set(catalog.classtypes), config


def test_every_own_rule_and_fleet_event_has_signature_guidance() -> None:
    catalog = load_catalog()
    text = (ROOT / "rules" / "local" / "yamori.rules").read_text(encoding="utf-8")
    sids = {int(s) for s in re.findall(r"\bsid:\s*(\d+)", text)}
    assert sids
    for sid in sids:
        assert (1, sid) in catalog.signatures, sid
    for kind in (events.SENSOR_OFFLINE, events.SENSOR_RECOVERED, events.CLOCK_SKEW,
                 events.RULESET_HELD):
        assert (events.FLEET_GID, kind.sid) in catalog.signatures, kind


@pytest.mark.parametrize("lang", LANGUAGES)
def test_lookup_prefers_signature_then_category_description(lang: str) -> None:
    own = guidance_for("Web Application Attack", 1, 1000005, lang)
    assert own.source == "signature"
    by_description = guidance_for("A Network Trojan was detected", 1, 2999999, lang)
    assert by_description.source == "classtype" and by_description.level == "high"
    by_name = guidance_for("trojan-activity", 1, 2999999, lang)
    assert by_name.what == by_description.what
    fallback = guidance_for("Something new", 1, 2999999, lang)
    assert fallback.source == "fallback"


def test_japanese_text_is_japanese() -> None:
    g = guidance_for("trojan-activity", 1, 0, "ja")
    assert "ネットワークから外して" in g.action
    assert guidance_for("trojan-activity", 1, 0, "fr").lang == "ja"  # unknown language -> ja


def test_a_broken_entry_is_named(tmp_path: Path) -> None:
    (tmp_path / "classtypes.toml").write_text(
        '[unknown]\nlevel = "low"\nja.what = "x"\nja.action = "y"\nen.what = "x"\n',
        encoding="utf-8")
    (tmp_path / "signatures.toml").write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"classtypes.toml \[unknown\] en.action"):
        load_catalog(tmp_path)
