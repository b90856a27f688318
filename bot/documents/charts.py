"""Every chart the bot draws, as PNG: the burn-up chart of progress and an evidence pack's topic charts.

Each chart is a Figure of its own, not pyplot: no global state shared between jobs, and no display.
"""
import base64
import io
import math
from dataclasses import dataclass
from datetime import timedelta
from textwrap import fill

import matplotlib

matplotlib.use("Agg")  # no display in the server or the worker, should anything reach for pyplot

import matplotlib.dates as mdates
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from models.commentary import number
from models.evidence import Table
from models.progress import RUNS, TOO_EARLY, Progress, coverage_band

BEGUN, TARGET_LINE, PROJECTION, GUIDE = "#1d4f91", "#888888", "#d9822b", "#cccccc"


def data_uri(png: bytes) -> str:
    """A PNG to put in an HTML document's <img>."""
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _png(figure: Figure, dpi: float | str = "figure") -> bytes:
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=dpi)
    return out.getvalue()


def burn_up_png(p: Progress, dpi: int = 110) -> bytes:
    """Areas begun over time against the straight line to the target, and ahead of the day the simulated runs'
    likely range (models.progress.coverage_band): the band holds the middle 70% of runs, its lower edge
    reaching every area on the 85% date; the dashed line is the middle run's, reaching it on the 50% date."""
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
    if p.p85 or p.p50:
        end = max(end, min(p.p85 or p.p50 + timedelta(days=365), p.target + timedelta(days=365)))
    band = [(p.as_of, p.begun, p.begun, p.begun)] + coverage_band(p, -(-(end - p.as_of).days // 7))
    if len(band) > 1:
        weeks, low, middle, high = zip(*band)
        runs = f"{RUNS:,} simulated runs"
        axes.fill_between(weeks, low, high, color=PROJECTION, alpha=0.25, linewidth=0,
                          label=f"Middle 70% of {runs}" + (f": all begun by {p.p85:%-d %b %Y} in 85%" if p.p85 else ""))
        axes.plot(weeks, middle, color=PROJECTION, linestyle="--", linewidth=1.6,
                  label="The middle run" + (f": all begun by {p.p50:%-d %b %Y}" if p.p50 else ""))
    elif p.remaining:  # no band: the legend says why
        axes.plot([], [], " ", label="Too early to project" if p.status == TOO_EARLY else
                  f"No area begun in the last {len(p.weekly)} weeks: no date projected")
    axes.axhline(p.total, color=GUIDE, linewidth=0.8)
    axes.axvline(p.target, color=GUIDE, linewidth=0.8)
    axes.set_xlim(first - timedelta(days=7), end + timedelta(days=7))
    axes.set_ylim(0, p.total * 1.08 or 1)
    axes.set_ylabel("Areas begun")
    axes.set_title(f"{p.scope.name}: {p.begun} of {p.total} areas begun, as of {p.as_of:%-d %b %Y} ({p.status})",
                   fontsize=11, loc="left")
    # A tick at the start of a month, at most eight of them: the labels name months, so never two in one month.
    months = ((end - first).days + 14) / 30.4
    axes.xaxis.set_major_locator(mdates.MonthLocator(interval=max(1, math.ceil(months / 8))))
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    axes.grid(axis="y", color="#eeeeee")
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="upper left", fontsize=8, frameon=False)
    return _png(figure)


# Topic charts: Okabe and Ito's palette, told apart under every common colour-vision deficiency; the
# comparators are grey and black and dashed or dotted, so no two lines rely on colour alone.
SERIES_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
COMPARATORS = {"county": ("#666666", "-."), "hma": ("#666666", "-."), "region": ("#666666", "--"),
               "england": ("#000000", ":")}
UNITARY_COLOUR = "#D55E00"
MAX_SERIES = 5  # more of the subject's areas than this: one bar each, for the latest period


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[tuple[str, float], ...]  # (period, value)
    colour: str
    style: str = "-"


@dataclass(frozen=True)
class ChartPlan:
    """What a topic chart draws, worked out before drawing: plain data the bench's raw render draws too."""

    kind: str  # "lines": a line per row; "bars": a bar per period per area; "ranked": a bar per area, one period
    title: str
    unit: str
    periods: tuple[str, ...]
    series: tuple[Series, ...]
    references: tuple[Series, ...] = ()  # ranked: the comparators' figures, drawn as lines across the bars
    axis_from: float | None = None  # a line chart's axis start, when it is not zero (then marked as broken)


def chart_plan(table: Table) -> ChartPlan:
    """The subject's own areas (their 2021 unitaries labelled so), beside the comparators where the units
    allow: counts differ by orders of magnitude between an area and England, so count charts show the areas
    only. A line chart's axis starts at zero unless the lines would be flat there; then it says where."""
    unit, periods = table.indicator.unit, tuple(table.periods)
    rows = [r for r in table.rows if r.values]
    members = [r for r in rows if r.role in ("area", "successor")]
    comparators = [r for r in rows if r.role in ("county", "hma", "region", "england")]
    if not members:  # the region's own pack, or a group with no member figures: the subject's rows
        members = [r for r in rows if r.role in ("total", "region")][:1]
        comparators = [r for r in comparators if r not in members]
    title = fill(table.label, 80)
    if len(members) > MAX_SERIES:
        last = periods[-1]
        ranked = sorted((r for r in members if last in r.values), key=lambda r: r.values[last], reverse=True)
        series = tuple(Series(r.name, ((last, r.values[last]),),
                              UNITARY_COLOUR if r.role == "successor" else SERIES_COLOURS[0]) for r in ranked)
        references = () if table.indicator.additive else tuple(
            Series(r.name, ((last, r.values[last]),), *COMPARATORS[r.role]) for r in comparators if last in r.values)
        return ChartPlan("ranked", f"{table.indicator.noun}, {last}", unit, (last,), series, references)
    series = tuple(Series(r.name, tuple((p, r.values[p]) for p in periods if p in r.values),
                          SERIES_COLOURS[i % len(SERIES_COLOURS)]) for i, r in enumerate(members))
    if table.indicator.additive:
        return ChartPlan("bars", title, unit, periods, series)
    series += tuple(Series(r.name, tuple((p, r.values[p]) for p in periods if p in r.values), *COMPARATORS[r.role])
                    for r in comparators)
    values = [v for s in series for _p, v in s.values]
    low, high = min(values), max(values)
    axis_from = None
    if low > 0 and high - low < high / 2:  # at zero, the lines would sit flat at the top
        axis_from = float(MaxNLocator(5).tick_values(low - (high - low) * 0.15, high)[0])
        axis_from = axis_from if axis_from > 0 else None
    return ChartPlan("lines", title, unit, periods, series, axis_from=axis_from)


def topic_chart_png(table: Table) -> bytes:
    """A small chart of an evidence pack topic's headline table."""
    plan = chart_plan(table)
    money = FuncFormatter(lambda v, _p: number(v, plan.unit))
    if plan.kind == "ranked":
        figure = Figure(figsize=(6.4, 0.9 + 0.17 * len(plan.series)), dpi=100)
        axes = figure.subplots()
        y = list(range(len(plan.series)))
        axes.barh(y, [s.values[0][1] for s in plan.series], color=[s.colour for s in plan.series], height=0.7)
        axes.set_yticks(y, [s.label for s in plan.series])
        axes.invert_yaxis()
        for reference in plan.references:
            axes.axvline(reference.values[0][1], color=reference.colour, linestyle=reference.style, linewidth=1.4,
                         label=f"{reference.label} ({number(reference.values[0][1], plan.unit)})")
        axes.xaxis.set_major_formatter(money)
        axes.grid(axis="x", alpha=0.3)
        if plan.references:
            axes.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    else:
        figure = Figure(figsize=(6.4, 3.3), dpi=100)
        axes = figure.subplots()
        x = {p: i for i, p in enumerate(plan.periods)}
        if plan.kind == "bars":
            width = 0.8 / len(plan.series)
            for i, s in enumerate(plan.series):
                axes.bar([x[p] + i * width for p, _v in s.values], [v for _p, v in s.values], width,
                         label=s.label, color=s.colour)
            axes.set_xticks([i + width * (len(plan.series) - 1) / 2 for i in x.values()], plan.periods)
        else:
            for s in plan.series:
                axes.plot([x[p] for p, _v in s.values], [v for _p, v in s.values], marker="o", linewidth=2,
                          label=s.label, color=s.colour, linestyle=s.style)
            axes.set_xticks(list(x.values()), plan.periods)
            if plan.axis_from is None:
                axes.set_ylim(bottom=0)
            else:
                axes.set_ylim(bottom=plan.axis_from)
                _mark_broken(axes, f"Axis starts at {number(plan.axis_from, plan.unit)}, not zero")
        axes.yaxis.set_major_formatter(money)
        axes.grid(axis="y", alpha=0.3)
        # Below the plot, names wrapped: beside it, a long HMA name would be cut off at the figure's edge.
        handles, labels = axes.get_legend_handles_labels()
        axes.legend(handles, [fill(label, 48) for label in labels], fontsize=7, frameon=False, ncol=2,
                    loc="upper center", bbox_to_anchor=(0.5, -0.12))
    axes.set_title(plan.title, fontsize=10, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    # PNG: WeasyPrint draws matplotlib's SVG glyph by glyph, several times slower.
    return _png(figure, dpi=120)


def _mark_broken(axes, text: str) -> None:
    """The usual mark of a broken axis (two short slashes across its foot) and a line saying where it starts."""
    slash = dict(transform=axes.transAxes, color="black", clip_on=False, linewidth=1)
    for dy in (0.0, 0.035):
        axes.plot([-0.018, 0.018], [0.01 + dy, 0.045 + dy], **slash)
    axes.text(0.01, 0.02, text, transform=axes.transAxes, fontsize=7, color="#333333", ha="left", va="bottom")
