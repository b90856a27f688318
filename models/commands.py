"""Reading what follows `/sc <command>`: Slack-free, so the console and tests share it."""
import re
from dataclasses import dataclass
from datetime import date, datetime

from models.areas import AreaDirectory, AreaGroup
from models.errors import InputError
from models.stages import parse_stage, stage_list
from models.text import ACTION_TEXT_MAX, LOG_TEXT_MAX, check_text, parse_date

# Slack sends a mention picked from the @ menu as <@U123|name> (or <@U123>).
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
DATE_LIKE = re.compile(
    r"(?i)\d|\b(?:today|tomorrow|next|mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun"
    r"|jul|aug|sep|oct|nov|dec)[a-z]*\b"
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
    stage: str


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
    return StageRequest(group, parse_stage(stage_text))


def parse_action(directory: AreaDirectory, args: str, caller: str, now: datetime) -> ActionRequest:
    """`<area> <text> [due <date>] [@owner]`; the owner is the caller when none is named."""
    group, rest = directory.split_leading(args)
    owners = MENTION.findall(rest)
    if len(owners) > 1:
        raise InputError("An action has one owner: mention only one person.")
    rest = MENTION.sub("", rest).strip()
    unlinked = re.search(r"(?:^|\s)@(\w[\w.\-]*)\s*$", rest)
    if unlinked:
        raise InputError(f"I can't tell who “@{unlinked.group(1)}” is: pick them from Slack's @ menu "
                         "so the name becomes a link.")
    due_on = None
    due = re.search(r"(?i)(?:^|\s)due\s+(.+?)\s*$", rest)
    # "due diligence" is text; "due 31/02/2011" is a date that must parse.
    if due and DATE_LIKE.search(due.group(1)):
        due_on = parse_date(due.group(1), now)
        rest = rest[: due.start()].strip()
    return ActionRequest(group, check_text("action", rest, ACTION_TEXT_MAX),
                         owners[0] if owners else caller, due_on)
