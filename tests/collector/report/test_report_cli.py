"""`yamori report --tenant T --month 2026-10` writes report-T-2026-10.html and .pdf."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from collector.report import cli
from collector.report.testing import MONTH, TENANT
from yamori.errors import YamoriError

NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def config_file(report_store: Any, tmp_path: Path) -> Path:
    path = tmp_path / "collector.toml"
    path.write_text(f'database_url = "{report_store.url}"\n', encoding="utf-8")
    return path


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="yamori")
    cli.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(list(argv))


def test_command_writes_html_and_pdf(config_file: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str],
                                     pdf_text: Callable[[bytes], str]) -> None:
    out = tmp_path / "reports"
    args = parse("report", "--tenant", TENANT, "--month", MONTH, "--out", str(out),
                 "--config", str(config_file))
    assert args.func(args) == 0
    html, pdf = out / f"report-{TENANT}-{MONTH}.html", out / f"report-{TENANT}-{MONTH}.pdf"
    assert capsys.readouterr().out.split() == [str(html), str(pdf)]
    assert sorted(p.name for p in out.iterdir()) == [html.name, pdf.name]  # no temporaries
    assert "月次監視報告書" in html.read_text(encoding="utf-8")
    text = pdf_text(pdf.read_bytes())
    assert TENANT in text and "2026年10月" in text


def test_english(config_file: Path, tmp_path: Path) -> None:
    html, _ = cli.write_report(config_file, TENANT, MONTH, "en", tmp_path, now=NOW)
    assert '<html lang="en">' in html.read_text(encoding="utf-8")


def test_unknown_tenant_is_one_clear_error(config_file: Path, tmp_path: Path) -> None:
    with pytest.raises(YamoriError, match="no sensor was ever enrolled"):
        cli.write_report(config_file, "tanaka-kougyou", MONTH, out=tmp_path, now=NOW)
    assert list(tmp_path.glob("report-*")) == []


def test_language_is_checked_by_the_parser() -> None:
    with pytest.raises(SystemExit):
        parse("report", "--tenant", TENANT, "--month", MONTH, "--lang", "fr")


def test_missing_database_is_one_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "collector.toml"
    missing = tmp_path / "nowhere" / "collector.sqlite"
    config.write_text(f'database_url = "sqlite:///{missing}"\n', encoding="utf-8")
    with pytest.raises(YamoriError, match="no collector database at"):
        cli.write_report(config, TENANT, MONTH, out=tmp_path, now=NOW)
    assert not missing.exists()
