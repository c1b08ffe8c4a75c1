"""The report's charts: alerts per day by severity, and coverage per sensor, as SVG data URIs.

Owns: drawing with matplotlib's object API on the Agg backend (no pyplot, no
global figure state: reports may be drawn in server threads) and embedding
the SVG in the page as a data: URI, so the HTML is one self-contained file
and WeasyPrint draws the same picture into the PDF. Glyphs are drawn as
paths (svg.fonttype "path") so a chart looks the same wherever it is opened,
Japanese labels included; they come from fonts-noto-cjk when installed.
Does not own: the words on the charts (the caller passes them) or the figures.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: no display on a collector host

from matplotlib import rc_context  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from collector.report.alerts import DayCounts  # noqa: E402
from collector.report.coverage import SensorCoverage  # noqa: E402

# Noto Sans CJK JP first; matplotlib falls back glyph by glyph along this list.
FONTS = ["Noto Sans CJK JP", "IPAexGothic", "DejaVu Sans"]
# High to info: the colours a traffic light would use, info in grey.
SEVERITY_COLOURS = ("#c62828", "#ef6c00", "#f9a825", "#9e9e9e")
_RC: dict[Any, Any] = {
    "font.family": "sans-serif", "font.sans-serif": FONTS, "svg.fonttype": "path",
    "svg.hashsalt": "yamori-report", "axes.spines.top": False, "axes.spines.right": False}


@dataclass(slots=True, frozen=True)
class ChartWords:
    """The words a chart shows, in the report's language."""

    severity_names: Sequence[str]  # for levels 1..4
    alerts_axis: str
    day_axis: str
    uptime_axis: str


def alerts_per_day_chart(days: Sequence[DayCounts], words: ChartWords) -> str:
    """A stacked bar per day, one colour per severity level; an SVG data URI."""
    with rc_context(_RC):
        figure = Figure(figsize=(7.2, 2.6))
        axes = figure.add_subplot()
        positions = [d.day.day for d in days]
        bottoms = [0] * len(days)
        for level, (name, colour) in enumerate(zip(words.severity_names, SEVERITY_COLOURS,
                                                   strict=False)):
            heights = [d.by_severity[level] for d in days]
            axes.bar(positions, heights, bottom=bottoms, color=colour, label=name, width=0.8)
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        axes.set_xlabel(words.day_axis)
        axes.set_ylabel(words.alerts_axis)
        axes.set_xticks(positions[::2] if len(positions) > 16 else positions)
        axes.set_xlim(0.4, (positions[-1] if positions else 1) + 0.6)
        axes.legend(loc="upper right", fontsize=8, frameon=False, ncols=4)
        axes.margins(y=0.15)
        figure.tight_layout()
        return svg_uri(figure)


def coverage_chart(sensors: Sequence[SensorCoverage], words: ChartWords) -> str:
    """A horizontal bar per sensor: its uptime % over its period; an SVG data URI."""
    with rc_context(_RC):
        figure = Figure(figsize=(7.2, 0.6 + 0.45 * max(len(sensors), 1)))
        axes = figure.add_subplot()
        labels = [s.name or s.sensor_id for s in sensors]
        values = [s.uptime_percent or 0.0 for s in sensors]
        colours = ["#2e7d32" if v >= 99.0 else "#ef6c00" if v >= 90.0 else "#c62828"
                   for v in values]
        axes.barh(labels, values, color=colours, height=0.6)
        for row, value in enumerate(values):
            axes.text(min(value, 100.0) + 0.5, row, f"{value:.2f}%", va="center", fontsize=8)
        axes.set_xlim(0, 112)
        axes.set_xticks([0, 25, 50, 75, 100])
        axes.set_xlabel(words.uptime_axis)
        axes.invert_yaxis()
        figure.tight_layout()
        return svg_uri(figure)


def svg_uri(figure: Figure) -> str:
    """`figure` as an SVG data: URI."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
