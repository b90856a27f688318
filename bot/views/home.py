"""The App Home tab: the region's coverage, the person's conversations and open actions."""
from bot.views.blocks import button, day, escape, plain, section, when
from bot.views.conversation import confidence_text
from bot.views.ids import ActionId
from bot.views.progress import bar, clipped, forecast_line, status_icon
from models import clock
from models.progress import Progress
from models.stages import STAGES
from models.tables import ActionItem, ConfidenceAssessment, Conversation


def home_view(p: Progress, mine: list[Conversation], actions: list[ActionItem], titles: dict[int, str],
              confidence: dict[int, ConfidenceAssessment] | None = None) -> dict:
    """`confidence`: the delivery confidence that stands for each of `mine` assessed."""
    confidence = confidence or {}
    blocks = [
        {"type": "header", "text": plain("Single Conversations")},
        section(f"*{escape(p.scope.name)}: {p.begun} of {p.total} areas have begun* ({p.share:.0%})\n"
                f"`{bar(p.share, 30)}`\n{status_icon(p)} "
                f"*{p.status.capitalize()}*: {p.reason}. {forecast_line(p)}"),
    ]
    buttons = [button("Start a conversation", ActionId.HOME_START, "start", "primary"),
               button("Request an extract", ActionId.HOME_EXTRACT, "extract")]
    blocks.append({"type": "actions", "elements": buttons})
    blocks += [{"type": "divider"}, section(f"*Your conversations* ({len(mine)})")]
    room = 100 - len(blocks) - 4  # a Home tab holds 100 blocks; keep room for the actions
    for c in mine[: room // 2]:
        rated = confidence_text(confidence[c.id]) if c.id in confidence else "not assessed yet"
        blocks.append(section(f"*{escape(c.title)}*\n{STAGES[c.stage]} · last activity {when(c.last_activity_at)}\n"
                              f"Delivery confidence: {rated}",
                              accessory=button("Log update", ActionId.CARD_LOG, str(c.id))))
    if not mine:
        blocks.append(section("You lead no conversation yet."))
    today = clock.today()
    lines = [f"• *{escape(titles.get(a.conversation_id, ''))}*: {escape(a.text)}"
             + (f" · due {day(a.due_on)}" + (" *(overdue)*" if a.due_on < today else "") if a.due_on else "")
             for a in actions]
    blocks += [{"type": "divider"},
               section(f"*Your open actions* ({len(actions)})\n" + (clipped(lines) if lines else "None."))]
    return {"type": "home", "blocks": blocks[:100]}
