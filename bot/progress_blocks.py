"""Progress in Block Kit: the `/sc progress` answer, the short answers to mentions, and the App Home."""
from datetime import date

from bot.blocks import button, day, escape, message, plain, section, when
from models import clock
from models.progress import AT_RISK, ON_TRACK, Progress
from models.stages import STAGES
from models.tables import ActionItem, Area, Conversation

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
    return message(f"{p.scope.name}: {p.begun} of {p.total} areas have begun ({p.share:.0%}), {p.status}", blocks)


# --- mentions -----------------------------------------------------------------------

def short_progress(p: Progress) -> str:
    return headline(p) + "\n" + forecast_line(p) + "\n`/sc progress` has the rest."


def lead_answer(name: str, conversation: Conversation | None) -> str:
    if conversation is None:
        return f"{escape(name)} has not begun yet: nobody leads it. `/sc start {escape(name)}` begins it."
    return (f"<@{conversation.lead_user_id}> leads *{escape(conversation.title)}*, at "
            f"{STAGES[conversation.stage]}, begun {day(clock.local(conversation.started_at).date())}.")


def not_begun_answer(scope_name: str, areas: list[Area]) -> str:
    if not areas:
        return f"Every area in {escape(scope_name)} has begun. :tada:"
    lines = [f"• {escape(a.name)}" for a in areas]
    return f"*{len(areas)} areas in {escape(scope_name)} have not begun:*\n" + clipped(lines)


def overdue_answer(overdue: list[tuple[ActionItem, str]], today: date) -> str:
    if not overdue:
        return "Nothing is overdue. :white_check_mark:"
    lines = [f"• *{escape(title)}*: {escape(a.text)} (<@{a.owner_user_id}>, due {day(a.due_on)}, "
             f"{(today - a.due_on).days} days ago)" for a, title in overdue]
    return f"*{len(overdue)} overdue actions:*\n" + clipped(lines)


# --- App Home -------------------------------------------------------------------------

def home_view(p: Progress, mine: list[Conversation], actions: list[ActionItem], titles: dict[int, str],
              can_extract: bool) -> dict:
    blocks = [
        {"type": "header", "text": plain("Single Conversations")},
        section(f"*{escape(p.scope.name)}: {p.begun} of {p.total} areas have begun* ({p.share:.0%})\n"
                f"`{bar(p.share, 30)}`\n{STATUS_ICON.get(p.status, ':red_circle:')} "
                f"*{p.status.capitalize()}*: {p.reason}. {forecast_line(p)}"),
    ]
    buttons = [button("Start a conversation", "home_start", "start", "primary")]
    if can_extract:
        buttons.append(button("Request an extract", "home_extract", "extract"))
    blocks.append({"type": "actions", "elements": buttons})
    blocks += [{"type": "divider"}, section(f"*Your conversations* ({len(mine)})")]
    room = 100 - len(blocks) - 4  # a Home tab holds 100 blocks; keep room for the actions
    for c in mine[: room // 2]:
        blocks.append(section(f"*{escape(c.title)}*\n{STAGES[c.stage]} · last activity {when(c.last_activity_at)}",
                              accessory=button("Log update", "card_log", str(c.id))))
    if not mine:
        blocks.append(section("You lead no conversation yet."))
    today = clock.today()
    lines = [f"• *{escape(titles.get(a.conversation_id, ''))}*: {escape(a.text)}"
             + (f" · due {day(a.due_on)}" + (" *(overdue)*" if a.due_on < today else "") if a.due_on else "")
             for a in actions]
    blocks += [{"type": "divider"},
               section(f"*Your open actions* ({len(actions)})\n" + (clipped(lines) if lines else "None."))]
    return {"type": "home", "blocks": blocks[:100]}
