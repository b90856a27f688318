"""Progress in Block Kit: the `/sc progress` answer (England's too), and the headline lines the digest and Home
reuse."""

from bot.views.blocks import day, escape, message, plain, section
from models import clock
from models.confidence import Disagreement, disagreement_rule
from models.progress import (
    AT_RISK,
    HORIZON_WEEKS,
    MIN_STARTS,
    MIN_WEEKS,
    ON_TRACK,
    PACE_WEEKS,
    RUNS,
    TOO_EARLY,
    National,
    Progress,
)
from models.stages import STAGES

STATUS_ICON = {ON_TRACK: ":large_green_circle:", AT_RISK: ":large_yellow_circle:", TOO_EARLY: ":white_circle:"}
HORIZON_SAID = f"within {HORIZON_WEEKS // 52} years"
BAR_WIDTH = 20
LIST_LIMIT = 2800  # characters of a list in one section, under Slack's 3,000


def status_icon(progress) -> str:
    """The emoji for a status: red for off track."""
    return STATUS_ICON.get(progress.status, ":red_circle:")


def bar(share: float, width: int = BAR_WIDTH) -> str:
    filled = round(share * width)
    return "▓" * filled + "░" * (width - filled)


def pace(areas_a_week: float | None) -> str:
    return "–" if areas_a_week is None else f"{areas_a_week:.1f} areas a week"


def headline(p: Progress) -> str:
    """One line: coverage, and the status with its reason."""
    when_said = "" if p.as_of == clock.today() else f" as of {day(p.as_of)}"
    icon = status_icon(p)
    return (f"*{escape(p.scope.name)}*{when_said}: *{p.begun} of {p.total} areas have begun* ({p.share:.0%}). "
            f"{icon} *{p.status.capitalize()}*: {p.reason}.")


def forecast_line(p: Progress) -> str:
    """The pace and the simulated dates, in sentences that read right in every case: every area begun, too
    early to project, no recent starts, the target passed, dates beyond the runs' horizon."""
    if not p.remaining:
        return (f"Every area has begun, the last on {day(p.start_days[-1])}."
                if p.start_days else "Every area has begun.")
    needed = (f"every area begun by the target, {day(p.target)}, needs {pace(p.pace_needed)}"
              if p.pace_needed is not None else "")
    if p.pace_so_far is None:
        return (f"A projection takes {MIN_WEEKS} weeks since the first start and {MIN_STARTS} areas begun."
                + (f" {needed[0].upper()}{needed[1:]}." if needed else ""))
    weeks = len(p.weekly)
    so_far = (f"Pace so far {pace(p.pace_so_far)} over the last {weeks} weeks" if any(p.weekly)
              else f"No area has begun in the last {weeks} weeks")
    said = so_far + (f"; {needed}." if needed else ".")
    if not any(p.weekly):
        return said + " At that pace no date can be projected."
    if p.p50 is None:
        return said + f" Fewer than half the runs have every area begun {HORIZON_SAID}."
    if p.p85 == p.p50:
        return said + f" Half the runs, and 85% of them, have every area begun by {day(p.p50)}."
    later = f", 85% by {day(p.p85)}" if p.p85 else f"; 85% do not {HORIZON_SAID}"
    return said + f" Half the runs have every area begun by {day(p.p50)}{later}."


def all_begun_by(p: Progress) -> str:
    """The 50% and 85% dates, for a field or a table cell."""
    if not p.remaining:
        return f"already (the last began {day(p.start_days[-1])})" if p.start_days else "already"
    if p.pace_so_far is None:
        return "too early to project"
    if not any(p.weekly):
        return "no date: no area has begun lately"
    if p.p50 is None:
        return f"not {HORIZON_SAID} in half the runs"
    if p.p85 == p.p50:
        return f"{day(p.p50)} in half the runs and in 85%"
    return f"{day(p.p50)} in half the runs,\n" + (f"{day(p.p85)} in 85%" if p.p85 else f"not {HORIZON_SAID} in 85%")


def region_line(p: Progress) -> str:
    """One region (or England) in a line: coverage, status, target and when every area is likely begun."""
    return (f"{status_icon(p)} *{escape(p.scope.name)}*: {p.begun} of {p.total} "
            f"({p.share:.0%}), {p.status}. Target {day(p.target)}. Every area begun by: "
            f"{all_begun_by(p).replace(chr(10), ' ')}.")


