"""The stages of a Single Conversation, in order."""
from rapidfuzz import fuzz, process

from models.areas import normalise
from models.errors import InputError

STAGES: dict[str, str] = {
    "engaged": "Engaged",
    "evidence": "Shared evidence base",
    "plan-drafted": "Local Investment Plan drafted",
    "plan-agreed": "Local Investment Plan agreed",
    "agreement-signed": "Local Investment Agreement signed",
    "delivery": "Delivery",
}
FIRST_STAGE = "engaged"

# What people also call a stage.
_ALIASES = {
    normalise(alias): stage
    for stage, aliases in {
        "evidence": ["evidence base", "shared evidence", "shared evidence base"],
        "plan-drafted": ["lip drafted", "plan drafted", "drafted"],
        "plan-agreed": ["lip agreed", "plan agreed", "agreed"],
        "agreement-signed": ["lia signed", "agreement signed", "signed", "lia", "agreement"],
    }.items()
    for alias in aliases
} | {normalise(stage): stage for stage in STAGES} | {normalise(label): stage for stage, label in STAGES.items()}
# What could mean either of two stages: the person is asked which.
_EITHER = {normalise(words): ("plan-drafted", "plan-agreed")
           for words in ("plan", "lip", "local investment plan", "investment plan")}


def stage_list() -> str:
    return ", ".join(f"`{stage}`" for stage in STAGES)


def stage_choices(text: str) -> tuple[str, ...]:
    """The stage `text` names, or the stages it could mean (the person is then asked which); refused when it
    names none."""
    key = normalise(text)
    if not key:
        raise InputError(f"Name a stage: {stage_list()}.")
    if key in _ALIASES:
        return (_ALIASES[key],)
    if key in _EITHER:
        return _EITHER[key]
    close = process.extractOne(key, list(_ALIASES), scorer=fuzz.WRatio, score_cutoff=70)
    hint = f" Did you mean `{_ALIASES[close[0]]}`?" if close else ""
    raise InputError(f"“{text}” is not a stage.{hint} The stages, in order: {stage_list()}.")


def skipped_stages(was: str, to: str) -> list[str]:
    """The stages passed over moving forward from `was` to `to` (none moving back or one on)."""
    order = list(STAGES)
    return order[order.index(was) + 1: order.index(to)]


def stage_number(stage: str) -> int:
    """1 for the first stage; for showing progress as 'stage 3 of 6'."""
    return list(STAGES).index(stage) + 1
