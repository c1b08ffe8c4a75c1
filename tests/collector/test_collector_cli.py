"""`yamori collector …` subcommands: parser wiring and add-sensor."""

from __future__ import annotations

import argparse
import stat
from pathlib import Path

import pytest

from collector import cli
from collector.db import open_database
from collector.models import Sensor
from collector.repo.sensors import sensor_for_token, token_digest
from collector.testing import fresh_database_url


def config_file(tmp_path: Path, url: str | None = None) -> Path:
    path = tmp_path / "collector.toml"
    url = url or fresh_database_url(tmp_path, "c.sqlite")
    path.write_text(f'database_url = "{url}"\n', encoding="utf-8")
    return path


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="yamori")
    cli.register(top.add_subparsers(dest="command", required=True))
    return top


def test_serve_arguments_parse() -> None:
    args = parser().parse_args(["collector", "serve", "--config", "c.toml", "--port", "9000"])
    assert (args.config, args.port, args.listen) == (Path("c.toml"), 9000, None)
    assert args.func is cli._serve_args


def test_add_sensor_prints_a_token_that_authenticates(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = config_file(tmp_path)
    args = parser().parse_args(["collector", "add-sensor", "--config", str(path),
                                "--sensor-id", "pi-009", "--tenant", "tanaka-kogyo"])
    assert args.func(args) == 0
    token = capsys.readouterr().out.strip()
    database = open_database(fresh_database_url(tmp_path, "c.sqlite"))
    with database.session() as session:
        sensor = sensor_for_token(session, token)
        assert sensor is not None and sensor.tenant == "tanaka-kogyo"
    database.dispose()


def test_only_the_token_digest_is_stored(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    # Reads the SQLite file's bytes below, so this one stays on SQLite.
    cli.add_sensor(config_file(tmp_path, f"sqlite:///{tmp_path / 'c.sqlite'}"), "pi-009", "t")
    token = capsys.readouterr().out.strip()
    database = open_database(f"sqlite:///{tmp_path / 'c.sqlite'}")
    with database.session() as session:
        assert session.get(Sensor, "pi-009").token_sha256 == token_digest(token)  # type: ignore[union-attr]
    database.dispose()
    assert token.encode() not in (tmp_path / "c.sqlite").read_bytes()


def test_token_file_is_owner_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token_file = tmp_path / "pi.token"
    assert cli.add_sensor(config_file(tmp_path), "pi-009", "t", token_file=token_file) == 0
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert len(token_file.read_text().strip()) >= 43
    assert capsys.readouterr().out == ""


def test_duplicate_sensor_id_is_an_error(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    cli.add_sensor(path, "pi-009", "t", token_file=tmp_path / "a")
    with pytest.raises(Exception, match="already exists"):
        cli.add_sensor(path, "pi-009", "t", token_file=tmp_path / "b")
