"""Extract requests: what `/sc extract` and its form ask for, checked, and the request's life.

A request is saved before it is queued and moves through
waiting (saved while the queue was down) -> queued -> building -> done | failed,
with building -> retrying -> building while a passing fault or a lost worker is retried;
Retry on a failed request queues it again as its next attempt.
"""
import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from models import clock
from models.areas import AreaDirectory, UnknownArea, normalise
from models.errors import InputError, NotFound
from models.evidence import Subject
from models.statistics import PACK_YEARS, TOPICS, stored_years
from models.tables import Conversation, ConversationArea, ExtractRequest

FORMATS = {"xlsx": "spreadsheet", "pdf": "evidence pack", "csv": "figures for analysts",
           "docx": "editable evidence pack"}
DEFAULT_FORMATS = ("xlsx", "pdf")
# The Single Conversation years, asked for when no years are named (those of them the store holds).
DEFAULT_YEARS = PACK_YEARS
RECENT = 10
# Each state a request moves through, as people read it.
STATES = {"waiting": "waiting for the job queue", "queued": "queued", "building": "building",
          "retrying": "retrying", "done": "done", "failed": "failed"}
USAGE = ("Usage: `/sc extract <area | HMA | county | region> [topic ...] [from-to years] [as xlsx|pdf|csv|docx]`, "
         "for example `/sc extract Leicester prices as pdf`. Topics: " + ", ".join(TOPICS) + ".")


@dataclass(frozen=True)
class ExtractSpec:
    """A checked request: what about, which topics and formats, which years."""

    subject: Subject
    topics: tuple[str, ...]
    formats: tuple[str, ...]
    first_year: int
    last_year: int


def _counties_and_regions(directory: AreaDirectory) -> dict[str, Subject]:
    named: dict[str, Subject] = {}
    for county in sorted({a.county for a in directory.areas if a.county}):
        subject = Subject(county, "county", tuple(a.code for a in directory.areas if a.county == county))
        for name in (county, f"{county} county", f"{county} county council"):
            named[normalise(name)] = subject
    for region in sorted({a.region for a in directory.areas if a.region}):
        subject = Subject(region, "region", tuple(a.code for a in directory.areas if a.region == region))
        for name in (region, f"{region} region", "region", "the region", "whole region"):
            named[normalise(name)] = subject
    return named


def subject_of(directory: AreaDirectory, group) -> Subject:
    return Subject(group.name, group.kind, group.codes)


def split_subject(directory: AreaDirectory, text: str) -> tuple[Subject, str]:
    """The area, areas, HMA, county or region named at the start of `text`, and what follows.

    The longest name wins, so "Derbyshire Dales" is the district, not the county.
    """
    named = _counties_and_regions(directory)
    words = list(re.finditer(r"\S+", text.strip()))
    wider = None
    for count in range(min(len(words), 6), 0, -1):
        key = normalise(text[: words[count - 1].end()])
        if key in named:
            wider = (named[key], text[words[count - 1].end():].strip(), count)
            break
    try:
        group, rest = directory.split_leading(text)
    except UnknownArea as error:
        if wider:
            return wider[0], wider[1]
        extra = [match for match, _score, _ in process.extract(
            normalise(error.query), list(named), scorer=fuzz.WRatio, limit=3, score_cutoff=80)]
        names = list(dict.fromkeys(error.suggestions + [named[m].name for m in extra]))
        raise UnknownArea(error.query, names[:3]) from None
    used = len(words) - len(rest.split())
    if wider and wider[2] > used:
        return wider[0], wider[1]
    return subject_of(directory, group), rest


def _suggest(word: str, choices: list[str]) -> str:
    match = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=60)
    return f" Did you mean `{match[0]}`?" if match else ""


def held_years(session: Session) -> tuple[int, int]:
    """The first and last year the statistics store holds figures for; refused when it holds none."""
    years = stored_years(session)
    if years is None:
        raise InputError("The statistics store holds no figures yet, so there is nothing to extract. Whoever runs "
                         "the bot loads them with `scbot stats import`.")
    return years


def default_years(held: tuple[int, int]) -> tuple[int, int]:
    """The Single Conversation years the store holds; all it holds when it holds none of them."""
    first, last = max(DEFAULT_YEARS[0], held[0]), min(DEFAULT_YEARS[1], held[1])
    return (first, last) if first <= last else held


