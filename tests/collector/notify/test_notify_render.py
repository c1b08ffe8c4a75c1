"""Notice texts: Japanese first, the guidance, the office's own host, JST, the link."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from collector.notify.models import NOTICE_KINDS
from collector.notify.render import internal_host, render
from collector.notify.testing import incident

BASE = "https://soc.example.jp"


def escalated(lang: str = "ja", **fields: Any) -> tuple[str, str]:
    message = render("escalated", lang, incident(**fields).payload(), notice_id=7,
                     base_url=BASE)
    return message.title, message.body


def test_japanese_notice_says_what_happened_and_what_to_do() -> None:
    title, body = escalated()
    assert title.startswith("[yamori #42] ")
    assert "ウイルスの指令サーバー" in body  # guidance for 1:1000003 (what)
    assert "このパソコンをネットワークから外してください" in body  # (action)
    assert "対象の機器（社内）: 192.168.1.23" in body
    assert "重要度: 高" in body and "検知回数: 3 回" in body


def test_times_are_in_jst() -> None:
    _, body = escalated()
    assert "最初の検知: 2024-05-01 02:13:00 JST" in body
    assert "最後の検知: 2024-05-01 02:18:00 JST" in body


def test_link_to_the_customers_view_is_made_absolute() -> None:
    _, body = escalated()
    assert f"{BASE}/customer/incidents/42" in body


def test_no_link_without_a_url() -> None:
    _, body = escalated(url=None)
    assert "http" not in body


def test_english_on_request() -> None:
    title, body = escalated("en")
    assert title.startswith("[yamori #42] High severity")
    assert "Disconnect this PC from the network" in body
    assert "First seen: 2024-05-01 02:13:00 JST" in body


def test_unknown_language_falls_back_to_japanese() -> None:
    _, body = escalated("fr")
    assert "いますぐ行っていただきたいこと" in body


def test_inbound_attack_names_the_destination_as_the_office_host() -> None:
    _, body = escalated(src_ip="198.51.100.7", dest_ip="10.0.0.5")
    assert "対象の機器（社内）: 10.0.0.5" in body and "通信相手: 198.51.100.7" in body


def test_given_internal_host_wins() -> None:
    _, body = escalated(internal_host="192.168.1.99")
    assert "対象の機器（社内）: 192.168.1.99" in body


def test_internal_host_when_neither_is_private_is_the_source() -> None:
    assert internal_host("198.51.100.7", "203.0.113.9") == "198.51.100.7"


def test_offline_notice_asks_to_check_power_and_cables() -> None:
    payload = {"sensor_id": "pi-001", "tenant": "tanaka-kogyo",
               "since": datetime(2024, 4, 30, 18, 0, tzinfo=UTC).isoformat(), "url": None}
    message = render("offline", "ja", payload, notice_id=1)
    assert "監視装置の電源・ケーブルをご確認ください" in message.body
    assert "2024-05-01 03:00:00 JST" in message.body


def test_operators_are_greeted_as_operators() -> None:
    message = render("escalated", "ja", incident().payload(), notice_id=1, operator=True)
    assert message.body.startswith("運用担当者各位（お客様: tanaka-kogyo）")


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_every_kind_renders_in_both_languages(kind: str, lang: str) -> None:
    payload = {**incident().payload(), "sensor_id": "pi-001",
               "since": datetime(2024, 5, 1, tzinfo=UTC).isoformat(), "contact_name": "総務"}
    message = render(kind, lang, payload, notice_id=9)
    assert message.title and "\n" not in message.title and message.body.strip()
