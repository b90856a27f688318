"""The ids Slack sends back: a view that draws a button or a form and the listener that answers it
name it by the same member here, never by a string typed twice."""
from enum import StrEnum


class ActionId(StrEnum):
    """Buttons."""

    CARD_LOG = "card_log"
    CARD_STAGE = "card_stage"
    CARD_EDIT = "card_edit"
    STAGE_CHOSEN = "stage_chosen"
    ACTION_DONE = "action_done"
    START_OFFERED = "start_offered"
    REMINDER_SNOOZE = "reminder_snooze"
    REMINDER_DONE = "reminder_done"
    REMINDER_CANCEL = "reminder_cancel"
    HOME_START = "home_start"
    HOME_EXTRACT = "home_extract"
    EXTRACT_RETRY = "extract_retry"


class FormId(StrEnum):
    """Modals' callback ids, which their submissions carry."""

    START = "start_conversation"
    LOG = "log_entry"
    STAGE = "set_stage"
    STAGE_SKIP = "skip_stages"
    EDIT = "edit_details"
    SETTINGS = "reminder_settings"
    EXTRACT = "extract_request"
    LOG_MESSAGE = "log_message_entry"


class ShortcutId(StrEnum):
    """Shortcuts' callback ids, as manifest.yml declares them."""

    LOG_MESSAGE = "log_message"
