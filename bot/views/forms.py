"""The forms (modals) of conversations and settings."""
from datetime import date

from bot.views.blocks import MAX_OPTIONS, day, escape, plain, section
from bot.views.ids import FormId
from models.areas import AreaDirectory
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
    return _modal(FormId.START, "Start a conversation",
                  [areas, *_details_blocks(caller, "", None, "")], submit="Start")


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


def stage_modal(conversation: Conversation) -> dict:
    options = [{"text": plain(f"{label} ({key})"), "value": key} for key, label in STAGES.items()]
    current = next(o for o in options if o["value"] == conversation.stage)
    return _modal(FormId.STAGE, "Set stage", [
        section(f"*{escape(conversation.title)}* is at *{STAGES[conversation.stage]}*."),
        _input("stage", "Stage", {"type": "static_select", "options": options, "initial_option": current}),
    ], metadata=f"{conversation.id}:{conversation.stage}")  # the stage shown: a stale form changes nothing


def settings_saved_modal(saved) -> dict:
    """What the settings form turns into once saved: the settings as they now stand."""
    weekday = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")[min(saved.digest_weekday, 4)]
    return {"type": "modal", "title": plain("Reminder settings"), "close": plain("Done"), "blocks": [section(
        ":white_check_mark: *Saved.* From now on:\n"
        f"• The weekly digest goes to <#{saved.digest_channel}> on {weekday}s at {saved.digest_time:%H:%M}.\n"
        f"• A lead is nudged when their conversation has been quiet for {saved.stale_days} "
        f"day{'s' if saved.stale_days != 1 else ''}.\n"
        f"• The target date, by which every area is to have begun, is {day(saved.target_date)}.")]}


def settings_modal(current) -> dict:
    """The managers' form for the reminder settings (a models.reminders.ReminderSettings)."""
    days = [{"text": plain(d.capitalize()), "value": d}
            for d in ("monday", "tuesday", "wednesday", "thursday", "friday")]
    channel = {"type": "channels_select"}
    if current.digest_channel:
        channel["initial_channel"] = current.digest_channel
    return _modal(FormId.SETTINGS, "Reminder settings", [
        _input("digest_day", "Weekly digest: day", {"type": "static_select", "options": days,
                                                    "initial_option": days[min(current.digest_weekday, 4)]}),
        _input("digest_time", "Weekly digest: time", {"type": "timepicker",
                                                      "initial_time": current.digest_time.strftime("%H:%M")}),
        _input("digest_channel", "Channel for the digest and countdown", channel),
        _input("stale_days", "Nudge leads when a conversation is quiet for (days)",
               _text_input(False, str(current.stale_days), 3)),
        _input("target_date", "Target date: every area begun by", {
            "type": "datepicker", "initial_date": current.target_date.isoformat()}),
    ], metadata=current.version)