def england_message(n: National, note: str = "") -> dict:
    """`/sc progress England`: the country's coverage and forecast, then each region's against its own target."""
    e = n.england
    when_said = "" if e.as_of == clock.today() else f" as of {day(e.as_of)}"
    blocks = [
        {"type": "header", "text": plain(f"Progress: England{when_said}")},
        section(headline(e) + f"\n`{bar(e.share)}`\n{forecast_line(e)} Target {day(e.target)}."),
        section("*By region*, each against its own target"),
        *[section(region_line(p)) for p in n.regions],
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            "Each region's line is what `/sc progress <region>` says of it. Forecast: the same simulated runs "
            "as a region's; `/sc help` explains them and the status rule.")}]},
    ]
    if note:
        blocks.append(section(note))
    return message(f"England: {e.begun} of {e.total} areas have begun ({e.share:.0%}), {e.status}", blocks)


def clipped(lines: list[str], limit: int = LIST_LIMIT) -> str:
    """Lines joined, stopping with a count of the rest before the section would overflow."""
    shown, size = [], 0
    for n, line in enumerate(lines):
        if size + len(line) + 40 > limit:
            shown.append(f"…and {len(lines) - n} more.")
            break
        shown.append(line)
        size += len(line) + 1
    return "\n".join(shown)


def progress_blocks(p: Progress) -> list[dict]:
    when_said = "" if p.as_of == clock.today() else f" as of {day(p.as_of)}"
    blocks = [
        {"type": "header", "text": plain(f"Progress: {p.scope.name}{when_said}")},
        section(headline(p) + f"\n`{bar(p.share)}`"),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": "*Pace so far*\n" + (f"{pace(p.pace_so_far)} over the last {len(p.weekly)} weeks"
                                                          if p.pace_so_far is not None else "too early to say")},
            {"type": "mrkdwn", "text": "*Pace needed*\n" + (pace(p.pace_needed) if p.pace_needed is not None
                                                          else "– (the target date has passed)")},
            {"type": "mrkdwn", "text": f"*Every area begun by*\n{all_begun_by(p)}"},
            {"type": "mrkdwn", "text": f"*Target*\n{day(p.target)}"},
        ]},
    ]
    if p.total > 1:
        for title, tallies in ((f"By {p.groups_by}", p.groups), ("By county", p.counties)):
            if tallies:
                lines = [f"• {escape(t.name)}: {t.begun} of {t.total}" for t in tallies]
                blocks.append(section(f"*{title}*\n" + clipped(lines)))
    funnel = [f"• {label}: {p.funnel[stage]}" for stage, label in STAGES.items()]
    blocks.append(section("*Conversations at each stage*\n" + "\n".join(funnel)))
    weeks = [f"• w/c {w.monday:%-d %b}: {w.conversations}" + (f" ({w.areas} areas)" if w.areas != w.conversations else "")
             for w in p.weeks]
    blocks.append(section("*Starts per week*\n" + "\n".join(weeks)))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
        f"Forecast: {RUNS:,} simulated runs of the coming weeks, each week's starts drawn at random from those of the "
        f"weeks since the first start (at most the last {PACE_WEEKS}). `/sc help` explains it "
        "and the status rule.")}]})
    return blocks


def disagreement_section(found: list[Disagreement]) -> dict:
    """Where the leads' delivery confidence and the log disagree: where a manager should look."""
    if not found:
        return section("*Confidence and the log*: they agree on every conversation assessed.")
    lines = [f"• *{escape(d.conversation.title)}*: {escape(d.why)} (assessed "
             f"{day(clock.local(d.assessment.assessed_at).date())})" for d in found]
    return section(f"*Confidence and the log disagree* ({len(found)}): worth a look\n" + clipped(lines, LIST_LIMIT - 200)
                   + f"\n_{escape(disagreement_rule(found[0].window))}_")


def progress_message(p: Progress, note: str = "", disagreements: list[Disagreement] | None = None) -> dict:
    """`disagreements`: today's, where the answer is about today (None: not shown)."""
    blocks = progress_blocks(p)
    if disagreements is not None:
        blocks.append(disagreement_section(disagreements))
    if note:
        blocks.append(section(note))
    return message(f"{escape(p.scope.name)}: {p.begun} of {p.total} areas have begun ({p.share:.0%}), {p.status}", blocks)
