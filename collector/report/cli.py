"""`yamori report --tenant T --month 2026-10`: write a tenant's monthly report as HTML and PDF.

Owns: the `report` command (`register(subparsers)` mounts it) and its
plain-argument twin `write_report()`, which writes report-<tenant>-<month>.html
and .pdf into the output directory (made if missing; existing files of the
same names are replaced whole, through a temporary file, so a half-written
report is never left behind). The collector config (`--config`, else the
environment and defaults) names the database and the time zone.
Does not own: the figures or their rendering (figures.py, render.py), nor
turning a YamoriError into exit code 1 (yamori/cli.py).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from collector.config import load_config
from collector.db import open_database
from collector.report.figures import LANGUAGES, ReportSettings, monthly_figures
from collector.report.render import render_html, render_pdf
from yamori.errors import YamoriError

_UNSAFE = re.compile(r"[^\w.-]")


def register(subparsers: Any) -> None:
    """Add `report` to a parent parser's subparsers."""
    parser = subparsers.add_parser(
        "report", help="write a tenant's monthly report (HTML and PDF)",
        description="Write report-<tenant>-<month>.html and .pdf for one tenant's calendar "
                    "month (in the collector's notify_timezone, Asia/Tokyo by default).")
    parser.add_argument("--tenant", required=True, help="the customer (tenant) to report on")
    parser.add_argument("--month", required=True, help="the month, YYYY-MM (e.g. 2026-10)")
    parser.add_argument("--lang", choices=LANGUAGES, default="ja",
                        help="report language (default ja)")
    parser.add_argument("--out", type=Path, default=Path("."),
                        help="directory to write into (default: the current one)")
    parser.add_argument("--config", type=Path, help="collector TOML file")
    parser.set_defaults(func=_report_args)


def write_report(config_path: Path | None, tenant: str, month: str, lang: str = "ja",
                 out: Path = Path("."), now: datetime | None = None) -> tuple[Path, Path]:
    """Write the HTML and PDF report of `tenant`'s `month`; returns their paths."""
    config = load_config(config_path, {})
    _check_sqlite_file(config.database_url)
    database = open_database(config.database_url, create=False)
    try:
        with database.session() as session:
            figures = monthly_figures(session, tenant, month, ReportSettings.from_config(config),
                                      now or datetime.now(UTC), lang)
    except SQLAlchemyError as exc:
        raise YamoriError(f"cannot read the collector database: {exc.__class__.__name__}: "
                          f"{str(exc).splitlines()[0]}") from exc
    finally:
        database.dispose()
    html = render_html(figures)
    pdf = render_pdf(figures, html)
    stem = f"report-{_UNSAFE.sub('_', tenant)}-{figures.period.month}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        html_path, pdf_path = out / f"{stem}.html", out / f"{stem}.pdf"
        _replace(html_path, html.encode("utf-8"))
        _replace(pdf_path, pdf)
    except OSError as exc:
        raise YamoriError(f"cannot write the report into {out}: {exc.strerror}") from exc
    return html_path, pdf_path


def _check_sqlite_file(url: str) -> None:
    # Connecting would create an empty SQLite file: a mistyped path must say so instead.
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).is_file():
            raise YamoriError(f"no collector database at {parsed.database} "
                              f"(database_url in the collector config)")


def _replace(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _report_args(args: argparse.Namespace) -> int:
    html, pdf = write_report(args.config, args.tenant, args.month, args.lang, args.out)
    sys.stdout.write(f"{html}\n{pdf}\n")
    return 0
