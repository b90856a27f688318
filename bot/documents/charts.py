"""Every chart the bot draws, as PNG: the burn-up chart of progress and an evidence pack's topic charts.

Each chart is a Figure of its own, not pyplot: no global state shared between jobs, and no display.
"""
import base64
import io
from datetime import timedelta

import matplotlib

matplotlib.use("Agg")  # no display in the server or the worker, should anything reach for pyplot

import matplotlib.dates as mdates
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from models.commentary import number
from models.evidence import Table
from models.progress import Progress

BEGUN, TARGET_LINE, PROJECTION, GUIDE = "#1d4f91", "#888888", "#d9822b", "#cccccc"
NAVY, TEAL, GREY = "#1f3a5f", "#2a9d8f", "#8d99ae"
LINE_COLOURS = [NAVY, TEAL, "#e76f51", "#f4a261", GREY, "#6d597a", "#264653"]
BAR_COLOURS = [NAVY, TEAL, GREY]
MAX_CHART_LINES = 7


def data_uri(png: bytes) -> str:
    """A PNG to put in an HTML document's <img>."""
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _png(figure: Figure, dpi: float | str = "figure") -> bytes:
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=dpi)
    return out.getvalue()


def burn_up_png(p: Progress, dpi: int = 110) -> bytes:
    """Areas begun over time against the straight line to the target."""
    figure = Figure(figsize=(8, 4.5), dpi=dpi)
    axes = figure.subplots()
    first = p.start_days[0] if p.start_days else p.as_of
    # Areas begun, stepping up on each day something began, to the day asked about.
    days, counts = [first], [0]
    for n, day in enumerate(p.start_days, start=1):
        days.append(day)
        counts.append(n)
    days.append(p.as_of)
    counts.append(len(p.start_days))
    axes.step(days, counts, where="post", color=BEGUN, linewidth=2.2, label="Areas begun")
    axes.plot([first, p.target], [0, p.total], color=TARGET_LINE, linestyle="--", linewidth=1.2,
              label=f"Straight line to {p.target:%-d %b %Y}")
    end = max(p.target, p.as_of)
    if p.projected and p.remaining:
        end = max(end, min(p.projected, p.target + timedelta(days=365)))
        axes.plot([p.as_of, p.projected], [p.begun, p.total], color=PROJECTION, linestyle=":", linewidth=1.6,
                  label=f"At the pace so far: all by {p.projected:%-d %b %Y}")
    axes.axhline(p.total, color=GUIDE, linewidth=0.8)
    axes.axvline(p.target, color=GUIDE, linewidth=0.8)
    axes.set_xlim(first - timedelta(days=7), end + timedelta(days=7))
    axes.set_ylim(0, p.total * 1.08 or 1)
    axes.set_ylabel("Areas begun")
    axes.set_title(f"{p.scope.name}: {p.begun} of {p.total} areas begun, as of {p.as_of:%-d %b %Y} ({p.status})",
                   fontsize=11, loc="left")
    axes.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=8))
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    axes.grid(axis="y", color="#eeeeee")
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="upper left", fontsize=8, frameon=False)
    return _png(figure)


def topic_chart_png(table: Table) -> bytes:
    """A small chart of an evidence pack topic's headline table."""
    unit = table.indicator.unit
    rows = [r for r in table.rows if r.values]
    if len(rows) > MAX_CHART_LINES:  # a big group: its total and comparators, not every area
        rows = [r for r in rows if r.role not in ("area", "successor")] or rows[:MAX_CHART_LINES]
    figure = Figure(figsize=(6.4, 2.8), dpi=100)
    axes = figure.subplots()
    x = list(range(len(table.periods)))
    if table.indicator.additive:
        # Counts differ in scale by orders of magnitude between an area and England: show the subject only.
        subject_rows = [r for r in rows if r.role in ("area", "successor", "total")] or rows[:1]
        width = 0.8 / len(subject_rows)
        for i, row in enumerate(subject_rows):
            axes.bar([p + i * width for p in x], [row.values.get(p, 0) for p in table.periods], width,
                     label=row.label.split(" (")[0], color=BAR_COLOURS[i % len(BAR_COLOURS)])
        axes.set_xticks([p + width * (len(subject_rows) - 1) / 2 for p in x], table.periods)
    else:
        for i, row in enumerate(rows):
            points = [(j, row.values[p]) for j, p in enumerate(table.periods) if p in row.values]
            axes.plot([j for j, _ in points], [v for _, v in points], marker="o", linewidth=2,
                      label=row.label.split(" (")[0], color=LINE_COLOURS[i % len(LINE_COLOURS)])
        axes.set_xticks(x, table.periods)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: number(v, unit)))
    axes.set_title(table.label, fontsize=10, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", alpha=0.3)
    axes.tick_params(labelsize=8)
    axes.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    # PNG: WeasyPrint draws matplotlib's SVG glyph by glyph, several times slower.
    return _png(figure, dpi=120)
