"""The forms (modals) of conversations and settings."""
from datetime import date, datetime

from bot.views.blocks import MAX_OPTIONS, day, escape, plain, section, when
from bot.views.conversation import skip_warning
from bot.views.ids import FormId
from bot.views.reminders import settings_metadata
from models.areas import AreaDirectory
from models.conversations import SourceMessage
from models.stages import STAGES
from models.tables import Conversation
from models.text import DETAILS_TEXT_MAX, LOG_TEXT_MAX


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
    """Option groups for choosing a region's areas: its HMAs first, then the areas of each HMA (of each county,
    in a region without HMAs).

    None when there are more than a select menu holds (a national list); the
    modal then asks for a name, read by the same lookup as the commands.
    """
    def option(text: str, value: str) -> dict:
        return {"text": plain(text), "value": value}

    groups = ([{"label": plain("Housing Market Areas (all their areas)"),
                "options": [option(h, f"hma:{h}") for h in directory.hmas]}] if directory.hmas else [])
    groups += [{"label": plain(name[:75]), "options": [option(a.name, f"area:{a.code}") for a in areas]}
               for name, areas in directory.groups()]
    if sum(len(g["options"]) for g in groups) > MAX_OPTIONS or len(groups) > MAX_OPTIONS:
        return None
    return groups


def notice_modal(text: str) -> dict:
    """A modal that only tells something (where a message can't be answered in place)."""
    return {"type": "modal", "title": plain("Single Conversation"), "close": plain("OK"),
            "blocks": [section(text)]}


def _areas_input(directory: AreaDirectory, several: bool) -> dict:
    """The areas chooser: an HMA or `several` areas from the list, or a name typed where the list is too long."""
    groups = area_options(directory)
    if groups is None:
        return _input("areas", "Area or HMA", _text_input(False, "", 200), hint="e.g. Leicester or Nottingham Core HMA")
    if several:
        return _input("areas", "Areas", {"type": "multi_static_select", "option_groups": groups,
                                         "placeholder": plain("An HMA, or one or more areas")})
    return _input("areas", "Area or HMA", {"type": "static_select", "option_groups": groups,
                                           "placeholder": plain("The conversation's area or HMA")})


def start_modal(directory: AreaDirectory, caller: str) -> dict:
    return _modal(FormId.START, "Start a conversation",
                  [_areas_input(directory, several=True), *_details_blocks(caller, "", None, "")], submit="Start")


def edit_modal(conversation: Conversation) -> dict:
    c = conversation
    return _modal(FormId.EDIT, "Edit details",
                  [section(f"*{escape(c.title)}*"), *_details_blocks(c.lead_user_id, c.contacts, c.first_meeting_on, c.notes)],
                  metadata=str(c.id))


def log_modal(conversation: Conversation) -> dict:
    return _modal(FormId.LOG, "Log update", [
        section(f"Log entry for *{escape(conversation.title)}*"),
        _input("text", "What happened", _text_input(True, "", LOG_TEXT_MAX)),
    ], metadata=str(conversation.id))


def message_log_modal(directory: AreaDirectory, text: str, source: SourceMessage, author: str, posted: datetime,
                      files: list[str], metadata: str) -> dict:
    """The "Log to Single Conversation" form: where the message is from, the area or HMA to log it to, and its
    text (as much as a log entry holds), which the person may edit. `author` is a person's id, "" for an app."""
    where = "a direct message" if source.channel.startswith("D") else f"<#{source.channel}>"
    link = (f"<{escape(source.url)}|Open the message>." if source.url else
            "I can't link to it, as it is in a conversation I'm not in; the log will say when it was written.")
    about = [section(f"From {f'<@{author}>' if author else 'an app'} in {where}, {when(posted)}. {link}")]
    if not text:
        shared = f"it shares {', '.join(f'*{escape(name)}*' for name in files)}" if files else "it has only attachments"
        about.append(section(f":warning: This message has no text I can copy: {shared}. Write what to log below."))
    elif len(text) > LOG_TEXT_MAX:
        about.append(section(f":scissors: The message is {len(text):,} characters long and a log entry holds "
                             f"{LOG_TEXT_MAX:,}, so its first {LOG_TEXT_MAX:,} are below: shorten it as you need."))
    return _modal(FormId.LOG_MESSAGE, "Log to conversation", [
        *about,
        _areas_input(directory, several=False),
        _input("text", "What to log", _text_input(True, text[:LOG_TEXT_MAX], LOG_TEXT_MAX)),
    ], metadata=metadata, submit="Log")


