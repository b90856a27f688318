"""Progress in Block Kit: the `/sc progress` answer, and the headline lines the digest and Home reuse."""

from bot.views.blocks import day, escape, message, plain, section
from models import clock
from models.progress import AT_RISK, ON_TRACK, Progress
from models.stages import STAGES

STATUS_ICON = {ON_TRACK: ":large_green_circle:", AT_RISK: ":large_yellow_circle:"}
BAR_WIDTH = 20
LIST_LIMIT = 2800  # characters of a list in one section, under Slack's 3,000


def bar(share: float, width: int = BAR_WIDTH) -> str:
    filled = round(share * width)
    return "▓" * filled + "░" * (width - filled)


def pace(areas_a_week: float | None) -> str:
    return "–" if areas_a_week is None else f"{areas_a_week:.1f} areas a week"


def headline(p: Progress) -> str:
    """One line: coverage, and the status with its reason."""
    when_said = "" if p.as_of == clock.today() else f" as of {day(p.as_of)}"
    icon = STATUS_ICON.get(p.status, ":red_circle:")
    return (f"*{escape(p.scope.name)}*{when_said}: *{p.begun} of {p.total} areas have begun* ({p.share:.0%}). "
            f"{icon} *{p.status.capitalize()}*: {p.reason}.")


def forecast_line(p: Progress) -> str:
    projected = day(p.projected) if p.projected else "not until starts resume"
    return (f"Pace needed {pace(p.pace_needed)}, pace so far {pace(p.pace_so_far)}; "
            f"every area begun by {projected} (target {day(p.target)}).")


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
            {"type": "mrkdwn", "text": f"*Pace needed*\n{pace(p.pace_needed)}"},
            {"type": "mrkdwn", "text": f"*Pace so far*\n{pace(p.pace_so_far)}"},
            {"type": "mrkdwn", "text": f"*Every area begun by*\n{day(p.projected) if p.projected else '–'}"},
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
        "Pace so far: areas begun over the last 8 weeks, per week. `/sc help` states the status rule.")}]})
    return blocks


def progress_message(p: Progress, note: str = "") -> dict:
    blocks = progress_blocks(p)
    if note:
        blocks.append(section(note))
    return message(f"{escape(p.scope.name)}: {p.begun} of {p.total} areas have begun ({p.share:.0%}), {p.status}", blocks)
