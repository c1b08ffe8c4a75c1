"""BundleFetcher against the loopback server: token scope, URL resolution, 304, caps."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from agent.rulesync.fetch import BundleFetcher
from agent.rulesync.layout import RulesLayout
from yamori.errors import UplinkUnavailable

ALPHA = 'alert udp any any -> any 9999 (msg:"alpha"; content:"ALPHA"; sid:3000001; rev:1;)'


def fetcher(kit: Any, tmp_path: Path) -> BundleFetcher:
    return BundleFetcher(kit.server.url, "sensor-token", RulesLayout(tmp_path / "data"))


def test_collector_urls_are_reached_through_the_uplink_with_the_token(kit: Any,
                                                                      tmp_path: Path) -> None:
    offer = kit.offer(kit.bundle("2026.11.22.1", [ALPHA]), "2026.11.22.1")
    # The collector named itself as it saw the request (e.g. behind a TLS proxy).
    named = offer.model_copy(update={"url": f"https://127.0.0.1:1{offer.url}"})
    got = fetcher(kit, tmp_path).fetch(named, 1 << 20)
    assert got.downloaded and got.path.name == f"{offer.sha256}.tar.gz"
    assert kit.server.requests[-1]["Authorization"] == "Bearer sensor-token"


def test_other_hosts_never_see_the_token(kit: Any, tmp_path: Path) -> None:
    offer = kit.offer(kit.bundle("2026.11.22.1", [ALPHA]), "2026.11.22.1")
    port = urlsplit(kit.server.url).port
    elsewhere = offer.model_copy(update={"url": f"http://localhost:{port}{offer.url}"})
    fetcher(kit, tmp_path).fetch(elsewhere, 1 << 20)
    assert "Authorization" not in kit.server.requests[-1]


def test_second_fetch_is_a_304_and_uses_the_copy_on_disk(kit: Any, tmp_path: Path) -> None:
    offer = kit.offer(kit.bundle("2026.11.22.1", [ALPHA]), "2026.11.22.1")
    fetch = fetcher(kit, tmp_path)
    first = fetch.fetch(offer, 1 << 20)
    second = fetch.fetch(offer, 1 << 20)
    assert (first.downloaded, second.downloaded) == (True, False)
    assert second.path == first.path and kit.server.downloads(offer.url) == 1
    assert kit.server.requests[-1]["If-None-Match"] == f'"{offer.sha256}"'


def test_a_304_without_a_local_copy_is_an_error(kit: Any, tmp_path: Path) -> None:
    offer = kit.offer(kit.bundle("2026.11.22.1", [ALPHA]), "2026.11.22.1")
    kit.server.force_status = 304
    with pytest.raises(UplinkUnavailable, match="304 Not Modified but no local copy"):
        fetcher(kit, tmp_path).fetch(offer, 1 << 20)


def test_server_errors_are_uplink_errors(kit: Any, tmp_path: Path) -> None:
    offer = kit.offer(kit.bundle("2026.11.22.1", [ALPHA]), "2026.11.22.1")
    kit.server.force_status = 503
    with pytest.raises(UplinkUnavailable, match="503"):
        fetcher(kit, tmp_path).fetch(offer, 1 << 20)
    assert list((tmp_path / "data" / "rules" / "download").iterdir()) == []
