"""What the bot shows in Slack: Block Kit messages and modals, built from the domain's objects.

Every piece of user text goes through `escape`, so `<!channel>` typed into a
log entry is shown, never acted on.
"""
import re
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from models import clock
from models.areas import AreaDirectory
from models.conversations import ConversationView
from models.stages import STAGES, stage_number
from models.tables import ActionItem, Conversation, LogEntry
from models.text import DETAILS_TEXT_MAX, LOG_TEXT_MAX

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MAX_BLOCKS = 50  # Slack's limit for one message
MAX_OPTIONS = 100  # Slack's limit for one select menu


# A person picked from Slack's @ menu arrives as <@U123|name>: a mention they meant to make.
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")


def escape(text: str) -> str:
    """Text safe to show in mrkdwn: every &, < and > escaped except in @-menu mentions."""
    parts = _USER_MENTION.split(text)
    # split() alternates text and the captured user ids.
    return "".join(f"<@{part}>" if odd else
                   part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                   for odd, part in ((i % 2 == 1, p) for i, p in enumerate(parts)))


_templates = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                         trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
_templates.filters["slack"] = escape


def render_text(template: str, **context) -> str:
    return _templates.get_template(template).render(**context).strip()


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


# --- conversations -----------------------------------------------------------

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
            button("Log update", "card_log", value, "primary"),
            button("Set stage", "card_stage", value),
            button("Edit details", "card_edit", value),
        ]})
    return blocks


def card_message(view: ConversationView) -> dict:
    c = view.conversation
    return message(f"Single Conversation: {c.title}, {STAGES[c.stage]}, led by <@{c.lead_user_id}>",
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
    return message(f"Single Conversation: {view.conversation.title}", blocks)


def log_entry_message(entry: LogEntry) -> dict:
    body = f"<@{entry.author_user_id}> · {when(entry.created_at)}\n{entry_text(entry)}"
    return message(f"Log entry by <@{entry.author_user_id}>: {escape(entry.text)}", [section(body)])


def entry_text(entry: LogEntry) -> str:
    """A log entry for mrkdwn; in the bot's own entries only the user-typed part is escaped."""
    if entry.kind == "stage":
        return f":arrow_right: *Stage*: {STAGES[entry.stage_from]} → *{STAGES[entry.stage_to]}*"
    if entry.kind == "action":
        # "Action for <@U1> (due ...): text" - the mention is ours, the text is theirs.
        head, _, rest = entry.text.partition(": ")
        return f":pushpin: {head}: {escape(rest)}"
    if entry.kind == "action-done":
        return f":white_check_mark: {escape(entry.text)}"
    return escape(entry.text)


# --- lists -------------------------------------------------------------------

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
            accessory=button("Done", "action_done", f"{action.id}:{redraw}"),
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


def help_message() -> dict:
    # The help shows placeholders such as <area>, which mrkdwn would take for links.
    return message("How to use /sc", sections(escape(render_text("help.md.j2", stages=STAGES))))


def sections(text: str, limit: int = 3000) -> list[dict]:
    """Long text as sections of whole lines, each within Slack's limit for one."""
    chunks: list[str] = []
    for line in text.splitlines():
        if chunks and len(chunks[-1]) + 1 + len(line) <= limit:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line[:limit])
    return [section(chunk) for chunk in chunks]


# --- modals ------------------------------------------------------------------

def _input(block_id: str, label: str, element: dict, optional: bool = False, hint: str = "") -> dict:
    block = {"type": "input", "block_id": block_id, "label": plain(label),
             "element": {"action_id": block_id, **element}, "optional": optional}
    if hint:
        block["hint"] = plain(hint)
    return block


def _text_input(multiline: bool, initial: str, max_length: int) -> dict:
    element = {"type": "plain_text_input", "multiline": multiline, "max_length": max_length}
    if initial:
        element["initial_value"] = initial
    return element


def _modal(callback_id: str, title: str, blocks: list[dict], metadata: str = "", submit: str = "Save") -> dict:
    return {"type": "modal", "callback_id": callback_id, "title": plain(title[:24]),
            "submit": plain(submit), "close": plain("Cancel"), "private_metadata": metadata,
            "blocks": blocks}


