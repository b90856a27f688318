"""A conversation in Slack: its card, its thread's log entries, `/sc show`, action lists and `/sc areas`."""
from bot.views.blocks import (
    MAX_BLOCKS,
    button,
    day,
    escape,
    message,
    plain,
    section,
    stage_label,
    when,
)
from bot.views.ids import ActionId
from models import clock
from models.areas import AreaDirectory
from models.conversations import ConversationView
from models.stages import STAGES
from models.tables import ActionItem, Conversation, LogEntry


def card_blocks(view: ConversationView, buttons: bool = True) -> list[dict]:
    c = view.conversation
    fields = [
        f"*Areas*\n{escape(', '.join(view.area_names))}",
        f"*Lead*\n<@{c.lead_user_id}>",
        f"*Stage*\n{stage_label(c.stage)}",
        f"*Started*\n{day(clock.local(c.started_at).date())}",
        f"*Last activity*\n{when(c.last_activity_at)}",
        f"*Open actions*\n{len(view.open_actions)}",
    ]
    if c.first_meeting_on:
        fields.append(f"*First meeting*\n{day(c.first_meeting_on)}")
    if c.contacts:
        fields.append(f"*Local authority contacts*\n{escape(c.contacts)[:1900]}")
    blocks = [
        {"type": "header", "text": plain(f"Single Conversation: {c.title}")},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields[:10]]},
    ]
    if c.notes:
        blocks.append(section(f"*Notes*\n{escape(c.notes)}"))
    if buttons:
        value = str(c.id)
        blocks.append({"type": "actions", "elements": [
            button("Log update", ActionId.CARD_LOG, value, "primary"),
            button("Set stage", ActionId.CARD_STAGE, value),
            button("Edit details", ActionId.CARD_EDIT, value),
        ]})
    return blocks


def card_message(view: ConversationView) -> dict:
    c = view.conversation
    return message(f"Single Conversation: {escape(c.title)}, {STAGES[c.stage]}, led by <@{c.lead_user_id}>",
                   card_blocks(view))


def show_message(view: ConversationView) -> dict:
    """`/sc show`: the card, its recent log entries and its open actions."""
    blocks = card_blocks(view)
    blocks.append({"type": "divider"})
    if view.recent:
        lines = [f"• {when(e.created_at)} <@{e.author_user_id}>: {entry_text(e)}" for e in view.recent]
        blocks.append(section("*Recent log entries*\n" + "\n".join(lines)))
    blocks.extend(action_blocks(view.open_actions, {}, redraw=f"c{view.conversation.id}") if view.open_actions
                  else [section("*Open actions*: none.")])
    return message(f"Single Conversation: {escape(view.conversation.title)}", blocks)


def log_entry_message(entry: LogEntry) -> dict:
    body = f"<@{entry.author_user_id}> · {when(entry.created_at)}\n{entry_text(entry)}"
    return message(f"Log entry by <@{entry.author_user_id}>: {escape(entry.text)}", [section(body)])


def entry_text(entry: LogEntry) -> str:
    """A log entry for mrkdwn; in the bot's own entries only the user-typed part is escaped."""
    if entry.kind == "stage":
        return f":arrow_right: *Stage*: {STAGES[entry.stage_from]} → *{STAGES[entry.stage_to]}*"
    if entry.kind == "action":
        due = f" (due {day(entry.due_on)})" if entry.due_on else ""
        return f":pushpin: Action for <@{entry.owner_user_id}>{due}: {escape(entry.text)}"
    if entry.kind == "action-done":
        return f":white_check_mark: Done: {escape(entry.text)}"
    return escape(entry.text)



def action_blocks(actions: list[ActionItem], titles: dict[int, str], redraw: str) -> list[dict]:
    """Open actions with Done buttons; `redraw` names the list, so Done can draw it again:
    "mine", "all", or "c<conversation id>" for a conversation's card."""
    blocks = [section("*Open actions*")]
    today = clock.today()
    for action in actions[: MAX_BLOCKS - 2]:
        due = ""
        if action.due_on:
            due = f" · due {day(action.due_on)}" + (" *(overdue)*" if action.due_on < today else "")
        where = f"*{escape(titles[action.conversation_id])}*: " if action.conversation_id in titles else ""
        blocks.append(section(
            f"{where}{escape(action.text)}\n<@{action.owner_user_id}>{due}",
            block_id=f"action-{action.id}",
            accessory=button("Done", ActionId.ACTION_DONE, f"{action.id}:{redraw}"),
        ))
    if len(actions) > MAX_BLOCKS - 2:
        blocks.append(section(f"…and {len(actions) - (MAX_BLOCKS - 2)} more."))
    return blocks


def areas_message(directory: AreaDirectory, begun: dict[str, Conversation], filter_text: str) -> dict:
    """`/sc areas`: areas grouped by HMA, each with its stage."""
    needle = filter_text.lower().strip()
    sections, shown = [], 0
    for hma, areas in directory.hmas.items():
        if needle and needle not in hma.lower():
            areas = [a for a in areas if needle in f"{a.name} {a.county} {a.code} {a.old_ons_code}".lower()]
        if not areas:
            continue
        lines = []
        for area in areas:
            conversation = begun.get(area.code)
            status = (f"{STAGES[conversation.stage]}, led by <@{conversation.lead_user_id}>"
                      if conversation else "_not begun_")
            lines.append(f"• {escape(area.name)}: {status}")
        shown += len(areas)
        sections.append(section(f"*{escape(hma)}*\n" + "\n".join(lines)))
    if not sections:
        return message(f"No area or HMA matches “{escape(filter_text)}”. Try `/sc areas` for all of them.")
    total = len(directory.areas)
    started = sum(1 for a in directory.areas if a.code in begun)
    head = (f"*{started} of {total} areas have begun* ({started / total:.0%})" if total
            else "No areas are loaded.")
    if needle:
        head += f" · showing {shown} matching “{escape(filter_text)}”"
    return message(f"{started} of {total} areas have begun", [section(head), *sections])
