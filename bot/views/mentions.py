"""Answers to @mentions: short progress, who leads an area, what has not begun, what is overdue."""
from datetime import date

from bot.views.blocks import day, escape
from bot.views.progress import clipped, forecast_line, headline
from models import clock
from models.progress import Progress
from models.questions import UNDERSTOOD
from models.stages import STAGES
from models.tables import ActionItem, Area, Conversation

MENTION_HELP = escape(
    "I keep the region's Single Conversations. Mention me with a question like "
    + ", ".join(f"“{q}”" for q in UNDERSTOOD)
    + ". For everything else try `/sc help`, `/sc progress`, or `/sc show <area>` for one conversation.")


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
