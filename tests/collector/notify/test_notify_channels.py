"""Contact URLs through apprise: kinds, masking (secrets never shown in full), refusals."""

from __future__ import annotations

import pytest

from collector.notify.channels import describe
from yamori.errors import IngestError

SECRET = "s3cr3tPassw0rd"
TOKEN = "JHMHI8qBe7bk2ZwO5U711o3dV_js"


@pytest.mark.parametrize(("url", "kind"), [
    ("mailto://user:pw@smtp.example.jp?to=it@office.example", "email"),
    ("json://hooks.example.jp/yamori", "webhook"),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "slack"),
    ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "discord"),
    ("workflows://prod-00.example.logic.azure.com:443/wid/sigsig", "teams"),
])
def test_kind_is_derived_from_the_url(url: str, kind: str) -> None:
    assert describe(url).kind == kind


@pytest.mark.parametrize("url", [
    f"mailto://user:{SECRET}@smtp.example.jp?to=it@office.example",
    f"jsons://bob:{SECRET}@hooks.example.jp/x",
    f"json://hooks.example.jp/api/{TOKEN}",
    f"json://hooks.example.jp/api?token={SECRET}",
    f"discord://4174216298/{TOKEN}",
])
def test_secrets_are_never_shown_in_full(url: str) -> None:
    masked = describe(url).masked
    assert SECRET not in masked and TOKEN not in masked, masked


def test_addresses_stay_readable() -> None:
    masked = describe(f"mailto://user:{SECRET}@smtp.example.jp?to=it@office.example").masked
    assert "to=it@office.example" in masked and "smtp.example.jp" in masked


@pytest.mark.parametrize("url", ["bogus://x", "not a url", "http//missing-colon", ""])
def test_unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(IngestError, match="apprise URL") as info:
        describe(url)
    assert info.value.status == 422
