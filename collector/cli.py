"""`yamori collector …`: run the collector, enroll and revoke sensors, manage console users.

Owns: the `collector serve` (one process, or `--workers N` uvicorn worker
processes on one port; several hosts or processes behind a load balancer
each run a plain `serve` on the same database — nothing a request needs
lives in one process), `collector add-sensor`, `collector enroll-token`,
`collector revoke`, `collector add-user` and `collector set-password`
subcommands (`register(subparsers)` mounts them) and their plain-argument
twins `serve()`, `add_sensor()`, `enroll_token()`, `revoke()`, `add_user()`
and `set_password()`. Passwords come from a file (`--password-file`, first
line) or are asked twice on a terminal, never from the command line (it is
visible to every local user). Does not own: logging setup or turning a
YamoriError into exit code 1 (yamori/cli.py does both).
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from collector.audit import record_audit
from collector.auth import users
from collector.auth.principal import ROLES
from collector.config import CollectorConfig, load_config, log_level_number
from collector.db import open_database
from collector.i18n import LANGUAGES
from collector.repo.enrollment import issue_token
from collector.repo.sensors import create_sensor, revoke_sensor
from yamori.errors import YamoriError

log = logging.getLogger(__name__)


def _store_command(name: str, config_path: Path | None) -> int:
    # Imported here: Alembic is only needed by these two commands.
    if name == "migrate":
        from collector.migrate import migrate_command
        return migrate_command(config_path)
    from collector.retention import retention_command
    return retention_command(config_path)


def register(subparsers: Any) -> None:
    """Add `collector serve` and `collector add-sensor` to a parent parser's subparsers."""
    parser = subparsers.add_parser("collector", help="the SOC collector")
    sub = parser.add_subparsers(dest="collector_command", required=True)

    serve_p = sub.add_parser("serve", help="run the collector's HTTP server")
    serve_p.add_argument("--config", type=Path, help="collector TOML file")
    serve_p.add_argument("--listen", help="address to bind (default 127.0.0.1)")
    serve_p.add_argument("--port", type=int, help="port to bind (default 8080)")
    serve_p.add_argument("--workers", type=int, default=1,
                         help="worker processes sharing the port (default 1: serve in-process)")
    serve_p.set_defaults(func=_serve_args)

    mig_p = sub.add_parser("migrate", help="bring the database schema to the newest revision")
    mig_p.add_argument("--config", type=Path, help="collector TOML file")
    mig_p.set_defaults(func=lambda args: _store_command("migrate", args.config))
    ret_p = sub.add_parser("retention",
                           help="drop or delete alerts past the configured retention")
    ret_p.add_argument("--config", type=Path, help="collector TOML file")
    ret_p.set_defaults(func=lambda args: _store_command("retention", args.config))

    add_p = sub.add_parser("add-sensor", help="enroll a sensor and issue its token")
    add_p.add_argument("--config", type=Path, help="collector TOML file")
    add_p.add_argument("--sensor-id", required=True)
    add_p.add_argument("--tenant", required=True)
    add_p.add_argument("--name", default="", help="display name (default: the sensor id)")
    add_p.add_argument("--token-file", type=Path,
                       help="write the token to this file (mode 0600) instead of printing it")
    add_p.set_defaults(func=_add_sensor_args)

    tok_p = sub.add_parser("enroll-token",
                           help="issue a single-use enrollment token for a tenant")
    tok_p.add_argument("--config", type=Path, help="collector TOML file")
    tok_p.add_argument("--tenant", required=True)
    tok_p.add_argument("--ttl", type=float,
                       help="seconds the token stays valid (default: enroll_token_ttl_seconds)")
    tok_p.set_defaults(func=_enroll_token_args)

    rev_p = sub.add_parser("revoke", help="revoke a sensor: its requests are refused at once")
    rev_p.add_argument("--config", type=Path, help="collector TOML file")
    rev_p.add_argument("--sensor-id", required=True)
    rev_p.set_defaults(func=_revoke_args)
    _register_users(sub)


def _register_users(sub: Any) -> None:
    user_p = sub.add_parser("add-user", help="create a console user (admin, analyst, customer)")
    user_p.add_argument("username")
    user_p.add_argument("--config", type=Path, help="collector TOML file")
    user_p.add_argument("--role", required=True, choices=ROLES)
    user_p.add_argument("--tenant", help="the one tenant a customer viewer sees")
    user_p.add_argument("--lang", choices=LANGUAGES, default="ja", help="console language")
    user_p.add_argument("--password-file", type=Path,
                        help="read the password from this file's first line "
                             "(default: ask twice on the terminal)")
    user_p.set_defaults(func=_add_user_args)

    pw_p = sub.add_parser("set-password",
                          help="set a console user's password (signs them out everywhere)")
    pw_p.add_argument("username")
    pw_p.add_argument("--config", type=Path, help="collector TOML file")
    pw_p.add_argument("--password-file", type=Path,
                      help="read the password from this file's first line "
                           "(default: ask twice on the terminal)")
    pw_p.set_defaults(func=_set_password_args)


def serve(config_path: Path | None, overrides: dict[str, Any] | None = None,
          workers: int = 1) -> int:
    """Run the collector until interrupted; returns the exit code.

    With `workers` > 1, uvicorn supervises that many processes on one socket,
    each building its app from the environment (collector.main.app_from_env).
    """
    import uvicorn

    from collector.main import create_app

    if workers < 1:
        raise YamoriError(f"--workers must be at least 1, got {workers}")
    config = load_config(config_path, overrides or {})
    logging.getLogger("collector").setLevel(log_level_number(config))
    from yamori.runtime import tune_gc

    tune_gc()
    log.info("collector listening on %s:%d (%d process%s)", config.listen, config.port,
             workers, "" if workers == 1 else "es")
    # log_config=None keeps the process's logging setup (yamori/logs.py).
    options: dict[str, Any] = {"host": config.listen, "port": config.port,
                               "log_level": config.log_level.lower(), "log_config": None}
    if workers == 1:
        uvicorn.run(create_app(config), **options)
    else:
        _export_for_workers(config_path, overrides or {})
        uvicorn.run("collector.main:app_from_env", factory=True, workers=workers, **options)
    return 0


