"""The burn-up chart: areas begun over time against the straight line to the target, as a PNG."""
import io
from datetime import timedelta

import matplotlib

matplotlib.use("Agg")  # no display in the server or the worker

import matplotlib.dates as mdates
from matplotlib.figure import Figure

from models.progress import Progress

BEGUN, TARGET_LINE, PROJECTION = "#1d4f91", "#888888", "#d9822b"


def burn_up_png(p: Progress, dpi: int = 110) -> bytes:
    # A Figure of its own, not pyplot: no global state, no display backend to choose.
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
    axes.axhline(p.total, color="#cccccc", linewidth=0.8)
    axes.axvline(p.target, color="#cccccc", linewidth=0.8)
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
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
