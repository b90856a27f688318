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
from models.absence import Absence
from models.areas import AreaDirectory
from models.confidence import Rating, rating_of
from models.conversations import ConversationView, source_of
from models.stages import STAGES, skipped_stages
from models.tables import ActionItem, ConfidenceAssessment, Conversation, LogEntry

NOTE_PREVIEW = 500  # characters of a note shown by `/sc show`
CONFIDENCE_ICON = {
    Rating.GREEN: ":large_green_circle:", Rating.AMBER_GREEN: ":large_green_circle::large_orange_circle:",
    Rating.AMBER: ":large_orange_circle:", Rating.AMBER_RED: ":large_orange_circle::red_circle:",
    Rating.RED: ":red_circle:",
}


def card_blocks(view: ConversationView, buttons: bool = True) -> list[dict]:
    c = view.conversation
    fields = [
        f"*Areas*\n{escape(', '.join(view.area_names))}",
        f"*Lead*\n<@{c.lead_user_id}>" + (away_note(view.lead_away) if view.lead_away else ""),
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
    blocks.append(section(f"*Delivery confidence*: {confidence_text(view.confidence)}" if view.confidence else
                          "*Delivery confidence*: not assessed yet. `/sc confidence "
                          f"{escape(view.log_name or c.title)} &lt;rating&gt; &lt;why&gt;` gives it."))
    if buttons:
        value = str(c.id)
        blocks.append({"type": "actions", "elements": [
            button("Log update", ActionId.CARD_LOG, value, "primary"),
            button("Set stage", ActionId.CARD_STAGE, value),
            button("Edit details", ActionId.CARD_EDIT, value),
        ]})
    return blocks


def confidence_text(assessment: ConfidenceAssessment) -> str:
    """A delivery confidence with its date, author and reason, for mrkdwn."""
    rating = rating_of(assessment)
    return (f"{CONFIDENCE_ICON[rating]} *{rating.label}* ({day(clock.local(assessment.assessed_at).date())}, "
            f"<@{assessment.assessed_by}>): {escape(assessment.reason)}")


def away_note(absence: Absence) -> str:
    """The lead is away: until when, and who covers (their nudges go there)."""
    covers = f"<@{absence.deputy_user_id}> covers" if absence.deputy_user_id else "the team covers"
    return f"\n_away until {day(absence.back_on)}; {covers}_"


def card_message(view: ConversationView) -> dict:
    c = view.conversation
    return message(f"Single Conversation: {escape(c.title)}, {STAGES[c.stage]}, led by <@{c.lead_user_id}>",
                   card_blocks(view))


def show_message(view: ConversationView) -> dict:
    """`/sc show`: the card, the latest notes, apart from them the latest other entries, and open actions."""
    blocks = card_blocks(view)
    blocks.append({"type": "divider"})

    def listed(entries: list[LogEntry]) -> str:
        return "\n".join(f"• {when(e.created_at)} <@{e.author_user_id}>: {brief(e)}" for e in entries)

    def brief(entry: LogEntry) -> str:
        # Five long notes must fit one section: each is cut short here; the thread has it whole.
        if entry.kind == "note" and len(entry.text) > NOTE_PREVIEW:
            return escape(entry.text[: NOTE_PREVIEW - 1]) + "…"
        return entry_text(entry)

    blocks.append(section("*Latest notes*\n" + listed(view.notes)) if view.notes else
                  section(f"*Latest notes*: none yet. `/sc log {escape(view.log_name or view.conversation.title)} "
                          "&lt;what happened&gt;` adds one."))
    if view.changes:
        blocks.append(section("*Latest changes*\n" + listed(view.changes)))
    blocks.extend(action_blocks(view.open_actions, {}, redraw=f"c{view.conversation.id}") if view.open_actions
                  else [section("*Open actions*: none.")])
    return message(f"Single Conversation: {escape(view.conversation.title)}", blocks)


def stage_question(conversation: Conversation, said: str, stages: tuple[str, ...]) -> dict:
    """`/sc stage` with words that could mean two stages: a button for each."""
    text = (f"“{escape(said)}” could mean more than one stage. *{escape(conversation.title)}* is at "
            f"*{stage_label(conversation.stage)}*. Which?")
    choices = [stage_button(conversation, stage, STAGES[stage]) for stage in stages if stage != conversation.stage]
    return message(text, [section(text), {"type": "actions", "elements": choices}])


def skip_warning(conversation: Conversation, stage: str) -> str:
    """Moving more than one stage on, said before anything changes (the command's button, the form's confirm)."""
    skipped = skipped_stages(conversation.stage, stage)
    return (f":warning: *{escape(conversation.title)}* is at *{stage_label(conversation.stage)}*. Moving to "
            f"*{stage_label(stage)}* skips {len(skipped)} stage{'s' if len(skipped) > 1 else ''}: "
            + ", ".join(STAGES[s] for s in skipped) + ". Nothing changes until you confirm; the log will name "
            "the stages skipped.")


def skip_question(conversation: Conversation, stage: str) -> dict:
    """`/sc stage` more than one stage on: nothing changes until the button confirms it."""
    text = skip_warning(conversation, stage)
    return message(text, [section(text), {"type": "actions", "elements": [
        stage_button(conversation, stage, f"Skip to {STAGES[stage]}", "primary")]}])


def stage_button(conversation: Conversation, stage: str, label: str, style: str | None = None) -> dict:
    """A button that moves the conversation to `stage` from the stage it is at now, and from no other."""
    skips = len(skipped_stages(conversation.stage, stage))
    if skips and not label.startswith("Skip"):
        label += f" (skips {skips})"
    return button(label[:75], ActionId.STAGE_CHOSEN, f"{conversation.id}:{conversation.stage}:{stage}", style)


def log_entry_message(entry: LogEntry) -> dict:
    body = f"<@{entry.author_user_id}> · {when(entry.created_at)}\n{entry_text(entry)}"
    return message(f"Log entry by <@{entry.author_user_id}>: {escape(entry.text)}", [section(body)])


def entry_text(entry: LogEntry) -> str:
    """A log entry for mrkdwn; in the bot's own entries only the user-typed part is escaped."""
    if entry.kind == "stage":
        skipped = skipped_stages(entry.stage_from, entry.stage_to)
        passed = f" (skipped {', '.join(STAGES[s] for s in skipped)})" if skipped else ""
        return f":arrow_right: *Stage*: {STAGES[entry.stage_from]} → *{STAGES[entry.stage_to]}*{passed}"
    if entry.kind == "action":
        due = f" (due {day(entry.due_on)})" if entry.due_on else ""
        return f":pushpin: Action for <@{entry.owner_user_id}>{due}: {escape(entry.text)}"
    if entry.kind == "action-done":
        return f":white_check_mark: Done: {escape(entry.text)}"
    if entry.kind == "confidence":
        return f":traffic_light: {escape(entry.text)}"
    source = source_of(entry)
    if source:  # the link first, so that a long note cut short at Slack's limit keeps it
        written = when(source.written_at)
        return (f":link: From <{escape(source.url)}|a message> of {written}" if source.url
                else f":link: From a message of {written} in a conversation I can't link to") + f"\n{escape(entry.text)}"
    return escape(entry.text)


def message_logged(title: str, card_url: str, team_channel: str) -> dict:
    """The message shortcut's answer, in the message's channel: where the note went."""
    said = f":memo: Logged in the Single Conversation with *{escape(title)}*"
    if card_url:
        said += f": see <{escape(card_url)}|its thread>"
    elif team_channel:  # its card is not posted yet
        said += f", in its thread in <#{team_channel}>"
    return message(said + ".")


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
    """`/sc areas [filter]`: a region's areas grouped by HMA (by county where it has none), each with its stage;
    a filter as models.areas reads it."""
    described, wanted = directory.matching(filter_text) if filter_text.strip() else ("", directory.areas)
    codes = {a.code for a in wanted}
    sections = []
    for name, areas in directory.groups():
        areas = [a for a in areas if a.code in codes]
        if not areas:
            continue
        lines = []
        for area in areas:
            conversation = begun.get(area.code)
            status = (f"{STAGES[conversation.stage]}, led by <@{conversation.lead_user_id}>"
                      if conversation else "_not begun_")
            lines.append(f"• {escape(area.name)}: {status}")
        sections.append(section(f"*{escape(name)}*\n" + "\n".join(lines)))
    if not sections:
        return message(f"No area, HMA or county matches “{escape(filter_text)}”. Try `/sc areas` for all of them.")
    total = len(directory.areas)
    started = sum(1 for a in directory.areas if a.code in begun)
    head = (f"*{started} of {total} areas have begun* ({started / total:.0%})" if total
            else "No areas are loaded.")
    if described:
        head += f" · showing {escape(described)}"
    return message(f"{started} of {total} areas have begun", [section(head), *sections])
