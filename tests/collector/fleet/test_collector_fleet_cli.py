"""`yamori collector enroll-token` and `yamori collector revoke`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collector import cli
from collector.db import open_database
from collector.models import EnrollmentToken
from collector.repo.enrollment import redeem
from collector.repo.sensors import sensor_for_token, token_digest
from collector.testing import fresh_database_url
from yamori.cli import main


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "collector.toml"
    url = fresh_database_url(tmp_path, "c.sqlite")
    path.write_text(f'database_url = "{url}"\n', encoding="utf-8")
    return path


def test_enroll_token_prints_a_redeemable_token(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["collector", "enroll-token", "--config", str(config_file(tmp_path)),
                 "--tenant", "tanaka-kogyo", "--ttl", "120"])
    out = capsys.readouterr()
    token = out.out.strip()
    assert code == 0 and "single use" in out.err
    database = open_database(fresh_database_url(tmp_path, "c.sqlite"))
    with database.session() as session:
        row = session.get(EnrollmentToken, token_digest(token))
        assert row is not None
        lifetime = row.expires_at - row.created_at
        assert lifetime == timedelta(seconds=120)
        assert redeem(session, token, "pi-box", None).tenant == "tanaka-kogyo"
    database.dispose()


def test_revoke_refuses_the_sensor_token(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = config_file(tmp_path)
    cli.add_sensor(path, "pi-009", "t")
    sensor_token = capsys.readouterr().out.strip()
    assert main(["collector", "revoke", "--config", str(path), "--sensor-id", "pi-009"]) == 0
    database = open_database(fresh_database_url(tmp_path, "c.sqlite"))
    with database.session() as session:
        assert sensor_for_token(session, sensor_token) is None
    database.dispose()


def test_revoking_an_unknown_sensor_is_one_line_exit_1(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["collector", "revoke", "--config", str(config_file(tmp_path)),
                 "--sensor-id", "nope"])
    assert code == 1 and "no sensor 'nope'" in capsys.readouterr().err


def test_token_created_now_is_not_yet_expired(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    cli.enroll_token(config_file(tmp_path), "t")
    token = capsys.readouterr().out.strip()
    database = open_database(fresh_database_url(tmp_path, "c.sqlite"))
    with database.session() as session:
        row = session.get(EnrollmentToken, token_digest(token))
        assert row is not None
        expires = row.expires_at.replace(tzinfo=UTC)
        assert expires > datetime.now(UTC) + timedelta(hours=23)
    database.dispose()
