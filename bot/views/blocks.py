"""The pieces every view is built of: escaping, sections, buttons, messages, dates.

Every piece of user text goes through `escape`, so `<!channel>` typed into a
log entry is shown, never acted on.
"""
import re
from datetime import date, datetime

from models import clock
from models.stages import STAGES, stage_number
from templates import environment

MAX_BLOCKS = 50  # Slack's limit for one message
MAX_OPTIONS = 100  # Slack's limit for one select menu


# A person or channel picked from Slack's menus arrives as <@U123|name> or <#C123|name>: meant as such.
_PICKED = re.compile(r"<(@[UW][A-Z0-9]+|#[CG][A-Z0-9]+)(?:\|[^<>]*)?>")


def escape(text: str) -> str:
    """Text safe to show in mrkdwn: every &, < and > escaped except in people and channels picked from menus."""
    parts = _PICKED.split(text)
    # split() alternates text and the captured ids.
    return "".join(f"<{part}>" if odd else
                   part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                   for odd, part in ((i % 2 == 1, p) for i, p in enumerate(parts)))


def render_text(template: str, **context) -> str:
    return environment.get_template(template).render(**context).strip()


def when(stored: datetime) -> str:
    return f"{clock.local(stored):%-d %b %Y %H:%M}"


def day(value: date | None) -> str:
    return f"{value:%-d %b %Y}" if value else "–"


def stage_label(stage: str) -> str:
    return f"{STAGES[stage]} ({stage_number(stage)} of {len(STAGES)})"


def section(text: str, **extra) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}, **extra}


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text[:150] or " ", "emoji": True}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    element = {"type": "button", "text": plain(text), "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    return element


def message(text: str, blocks: list[dict] | None = None) -> dict:
    """A message body: `text` is the notification and fallback, blocks the layout."""
    return {"text": text[:3000], "blocks": (blocks or [section(text)])[:MAX_BLOCKS]}


def sections(text: str, limit: int = 3000) -> list[dict]:
    """Long text as sections of whole lines, each within Slack's limit for one."""
    chunks: list[str] = []
    for line in text.splitlines():
        if chunks and len(chunks[-1]) + 1 + len(line) <= limit:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line[:limit])
    return [section(chunk) for chunk in chunks]
