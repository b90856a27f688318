"""Delivery confidence: the lead's judgement of each conversation, and where it and the log disagree.

The five ratings are those of the UK government's Delivery Confidence Assessment. Each assessment is kept
with its reason, author and date; the newest of a conversation is the one that stands. It is written in the
conversation's log too (so its thread and the coverage canvas see it), but it is not activity with the
council: it leaves the conversation's last activity, and so its quietness, as they were.
"""
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from rapidfuzz import fuzz, process
from sqlalchemy import func
from sqlmodel import Session, col, select

from models import clock
from models.areas import AreaDirectory, AreaGroup
from models.errors import InputError
from models.tables import ConfidenceAssessment, Conversation, ConversationArea, LogEntry
from models.text import check_text

REASON_MAX = 500  # characters: a reason is shown whole on the card, the canvas and the report
DEFAULT_DAYS = 28  # an assessment older than this earns the lead a nudge (the confidence_days setting)


class Rating(StrEnum):
    GREEN = "green"
    AMBER_GREEN = "amber-green"
    AMBER = "amber"
    AMBER_RED = "amber-red"
    RED = "red"

    @property
    def label(self) -> str:
        return "/".join(part.capitalize() for part in self.value.split("-"))


# The lead is surer than the log suggests, or less sure than it: where the two disagree.
CONFIDENT = (Rating.GREEN, Rating.AMBER_GREEN)
DOUBTFUL = (Rating.AMBER_RED, Rating.RED)
RATINGS_SAID = ", ".join(f"`{r.value}`" for r in Rating)
EXAMPLE = '`/sc confidence Leicester amber "cabinet decision in January"`'


def disagreement_rule(quiet_days: int | None = None) -> str:
    """The rule in words: with the quiet-days setting's number, or (None) naming the setting."""
    over, within = ((f"over {quiet_days} days (the quiet-days setting)", f"in the last {quiet_days} days")
                    if quiet_days else ("longer than the quiet-days setting (`/sc settings`, 21 days unless changed)",
                                        "within that many days"))
    return (f"The lead's confidence and the log disagree when a conversation rated Green or Amber/Green has had no "
            f"log entry for {over}, or one rated Amber/Red or Red has moved on a stage {within}.")


def _key(words: str) -> str:
    """A rating as typed, in one spelling: "Amber / Green", "amber green", "amber-green" and "A/G" alike."""
    return re.sub(r"[\s/_-]+", "-", words.strip().lower())


# Single letters are not read ("a" begins many a reason); "A/G" and "A/R" are.
_SAID = {_key(r.label): r for r in Rating} | {_key(f"{r.value[0]}/{r.value.split('-')[1][0]}"): r
                                              for r in Rating if "-" in r.value}
_SAID |= {key.replace("-", ""): rating for key, rating in _SAID.items() if "-" in key}  # "ag", "amberred"


def read_rating(words: list[str]) -> tuple[Rating, int]:
    """The rating at the start of `words` (one word, or two: "amber green"), and how many words it took."""
    for count in (3, 2, 1):  # "amber / green" is three
        if len(words) >= count and _key(" ".join(words[:count])) in _SAID:
            return _SAID[_key(" ".join(words[:count]))], count
    said = words[0] if words else ""
    close = process.extractOne(_key(said), [r.value for r in Rating], scorer=fuzz.ratio, score_cutoff=60)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    raise InputError(f"“{said}” is not a delivery confidence rating.{hint} The ratings: {RATINGS_SAID} "
                     f"(also written Amber/Green, A/G). For example {EXAMPLE}.")


@dataclass(frozen=True)
class ConfidenceRequest:
    group: AreaGroup
    rating: Rating
    reason: str


def parse_confidence(directory: AreaDirectory, args: str) -> ConfidenceRequest:
    """`<area> <rating> <why>`; the reason may be in quotes."""
    group, rest = directory.split_leading(args)
    words = rest.split()
    if not words:
        raise InputError(f"How confident are you in delivering {group.name}, and why? Give a rating ({RATINGS_SAID}) "
                         f"and the reason, for example {EXAMPLE}.")
    rating, used = read_rating(words)
    reason = " ".join(words[used:]).strip().strip("\"“”'‘’").strip()
    if not reason:
        raise InputError(f"Why {rating.label}? Say what the rating rests on after it, for example {EXAMPLE}.")
    return ConfidenceRequest(group, rating, check_text("reason", reason, REASON_MAX))


def assess(session: Session, conversation: Conversation, rating: Rating, reason: str,
           author: str) -> ConfidenceAssessment:
    """Record an assessment, and its entry in the conversation's log."""
    now = clock.now()
    assessment = ConfidenceAssessment(conversation_id=conversation.id, rating=rating.value,
                                      reason=check_text("reason", reason, REASON_MAX), assessed_by=author,
                                      assessed_at=now)
    session.add(assessment)
    session.add(LogEntry(conversation_id=conversation.id, author_user_id=author, created_at=now,
                         kind="confidence", text=f"Delivery confidence: {rating.label}. {assessment.reason}"))
    session.flush()
    return assessment


