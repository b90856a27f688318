"""What a mention of the bot asks, read by keywords and patterns (no language model)."""
import re
from dataclasses import dataclass

PROGRESS, LEAD, NOT_BEGUN, OVERDUE, UNKNOWN = "progress", "lead", "not-begun", "overdue", "unknown"
UNDERSTOOD = ["how are we doing?", "progress in Derbyshire", "who leads Leicester?",
              "which areas have not started?", "what's overdue?"]

_MENTION = re.compile(r"<[@!#][^>]*>")
# "in Derbyshire", wherever it stands: "which areas in Derbyshire have not started yet?"
_PLACE = re.compile(r"\b(?:in|for|across)\s+(?P<place>.+?)(?=\s+(?:have|has|haven't|hasn't|are|is|not|yet|so far)\b|$)")
_PATTERNS = [
    (LEAD, re.compile(r"\bwho(?:'s| is)? (?:leads?|leading|runs|running|in charge of)\s+(?P<place>.+)")),
    (NOT_BEGUN, re.compile(r"(?:\bnot|n't|\byet to)\s+(?:been\s+)?(?:started|begun|begin|start)\b")),
    (OVERDUE, re.compile(r"\b(?:overdue|late actions?|past due)\b")),
    (PROGRESS, re.compile(r"\bhow (?:is|are|'s)\s+(?!we\b|things\b|it\b)(?P<place>.+?)\s+(?:doing|going|getting on)\b")),
    (PROGRESS, re.compile(r"\b(?:progress|coverage|status|on track)\b")),
    (PROGRESS, re.compile(r"\bhow (?:are|is|'s) (?:we|things|it) (?:doing|going|getting on)\b")),
]


@dataclass(frozen=True)
class Question:
    kind: str
    place: str = ""  # an area, HMA or county, as typed; empty for the whole list


def read_question(text: str) -> Question:
    said = " ".join(_MENTION.sub(" ", text).replace("’", "'").lower().split())
    for kind, pattern in _PATTERNS:
        found = pattern.search(said)
        if found:
            place = found.groupdict().get("place")
            if place is None and kind != OVERDUE:
                in_place = _PLACE.search(said)
                place = in_place.group("place") if in_place else ""
            return Question(kind, re.sub(r"^the\s+", "", (place or "").strip(" ?!.")))
    return Question(UNKNOWN)