def stage_modal(conversation: Conversation) -> dict:
    options = [{"text": plain(f"{label} ({key})"), "value": key} for key, label in STAGES.items()]
    current = next(o for o in options if o["value"] == conversation.stage)
    return _modal(FormId.STAGE, "Set stage", [
        section(f"*{escape(conversation.title)}* is at *{STAGES[conversation.stage]}*."),
        _input("stage", "Stage", {"type": "static_select", "options": options, "initial_option": current}),
    ], metadata=f"{conversation.id}:{conversation.stage}")  # the stage shown: a stale form changes nothing


def stage_skip_modal(conversation: Conversation, stage: str) -> dict:
    """What the stage form turns into when the stage chosen passes over others: nothing changes until confirmed."""
    return _modal(FormId.STAGE_SKIP, "Skip stages?", [section(skip_warning(conversation, stage))],
                  metadata=f"{conversation.id}:{conversation.stage}:{stage}", submit="Skip stages")


def settings_saved_modal(saved) -> dict:
    """What the settings form turns into once saved: the settings as they now stand."""
    weekday = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")[min(saved.digest_weekday, 4)]
    return {"type": "modal", "title": plain("Reminder settings"), "close": plain("Done"), "blocks": [section(
        f":white_check_mark: *Saved* for {escape(saved.region)}. From now on:\n"
        f"• The weekly digest goes to <#{saved.digest_channel}> on {weekday}s at {saved.digest_time:%H:%M}.\n"
        f"• A lead is nudged when their conversation has been quiet for {saved.stale_days} "
        f"day{'s' if saved.stale_days != 1 else ''}.\n"
        f"• A lead is nudged when a conversation's delivery confidence is over {saved.confidence_days} "
        f"day{'s' if saved.confidence_days != 1 else ''} old, or was never given.\n"
        f"• The target date, by which every area is to have begun, is {day(saved.target_date)}.")]}


def settings_modal(current) -> dict:
    """The managers' form for a region's reminder settings (a models.reminders.ReminderSettings)."""
    days = [{"text": plain(d.capitalize()), "value": d}
            for d in ("monday", "tuesday", "wednesday", "thursday", "friday")]
    channel = {"type": "channels_select"}
    if current.digest_channel:
        channel["initial_channel"] = current.digest_channel
    return _modal(FormId.SETTINGS, "Reminder settings", [
        section(f"The {escape(current.region)} team's digest, nudges and target."),
        _input("digest_day", "Weekly digest: day", {"type": "static_select", "options": days,
                                                    "initial_option": days[min(current.digest_weekday, 4)]}),
        _input("digest_time", "Weekly digest: time", {"type": "timepicker",
                                                      "initial_time": current.digest_time.strftime("%H:%M")}),
        _input("digest_channel", "Channel for the digest and countdown", channel),
        _input("stale_days", "Quiet for this many days: nudge the lead, and count the area at risk",
               _text_input(False, str(current.stale_days), 3)),
        _input("confidence_days", "Delivery confidence older than this many days: nudge the lead",
               _text_input(False, str(current.confidence_days), 3)),
        _input("target_date", "Target date: every area begun by", {
            "type": "datepicker", "initial_date": current.target_date.isoformat()}),
    ], metadata=settings_metadata(current))