def latest_assessments(session: Session, conversation_ids: Iterable[int] | None = None,
                       before: datetime | None = None) -> dict[int, ConfidenceAssessment]:
    """The assessment that stands for each conversation assessed (of those given, or of all), now or just
    before `before`."""
    newest = select(func.max(ConfidenceAssessment.id)).group_by(ConfidenceAssessment.conversation_id)
    if conversation_ids is not None:
        newest = newest.where(col(ConfidenceAssessment.conversation_id).in_(list(conversation_ids)))
    if before is not None:
        newest = newest.where(col(ConfidenceAssessment.assessed_at) < before)
    return {a.conversation_id: a for a in session.exec(
        select(ConfidenceAssessment).where(col(ConfidenceAssessment.id).in_(newest)))}


def rating_of(assessment: ConfidenceAssessment) -> Rating:
    return Rating(assessment.rating)


@dataclass(frozen=True)
class Disagreement:
    """A conversation whose standing assessment the log contradicts (disagreement_rule)."""

    conversation: Conversation
    assessment: ConfidenceAssessment
    quiet_days: int  # whole days since its last log entry
    window: int  # the quiet-days setting it was judged by

    @property
    def why(self) -> str:
        rating = rating_of(self.assessment)
        return (f"rated {rating.label}, but no log entry for {self.quiet_days} days" if rating in CONFIDENT
                else f"rated {rating.label}, but it moved on a stage in the last {self.window} days")


def _covering(codes: Iterable[str] | None):
    """The conversations covering any of `codes` (all, when None)."""
    query = select(Conversation)
    if codes is not None:
        query = query.where(col(Conversation.id).in_(select(ConversationArea.conversation_id).where(
            col(ConversationArea.area_code).in_(list(codes)))))
    return query


def standing(session: Session, codes: Iterable[str], before: datetime,
             ) -> list[tuple[Conversation, ConfidenceAssessment]]:
    """Each conversation covering any of `codes` that was assessed before `before`, with the assessment that
    stood then, by title."""
    conversations = {c.id: c for c in session.exec(_covering(codes))}
    found = latest_assessments(session, conversations, before)
    return sorted(((conversations[i], a) for i, a in found.items()), key=lambda pair: pair[0].title)


def disagreements(session: Session, now: datetime, quiet_days: int,
                  codes: Iterable[str] | None = None) -> list[Disagreement]:
    """Where the lead's confidence and the log disagree at `now` (disagreement_rule), among the conversations
    covering any of `codes` (all, when None); the quietest first."""
    conversations = {c.id: c for c in session.exec(_covering(codes))}
    standing = latest_assessments(session, conversations)
    since = now - timedelta(days=quiet_days)
    moved = set(session.exec(select(LogEntry.conversation_id).where(
        LogEntry.kind == "stage", col(LogEntry.created_at) > since,
        col(LogEntry.conversation_id).in_(list(standing)))))
    found = []
    for conversation_id, assessment in standing.items():
        conversation = conversations[conversation_id]
        quiet = conversation.last_activity_at < since
        days = (clock.local(now).date() - clock.local(conversation.last_activity_at).date()).days
        rating = rating_of(assessment)
        if (rating in CONFIDENT and quiet) or (rating in DOUBTFUL and conversation_id in moved):
            found.append(Disagreement(conversation, assessment, days, quiet_days))
    return sorted(found, key=lambda d: (-d.quiet_days, d.conversation.title))


def due_for_assessment(session: Session, now: datetime, days: int,
                       region: str = "") -> list[tuple[Conversation, ConfidenceAssessment | None]]:
    """Conversations (of `region`, when given) begun over `days` ago whose last assessment is older than
    `days`, or that have none: each with its last assessment, by title."""
    since = now - timedelta(days=days)
    query = select(Conversation).where(col(Conversation.started_at) < since)
    if region:
        query = query.where(Conversation.region == region)
    conversations = list(session.exec(query.order_by(col(Conversation.title))))
    standing = latest_assessments(session, [c.id for c in conversations])
    return [(c, standing.get(c.id)) for c in conversations
            if c.id not in standing or standing[c.id].assessed_at < since]


@dataclass(frozen=True)
class ConfidenceSummary:
    """A report's delivery confidence: what stood on its day and, for a report about today, where it and the
    log disagree (None: not judged)."""

    standing: list[tuple[Conversation, ConfidenceAssessment]] = field(default_factory=list)
    disagreeing: list[Disagreement] | None = None