def _export_for_workers(config_path: Path | None, overrides: dict[str, Any]) -> None:
    # Worker processes are spawned fresh: they learn the config from the environment.
    from collector.main import CONFIG_ENV, OVERRIDES_ENV

    if config_path is not None:
        os.environ[CONFIG_ENV] = str(config_path.resolve())
    os.environ[OVERRIDES_ENV] = json.dumps({k: v for k, v in overrides.items() if v is not None})


def add_sensor(config_path: Path | None, sensor_id: str, tenant: str, name: str = "",
               token_file: Path | None = None) -> int:
    """Enroll a sensor; its token is shown once (or written to `token_file`)."""
    config = load_config(config_path, {})
    token = enroll(config, sensor_id, tenant, name)
    if token_file is None:
        sys.stdout.write(f"{token}\n")
    else:
        write_secret(token_file, token)
        sys.stderr.write(f"token for sensor '{sensor_id}' written to {token_file}\n")
    return 0


def enroll(config: CollectorConfig, sensor_id: str, tenant: str, name: str = "") -> str:
    """Create the sensor in `config`'s database; returns its token."""
    database = open_database(config.database_url)
    try:
        with database.session() as session:
            return create_sensor(session, sensor_id, tenant, name)
    finally:
        database.dispose()


def enroll_token(config_path: Path | None, tenant: str, ttl: float | None = None) -> int:
    """Print a new enrollment token for `tenant` (stdout) and its expiry (stderr)."""
    config = load_config(config_path, {})
    database = open_database(config.database_url)
    try:
        with database.session() as session:
            issued = issue_token(session, tenant, ttl or config.enroll_token_ttl_seconds)
    finally:
        database.dispose()
    sys.stdout.write(f"{issued.token}\n")
    sys.stderr.write(f"enrollment token for tenant '{tenant}', single use, "
                     f"expires {issued.expires_at.isoformat()}\n")
    return 0


def revoke(config_path: Path | None, sensor_id: str) -> int:
    """Revoke a sensor in `config_path`'s database."""
    config = load_config(config_path, {})
    database = open_database(config.database_url)
    try:
        with database.session() as session:
            revoke_sensor(session, sensor_id)
    finally:
        database.dispose()
    sys.stderr.write(f"sensor '{sensor_id}' revoked\n")
    return 0


def add_user(config_path: Path | None, username: str, role: str, tenant: str | None = None,
             lang: str = "ja", password_file: Path | None = None) -> int:
    """Create a console user in `config_path`'s database (audited, actor "cli")."""
    config = load_config(config_path, {})
    password = read_new_password(password_file)
    database = open_database(config.database_url)
    try:
        with database.session() as session:
            user = users.create_user(session, username, password, role, tenant, lang)
            record_audit(session, "cli", "user.create", f"user:{user.username}",
                         {"role": role, "tenant": tenant, "language": lang}, tenant=tenant)
            session.commit()
    finally:
        database.dispose()
    sys.stderr.write(f"user '{user.username}' ({role}) created\n")
    return 0


def set_password(config_path: Path | None, username: str,
                 password_file: Path | None = None) -> int:
    """Replace a console user's password; their sessions end (audited, actor "cli")."""
    config = load_config(config_path, {})
    password = read_new_password(password_file)
    database = open_database(config.database_url)
    try:
        with database.session() as session:
            user = users.get_user(session, username)
            if user is None:
                raise YamoriError(f"no user '{username}'")
            users.set_password(session, user, password)
            record_audit(session, "cli", "user.update", f"user:{user.username}",
                         {"password": "reset"}, tenant=user.tenant)
            session.commit()
    finally:
        database.dispose()
    sys.stderr.write(f"password of '{user.username}' changed; their sessions are ended\n")
    return 0


def read_new_password(password_file: Path | None) -> str:
    """The first line of `password_file`, else asked twice on the terminal."""
    if password_file is not None:
        try:
            text = password_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise YamoriError(f"cannot read {password_file}: {exc.strerror}") from exc
        return text.splitlines()[0] if text else ""
    if not sys.stdin.isatty():
        raise YamoriError("no password: give --password-file, or run on a terminal to be asked")
    first = getpass.getpass("new password: ")
    if getpass.getpass("again: ") != first:
        raise YamoriError("the two passwords differ")
    return first


def write_secret(path: Path, secret: str) -> None:
    """Write `secret` to `path`, readable by its owner only (also if it existed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, f"{secret}\n".encode())
    finally:
        os.close(fd)


def _serve_args(args: argparse.Namespace) -> int:
    return serve(args.config, {"listen": args.listen, "port": args.port}, args.workers)


def _add_sensor_args(args: argparse.Namespace) -> int:
    return add_sensor(args.config, args.sensor_id, args.tenant, args.name, args.token_file)


def _enroll_token_args(args: argparse.Namespace) -> int:
    return enroll_token(args.config, args.tenant, args.ttl)


def _revoke_args(args: argparse.Namespace) -> int:
    return revoke(args.config, args.sensor_id)


def _add_user_args(args: argparse.Namespace) -> int:
    return add_user(args.config, args.username, args.role, args.tenant, args.lang,
                    args.password_file)


def _set_password_args(args: argparse.Namespace) -> int:
    return set_password(args.config, args.username, args.password_file)