def parse_extract(directory: AreaDirectory, text: str, held: tuple[int, int]) -> ExtractSpec:
    """`<subject> [topic ...] [2008-2011] [as xlsx pdf ...]`, within the years `held` (the store's);
    InputError says what was wrong."""
    text = text.strip()
    if not text:
        raise InputError(USAGE)
    subject, rest = split_subject(directory, text)
    rest = rest.lower()
    formats: list[str] = []
    found = re.search(r"(?:^|\s)as(?:\s+(.*))?$", rest)
    if found:
        rest = rest[: found.start()]
        for word in re.split(r"[\s,+/&]+|\band\b", found.group(1) or ""):
            if not word:
                continue
            if word.lstrip(".") not in FORMATS:
                raise InputError(f"I can't make “{word}”: the formats are {', '.join(FORMATS)}."
                                 + _suggest(word, list(FORMATS)))
            formats.append(word.lstrip("."))
        if not formats:
            raise InputError(f"Which format? Say `as` and one or more of {', '.join(FORMATS)}.")
    years = default_years(held)
    found = re.search(r"(?:from\s+)?(\d{4})\s*(?:-|–|to)\s*(\d{4})|\b(\d{4})\b", rest)
    if found:
        first, last = (int(found.group(1)), int(found.group(2))) if found.group(1) else (int(found.group(3)),) * 2
        said = found.group(0).strip()
        if first > last:
            raise InputError(f"“{said}” runs backwards: give the first year, then the last, e.g. "
                             f"`{held[0]}-{held[1]}`.")
        if not held[0] <= first <= last <= held[1]:
            raise InputError(f"“{said}” is outside the figures' years: {held_only(held)}. Ask for years within "
                             f"them, e.g. `/sc extract {subject.name} {held[0]}-{held[1]}`.")
        years = (first, last)
        rest = rest[: found.start()] + " " + rest[found.end():]
    topics: list[str] = []
    for word in re.split(r"[\s,+/&]+|\band\b", rest):
        if not word:
            continue
        if word == "all":
            topics.extend(TOPICS)
        elif word in TOPICS:
            topics.append(word)
        elif word in FORMATS:
            raise InputError(f"To ask for a format, put `as` before it: `/sc extract {subject.name} as {word}`.")
        else:
            raise InputError(f"“{word}” is not a topic. The topics are {', '.join(TOPICS)}."
                             + _suggest(word, list(TOPICS)))
    return ExtractSpec(subject, _ordered(topics, TOPICS) or tuple(TOPICS),
                       _ordered(formats, FORMATS) or DEFAULT_FORMATS, *years)


def _ordered(chosen: list[str], order) -> tuple[str, ...]:
    return tuple(key for key in order if key in chosen)


def held_only(held: tuple[int, int]) -> str:
    return f"the statistics store holds figures for {held[0]} to {held[1]} only"


FORM_OUT_OF_DATE = "That form is out of date or not one of mine: open it again with `/sc extract`."


def spec_from_form(directory: AreaDirectory, chosen: list[str], topics: list[str], formats: list[str],
                   first_year: int, last_year: int, held: tuple[int, int]) -> ExtractSpec:
    """The form's choices: one HMA, county or the region, or one or more areas. Held to the command's rules:
    only what the form offers (a forged area, topic or format is refused) and the command's years."""
    if any(not isinstance(value, str) for value in (*chosen, *topics, *formats)):
        raise InputError(FORM_OUT_OF_DATE)
    named = _counties_and_regions(directory)
    wider = [value.partition(":")[::2] for value in chosen if not value.startswith("area:")]
    codes = tuple(value.removeprefix("area:") for value in chosen if value.startswith("area:"))
    if len(wider) + bool(codes) > 1:
        raise InputError("Choose one HMA, county or region, or one or more areas, not several kinds.")
    if wider:
        kind, name = wider[0]
        subject = (subject_of(directory, directory.hma_group(name)) if kind == "hma" and name in directory.hmas
                   else named.get(normalise(name)) if kind in ("county", "region") else None)
        if subject is None or subject.kind != kind:
            raise InputError(FORM_OUT_OF_DATE, field="areas")
    elif any(code not in directory.by_code for code in codes):
        raise InputError(FORM_OUT_OF_DATE, field="areas")
    elif len(codes) == 1:
        subject = subject_of(directory, directory.area_group(codes[0]))
    elif codes:
        subject = Subject(", ".join(sorted(directory.by_code[c].name for c in codes)), "areas", codes)
    else:
        raise InputError("Choose an area, an HMA, a county or the region.", field="areas")
    if any(topic not in TOPICS for topic in topics):
        raise InputError(FORM_OUT_OF_DATE, field="topics")
    if any(key not in FORMATS for key in formats):
        raise InputError(FORM_OUT_OF_DATE, field="formats")
    if not topics:
        raise InputError("Choose at least one topic.", field="topics")
    if not formats:
        raise InputError("Choose at least one format.", field="formats")
    if first_year > last_year:
        raise InputError("The first year comes after the last.", field="first_year")
    if not held[0] <= first_year <= last_year <= held[1]:
        raise InputError(f"The {held_only(held)}: choose years between them.", field="first_year")
    return ExtractSpec(subject, _ordered(topics, TOPICS), _ordered(formats, FORMATS), first_year, last_year)


