"""The report as HTML (Jinja2), PDF (WeasyPrint) and JSON, in Japanese or English.

Owns: the template's context (the figures, the words of messages/<lang>.json,
number, time and severity formatting, the charts as data URIs), the HTML
page, the PDF made from that same page, and the JSON twin (every figure,
derived ones included, times in UTC ISO 8601).

The PDF is WeasyPrint's: it lays out the very HTML the browser shows (one
template, so the two cannot drift), through Debian's pango with Noto Sans
CJK from fonts-noto-cjk, and writes real text — pdftotext reads the Japanese
back — with the charts as vector graphics. fpdf2 or reportlab would have
meant a second layout of every table by hand.
Does not own: the figures (figures.py) or writing files (cli.py).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from collector.notify.render import severity_words
from collector.report.figures import MonthlyFigures

HERE = Path(__file__).parent
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")


@cache
def messages(lang: str) -> Mapping[str, str]:
    """The report's words in `lang` (messages/<lang>.json), read once."""
    with (HERE / "messages" / f"{lang}.json").open(encoding="utf-8") as handle:
        words: dict[str, str] = json.load(handle)
    return words


def translator(lang: str) -> Callable[..., str]:
    """`t(key, **params)`: the text of `key` in `lang` with `{name}`s filled in."""
    words = messages(lang)

    def t(key: str, **params: Any) -> str:
        text = words[key]  # a missing key is a bug: a test keeps the catalogs equal
        return text.format(**params) if params else text

    return t


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"),
                       autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def render_html(figures: MonthlyFigures) -> str:
    """The report page: self-contained (styles and charts inline)."""
    template = _environment().get_template("monthly.html")
    return template.render(**_context(figures))


def render_pdf(figures: MonthlyFigures, html: str | None = None) -> bytes:
    """The report as PDF, laid out from `html` (rendered from `figures` if not given)."""
    # Imported here: WeasyPrint takes a while to load, and the collector serves
    # everything else without it.
    from weasyprint import HTML

    pdf: bytes = HTML(string=html or render_html(figures), base_url=str(HERE)).write_pdf()
    return pdf


def figures_json(figures: MonthlyFigures) -> dict[str, Any]:
    """Every figure as JSON data, derived ones (uptime %, totals…) included."""
    data: dict[str, Any] = _jsonable(figures)
    return data


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name, member in vars(type(value)).items():
            if isinstance(member, property):
                out[name] = _jsonable(getattr(value, name))
        return out
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, ZoneInfo):
        return str(value)
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _context(figures: MonthlyFigures) -> dict[str, Any]:
    # matplotlib takes a second to load: only a report needs it.
    from collector.report.charts import ChartWords, alerts_per_day_chart, coverage_chart

    lang, period = figures.lang, figures.period
    t = translator(lang)
    words = ChartWords(severity_names=[severity_words(s, lang) for s in (1, 2, 3, 4)],
                       alerts_axis=t("chart.alerts"), day_axis=t("chart.day"),
                       uptime_axis=t("chart.uptime"))
    sensors = figures.coverage.sensors
    return {
        "f": figures, "lang": lang, "t": t, "month_title": month_title(period.month, lang),
        "first_day": period.days[0].isoformat(),
        "last_day": (period.days[-1].isoformat() if period.complete
                     else period.local(period.until).strftime("%Y-%m-%d %H:%M")),
        "num": lambda n: f"{int(n):,}", "pct": percent, "hours": lambda h: f"{h:.1f}",
        "when": lambda at: period.local(at).strftime("%Y-%m-%d %H:%M"),
        "severity": lambda s: severity_words(int(s), lang),
        "state": lambda s: t(f"state.{s}") if f"state.{s}" in messages(lang) else s,
        "day_chart": alerts_per_day_chart(figures.alerts.per_day, words),
        "coverage_chart": coverage_chart(sensors, words) if sensors else None,
    }


def month_title(month: str, lang: str) -> str:
    """"2026-10" as 「2026年10月」 or "October 2026"."""
    year, number = (int(part) for part in month.split("-"))
    return translator(lang)("month", year=year, month=number,
                            month_name=MONTH_NAMES[number - 1])


def percent(value: float | None) -> str:
    """A share as "99.52%" (two decimals, so a few minutes offline still show); "-" if None."""
    return "-" if value is None else f"{value:.2f}%"