def _details_blocks(lead: str, contacts: str, first_meeting: date | None, notes: str) -> list[dict]:
    meeting = {"type": "datepicker"}
    if first_meeting:
        meeting["initial_date"] = first_meeting.isoformat()
    return [
        _input("lead", "Lead", {"type": "users_select", "initial_user": lead}),
        _input("contacts", "Local authority contacts", _text_input(True, contacts, DETAILS_TEXT_MAX),
               optional=True, hint="Names, roles, emails or phone numbers"),
        _input("first_meeting", "Date of the first meeting", meeting, optional=True),
        _input("notes", "Notes", _text_input(True, notes, DETAILS_TEXT_MAX), optional=True),
    ]


def area_options(directory: AreaDirectory) -> list[dict] | None:
    """Option groups for choosing areas: the HMAs first, then each HMA's areas.

    None when there are more than a select menu holds (a national list); the
    modal then asks for a name, read by the same lookup as the commands.
    """
    def option(text: str, value: str) -> dict:
        return {"text": plain(text), "value": value}

    groups = [{"label": plain("Housing Market Areas (all their areas)"),
               "options": [option(h, f"hma:{h}") for h in directory.hmas]}]
    groups += [{"label": plain(h[:75]), "options": [option(a.name, f"area:{a.code}") for a in areas]}
               for h, areas in directory.hmas.items()]
    if sum(len(g["options"]) for g in groups) > MAX_OPTIONS or len(groups) > MAX_OPTIONS:
        return None
    return groups


def notice_modal(text: str) -> dict:
    """A modal that only tells something (where a message can't be answered in place)."""
    return {"type": "modal", "title": plain("Single Conversation"), "close": plain("OK"),
            "blocks": [section(text)]}


def start_modal(directory: AreaDirectory, caller: str) -> dict:
    groups = area_options(directory)
    areas = (_input("areas", "Areas", {"type": "multi_static_select", "option_groups": groups,
                                       "placeholder": plain("An HMA, or one or more areas")})
             if groups else
             _input("areas", "Area or HMA", _text_input(False, "", 200), hint="e.g. Leicester or Nottingham Core HMA"))
    return _modal("start_conversation", "Start a conversation",
                  [areas, *_details_blocks(caller, "", None, "")], submit="Start")


def edit_modal(conversation: Conversation) -> dict:
    c = conversation
    return _modal("edit_details", "Edit details",
                  [section(f"*{escape(c.title)}*"), *_details_blocks(c.lead_user_id, c.contacts, c.first_meeting_on, c.notes)],
                  metadata=str(c.id))


def log_modal(conversation: Conversation) -> dict:
    return _modal("log_entry", "Log update", [
        section(f"Log entry for *{escape(conversation.title)}*"),
        _input("text", "What happened", _text_input(True, "", LOG_TEXT_MAX)),
    ], metadata=str(conversation.id))


def stage_modal(conversation: Conversation) -> dict:
    options = [{"text": plain(f"{label} ({key})"), "value": key} for key, label in STAGES.items()]
    current = next(o for o in options if o["value"] == conversation.stage)
    return _modal("set_stage", "Set stage", [
        section(f"*{escape(conversation.title)}* is at *{STAGES[conversation.stage]}*."),
        _input("stage", "Stage", {"type": "static_select", "options": options, "initial_option": current}),
    ], metadata=str(conversation.id))


def settings_modal(current) -> dict:
    """The managers' form for the reminder settings (a models.reminders.ReminderSettings)."""
    days = [{"text": plain(d.capitalize()), "value": d}
            for d in ("monday", "tuesday", "wednesday", "thursday", "friday")]
    channel = {"type": "channels_select"}
    if current.digest_channel:
        channel["initial_channel"] = current.digest_channel
    return _modal("reminder_settings", "Reminder settings", [
        _input("digest_day", "Weekly digest: day", {"type": "static_select", "options": days,
                                                    "initial_option": days[min(current.digest_weekday, 4)]}),
        _input("digest_time", "Weekly digest: time", {"type": "timepicker",
                                                      "initial_time": current.digest_time.strftime("%H:%M")}),
        _input("digest_channel", "Channel for the digest and countdown", channel),
        _input("stale_days", "Nudge leads when a conversation is quiet for (days)",
               _text_input(False, str(current.stale_days), 3)),
        _input("target_date", "Target date: every area begun by", {
            "type": "datepicker", "initial_date": current.target_date.isoformat()}),
    ])
