"""Reading what follows `/sc <command>`: Slack-free, so the console and tests share it."""
import re
from dataclasses import dataclass
from datetime import date, datetime

from models.areas import AreaDirectory, AreaGroup
from models.errors import InputError
from models.stages import stage_choices, stage_list
from models.text import (
    ACTION_TEXT_MAX,
    DATE_EXAMPLES,
    LOG_TEXT_MAX,
    check_text,
    parse_date,
)

# Slack sends a mention picked from the @ menu as <@U123|name> (or <@U123>).
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
# A name typed after @ that Slack did not link: not the middle of an email address, nor @channel or @here.
UNLINKED = re.compile(r"(?<![\w.@<|])@(?!(?:channel|here|everyone)\b)([A-Za-z0-9][\w.\-]*)")
OWNER_AT_END = re.compile(r"\s*<@[UW][A-Z0-9]+>\s*$")
DUE = re.compile(r"(?i)(?:^|\s)due\s+(.+?)\s*$")
# What follows "due" when it is a date; anything else ("due diligence") is part of what is to be done.
DATE_START = re.compile(
    r"(?i)^(?:\d|(?:today|tomorrow|yesterday|next|this|last|on|by|soon|asap|end|week|month)\b"
    r"|in\s+(?:\d|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+few)\b"
    r"|(?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)"
)


@dataclass(frozen=True)
class Command:
    """A `/sc` line as typed: the subcommand, the words after it, who typed it, where, and the
    trigger that lets the bot answer with a form."""

    name: str
    args: str
    user: str
    channel: str = ""
    trigger_id: str = ""


# The longest a `/sc` line can usefully be: the longest log entry, its area and the words before it.
# Anything longer is refused before a word of it is read.
COMMAND_TEXT_MAX = LOG_TEXT_MAX + 200


def check_command_length(text: str) -> None:
    if len(text) > COMMAND_TEXT_MAX:
        raise InputError(f"That is {len(text):,} characters long; the longest a command can be is "
                         f"{COMMAND_TEXT_MAX:,} (a log entry at most {LOG_TEXT_MAX:,}). "
                         "Shorten it or split it into two.")


def split_command(text: str) -> tuple[str, str]:
    name, _, args = text.strip().partition(" ")
    return name.lower(), args.strip()


@dataclass
class LogRequest:
    group: AreaGroup
    text: str  # empty: ask with a form


@dataclass
class StageRequest:
    group: AreaGroup
    said: str
    stages: tuple[str, ...]  # the stage named, or the stages the words could mean


@dataclass
class ActionRequest:
    group: AreaGroup
    text: str
    owner: str
    due_on: date | None


def parse_log(directory: AreaDirectory, args: str) -> LogRequest:
    group, text = directory.split_leading(args)
    return LogRequest(group, check_text("log entry", text, LOG_TEXT_MAX) if text else "")


def parse_stage_request(directory: AreaDirectory, args: str) -> StageRequest:
    group, stage_text = directory.split_leading(args)
    if not stage_text:
        raise InputError(f"Say which stage {group.name} has reached, e.g. `/sc stage {group.name} evidence`. "
                         f"The stages, in order: {stage_list()}.")
    return StageRequest(group, stage_text, stage_choices(stage_text))


def parse_action(directory: AreaDirectory, args: str, caller: str, now: datetime) -> ActionRequest:
    """`<area> <text> [due <date>] [@owner]`. The person mentioned, anywhere, owns the action (the caller when
    nobody is); a mention within the text stays there, one at the end only names the owner. A due date is
    today or later."""
    group, rest = directory.split_leading(args)
    owners = list(dict.fromkeys(MENTION.findall(rest)))
    if len(owners) > 1:
        raise InputError("An action has one owner: mention only them with @, and write anyone else's name "
                         "without it.")
    unlinked = UNLINKED.search(MENTION.sub("", rest))
    if unlinked:
        raise InputError(f"I can't tell who “@{unlinked.group(1)}” is: pick them from Slack's @ menu "
                         "so the name becomes a link.")
    text = OWNER_AT_END.sub("", MENTION.sub(lambda m: f"<@{m.group(1)}>", rest))
    text, due_on = _due_date(text, now)
    return ActionRequest(group, check_text("action", OWNER_AT_END.sub("", text), ACTION_TEXT_MAX),
                         owners[0] if owners else caller, due_on)


def _due_date(text: str, now: datetime) -> tuple[str, date | None]:
    """The text without its closing `due <date>`, and the date; a date that can't be read or has passed is
    refused with what would work."""
    due = DUE.search(text)
    if not due or not DATE_START.match(due.group(1)):
        return text, None
    said = due.group(1)
    day = parse_date(re.sub(r"(?i)^by\s+", "", said), now)
    if day < now.date():
        raise InputError(f"“due {said}” would be {day:%-d %b %Y}, which has passed: give a due date from today "
                         f"on. Dates that work: {DATE_EXAMPLES}.")
    return text[: due.start()].strip(), day
