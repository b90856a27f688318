"""The coverage canvas as canvas markdown: Slack's canvases take markdown, not mrkdwn or Block Kit.

Names and people's words are escaped for it: & < > as entities, markdown's own marks behind a backslash,
line breaks as spaces (a table row is one line). People and channels picked from Slack's menus become the
canvas's own mentions, ![](@U…) and ![](#C…). Each table column is one entry of COLUMNS.
"""
import re
from collections.abc import Callable

from bot.views.blocks import day, message, stage_label
from bot.views.progress import forecast_line, status_icon
from models import clock
from models.canvas import AreaRow, CanvasContent
from models.confidence import rating_of

TITLE = "Single Conversation coverage"
ACTION_SHOWN = 120  # characters of an action's text in its cell
NOTHING = "–"

# <@U123|name> or <#C123>, as Slack's menus put them in text.
_PICKED = re.compile(r"<([@#])([UWCG][A-Z0-9]+)(?:\|[^<>]*)?>")
_MARKS = re.compile(r"([\\`*_~\[\]|#])")
_ID = re.compile(r"[UW][A-Z0-9]+")


def text(value: str, limit: int | None = None) -> str:
    """`value` shown as typed, on one line, cut to `limit` characters."""
    value = " ".join(value.split())
    if limit and len(value) > limit:
        value = value[:limit - 1].rstrip() + "…"
    parts = _PICKED.split(value)  # text, sigil, id, text, sigil, id, …, text
    shown = []
    for n in range(0, len(parts), 3):
        plain = parts[n].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        shown.append(_MARKS.sub(r"\\\1", plain))
        if n + 2 < len(parts):
            shown.append(f"![]({parts[n + 1]}{parts[n + 2]})")
    return "".join(shown)


def person(user_id: str) -> str:
    return f"![](@{user_id})" if _ID.fullmatch(user_id) else text(user_id)


def _stage(row: AreaRow) -> str:
    return stage_label(row.stage) if row.begun else "not begun"


def _lead(row: AreaRow) -> str:
    return person(row.lead_user_id) if row.lead_user_id else NOTHING


def _confidence(row: AreaRow) -> str:
    a = row.confidence
    if a is None:
        return NOTHING
    return (f"**{rating_of(a).label}** ({day(clock.local(a.assessed_at).date())}, {person(a.assessed_by)}): "
            + text(a.reason))


def _quiet(row: AreaRow) -> str:
    return NOTHING if row.quiet_days is None else str(row.quiet_days)


def _next_action(row: AreaRow) -> str:
    action = row.next_action
    if action is None:
        return NOTHING
    due = f", due {day(action.due_on)}" if action.due_on else ""
    owner = f", {person(action.owner_user_id)}" if action.owner_user_id else ""
    return text(action.text, ACTION_SHOWN) + due + owner


COLUMNS: tuple[tuple[str, Callable[[AreaRow], str]], ...] = (
    ("Area", lambda row: text(row.name)),
    ("Stage", _stage),
    ("Lead", _lead),
    ("Delivery confidence", _confidence),
    ("Days since last entry", _quiet),
    ("Next open action", _next_action),
)


def canvas_markdown(content: CanvasContent) -> str:
    p = content.progress
    lines = [
        f"# Coverage: {text(p.scope.name)}",
        f"**{p.begun} of {p.total} areas have begun ({p.share:.0%}).** {status_icon(p)} "
        f"**{text(p.status.capitalize())}**: {text(p.reason)}.",
        "",
        text(forecast_line(p)),
        "",
        f"Target date {day(p.target)}. As of {day(p.as_of)}. The bot keeps this canvas up to date: "
        "changes made here are replaced.",
    ]
    for hma in content.hmas:
        lines += ["", f"## {text(hma.name)} ({hma.begun} of {len(hma.rows)} begun)", "",
                  _row(name for name, _ in COLUMNS), _row("---" for _ in COLUMNS)]
        lines += [_row(cell(row) for _, cell in COLUMNS) for row in hma.rows]
    return "\n".join(lines) + "\n"


def _row(cells) -> str:
    return "| " + " | ".join(cells) + " |"


def shared_message(link: str) -> dict:
    """Posted in the channel once, where the canvas is a standalone one rather than the channel's own."""
    return message(f":bar_chart: The region's coverage and every area's stage, kept up to date: <{link}|{TITLE}>")
