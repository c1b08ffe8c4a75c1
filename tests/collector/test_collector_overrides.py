"""Per-tenant overrides: stored, listed per tenant, retired, named by a digest."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from collector.db import open_database
from collector.overrides import (
    active_overrides,
    add_override,
    effective_version,
    overrides_digest,
    retire_override,
)
from collector.testing import fresh_database_url
from uplink.schema import RuleOverride


def test_overrides_are_per_tenant_and_retire(tmp_path: Path) -> None:
    db = open_database(fresh_database_url(tmp_path, "c.sqlite"))
    with db.session() as session:
        a = add_override(session, "acme", RuleOverride(kind="disable", sid=2010935), "alice")
        add_override(session, "other", RuleOverride(kind="suppress", sid=1, track="by_src",
                                                    ip="10.0.0.5"), "bob")
        session.commit()
        assert [o.sid for o in active_overrides(session, "acme")] == [2010935]
        assert not retire_override(session, a.id, tenant="other")  # not that tenant's
        assert retire_override(session, a.id, tenant="acme")
        session.commit()
        assert active_overrides(session, "acme") == []
        assert [o.to_wire().ip for o in active_overrides(session, "other")] == ["10.0.0.5"]


def test_effective_version_names_the_override_set() -> None:
    one = [RuleOverride(kind="disable", sid=5)]
    assert effective_version("2026.11.22.1", []) == "2026.11.22.1"
    assert effective_version("2026.11.22.1", one).startswith("2026.11.22.1+o")
    assert overrides_digest(one) != overrides_digest([RuleOverride(kind="disable", sid=6)])


@pytest.mark.parametrize("bad", [{"kind": "enable", "sid": 1}, {"kind": "disable", "sid": 0},
                                 {"kind": "threshold", "sid": 1, "type": "sometimes"},
                                 {"kind": "disable", "sid": 1, "content": "x"}])
def test_override_shape_is_strict(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RuleOverride.model_validate(bad)
