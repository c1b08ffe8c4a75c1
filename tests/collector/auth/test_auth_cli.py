"""`yamori collector add-user` and `yamori collector set-password`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from collector import cli
from collector.audit import AuditEntry
from collector.auth.models import ConsoleSession, User
from collector.auth.passwords import verify_password
from collector.auth.sessions import open_session
from collector.db import Database, open_database
from collector.testing import fresh_database_url
from yamori.cli import main as yamori_main

PASSWORD = "plain words are long enough"


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "collector.toml"
    url = fresh_database_url(tmp_path, "c.sqlite")
    path.write_text(f'database_url = "{url}"\n', encoding="utf-8")
    return path


@pytest.fixture
def database(tmp_path: Path, config_path: Path) -> Iterator[Database]:
    db = open_database(fresh_database_url(tmp_path, "c.sqlite"))
    yield db
    db.dispose()


def password_file(tmp_path: Path, text: str = PASSWORD + "\n") -> Path:
    path = tmp_path / "pw"
    path.write_text(text, encoding="utf-8")
    return path


def test_add_user_from_a_password_file(tmp_path: Path, config_path: Path,
                                       database: Database) -> None:
    code = yamori_main(["collector", "add-user", "Tanaka.Viewer", "--config", str(config_path),
                        "--role", "customer", "--tenant", "tanaka-kogyo", "--lang", "en",
                        "--password-file", str(password_file(tmp_path))])
    assert code == 0
    with database.session() as db:
        user = db.get(User, "tanaka.viewer")
        assert user is not None
        assert (user.role, user.tenant, user.language) == ("customer", "tanaka-kogyo", "en")
        assert verify_password(user.password_hash, PASSWORD)  # the newline is not part of it
        [entry] = db.scalars(select(AuditEntry)).all()
    assert (entry.actor, entry.action, entry.target) == ("cli", "user.create",
                                                         "user:tanaka.viewer")
    assert json.loads(entry.detail)["role"] == "customer"


def test_add_user_asks_twice_on_a_terminal(config_path: Path, database: Database,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    assert cli.add_user(config_path, "aiko", "analyst") == 0
    with database.session() as db:
        user = db.get(User, "aiko")
        assert user is not None and verify_password(user.password_hash, PASSWORD)


def test_differing_passwords_create_nothing(config_path: Path, database: Database,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    assert yamori_main(["collector", "add-user", "aiko", "--config", str(config_path),
                        "--role", "analyst"]) == 1
    assert "differ" in capsys.readouterr().err
    with database.session() as db:
        assert db.get(User, "aiko") is None


def test_no_terminal_and_no_file_is_an_error(config_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert yamori_main(["collector", "add-user", "aiko", "--config", str(config_path),
                        "--role", "analyst"]) == 1
    assert "--password-file" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    (["--role", "customer"], "needs a tenant"),
    (["--role", "analyst", "--tenant", "t"], "only customer viewers"),
])
def test_bad_role_and_tenant_combinations_fail_with_one_line(
        tmp_path: Path, config_path: Path, extra: list[str], message: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    code = yamori_main(["collector", "add-user", "x", "--config", str(config_path),
                        "--password-file", str(password_file(tmp_path)), *extra])
    assert code == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_weak_password_is_refused(tmp_path: Path, config_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = yamori_main(["collector", "add-user", "aiko", "--config", str(config_path),
                        "--role", "analyst", "--password-file",
                        str(password_file(tmp_path, "short\n"))])
    assert code == 1 and "at least 12" in capsys.readouterr().err


def test_set_password_replaces_it_and_ends_sessions(tmp_path: Path, config_path: Path,
                                                    database: Database) -> None:
    cli.add_user(config_path, "aiko", "analyst", password_file=password_file(tmp_path))
    with database.session() as db:
        user = db.get(User, "aiko")
        assert user is not None
        open_session(db, user, 3600)
        db.commit()
    new = tmp_path / "new"
    new.write_text("another long passphrase\n", encoding="utf-8")
    assert yamori_main(["collector", "set-password", "aiko", "--config", str(config_path),
                        "--password-file", str(new)]) == 0
    with database.session() as db:
        user = db.get(User, "aiko")
        assert user is not None
        assert verify_password(user.password_hash, "another long passphrase")
        assert not verify_password(user.password_hash, PASSWORD)
        assert db.scalars(select(ConsoleSession)).all() == []
        actions = [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["user.create", "user.update"]


def test_set_password_of_an_unknown_user_fails(tmp_path: Path, config_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert yamori_main(["collector", "set-password", "ghost", "--config", str(config_path),
                        "--password-file", str(password_file(tmp_path))]) == 1
    assert "no user 'ghost'" in capsys.readouterr().err


def test_add_user_as_a_real_process(tmp_path: Path, config_path: Path,
                                    database: Database) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "yamori.cli", "collector", "add-user", "root", "--config",
         str(config_path), "--role", "admin", "--password-file", str(password_file(tmp_path))],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "user 'root' (admin) created" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    with database.session() as db:
        assert db.get(User, "root") is not None