# --- the request's life ----------------------------------------------------------

def where_to_post(session: Session, subject: Subject, regions: frozenset[str] | None = None) -> tuple[str, str]:
    """(channel, thread) of the conversation covering every area of the subject; ("", "") for a DM. With
    `regions` (those whose team the requester is in), a conversation of another region's is not one they
    can be sure to read: the files come to them in a DM instead."""
    covering = session.exec(
        select(ConversationArea.conversation_id)
        .where(col(ConversationArea.area_code).in_(subject.codes))
        .group_by(col(ConversationArea.conversation_id))
        .having(func.count() == len(subject.codes))
    ).first()
    if covering is None:
        return "", ""
    conversation = session.get(Conversation, covering)
    if not conversation.card_ts or (regions is not None and conversation.region not in regions):
        return "", ""
    return conversation.channel_id, conversation.card_ts


def save_request(session: Session, spec: ExtractSpec, user: str,
                 regions: frozenset[str] | None = None) -> ExtractRequest:
    channel, thread = where_to_post(session, spec.subject, regions)
    request = ExtractRequest(
        requested_by=user, requested_at=clock.now(), subject=spec.subject.name, subject_kind=spec.subject.kind,
        area_codes=",".join(spec.subject.codes), topics=",".join(spec.topics), formats=",".join(spec.formats),
        first_year=spec.first_year, last_year=spec.last_year, channel_id=channel, thread_ts=thread,
    )
    session.add(request)
    session.flush()
    return request


def get_request(session: Session, request_id: int) -> ExtractRequest:
    request = session.get(ExtractRequest, request_id)
    if request is None:
        raise NotFound("That extract request no longer exists.")
    return request


def subject_of_request(request: ExtractRequest) -> Subject:
    return Subject(request.subject, request.subject_kind, tuple(request.area_codes.split(",")))


def set_state(session: Session, request_id: int, state: str, reason: str = "") -> ExtractRequest:
    request = get_request(session, request_id)
    request.state, request.reason = state, reason
    if state in ("done", "failed"):
        request.finished_at = clock.now()
    session.add(request)
    return request


def record_status_message(session: Session, request_id: int, channel: str, ts: str) -> None:
    """Where the request's status message is, so the worker updates it in place from now on."""
    request = get_request(session, request_id)
    request.status_channel, request.status_ts = channel, ts
    session.add(request)


def record_files(session: Session, request_id: int, file_ids: list[str], file_names: list[str]) -> None:
    """The files are in Slack: a retried job uploads them no more."""
    request = get_request(session, request_id)
    request.file_ids, request.file_names = ",".join(file_ids), ",".join(file_names)
    session.add(request)


def retry_request(session: Session, request_id: int) -> ExtractRequest:
    """A failed request, queued again as its next attempt; anything else is left as it is. Conditional, so
    that of Retry pressed twice at once only the first queues it."""
    retried = session.exec(update(ExtractRequest).where(col(ExtractRequest.id) == request_id,
                                                         col(ExtractRequest.state) == "failed")
                           .values(attempt=ExtractRequest.attempt + 1, state="waiting", reason="", finished_at=None))
    request = get_request(session, request_id)
    session.refresh(request)
    if retried.rowcount != 1:
        raise InputError(f"Extract #{request.id} is {request.state}, not failed, so there is nothing to retry.")
    return request


def recent_requests(session: Session, user: str) -> list[ExtractRequest]:
    return list(session.exec(select(ExtractRequest).where(ExtractRequest.requested_by == user)
                             .order_by(col(ExtractRequest.id).desc()).limit(RECENT)))


def waiting_requests(session: Session) -> list[ExtractRequest]:
    """Requests saved while the queue was down, to be queued when it is back."""
    return list(session.exec(select(ExtractRequest).where(ExtractRequest.state == "waiting")
                             .order_by(col(ExtractRequest.id))))


def describe(request: ExtractRequest) -> str:
    return (f"#{request.id} {request.subject}: {request.topics.replace(',', ', ')}, "
            f"{request.first_year}-{request.last_year}, as {request.formats.replace(',', ' and ')}")

