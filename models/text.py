"""Checks on the text people type, within Slack's limits."""
import re
from datetime import date, datetime, timedelta

import dateparser

from models.errors import InputError

# A section block holds 3,000 characters; leave room for the author and time.
LOG_TEXT_MAX = 2800
ACTION_TEXT_MAX = 500
DETAILS_TEXT_MAX = 2000
DATE_EXAMPLES = ("`2011-01-10`, `10/01/2011`, `10 Jan 2011`, `tomorrow`, `friday`, `next friday` or `in 2 weeks` "
                 "(`/sc help` says what each means)")


NUL_REFUSED = ("Your text has a NUL character (\\0) in it, which I can't store; it usually comes with a paste. "
               "Remove it and try again.")


def nul_at(value, path: tuple = ()) -> tuple | None:
    """Where, in a payload of dicts, lists and strings, a NUL character is (PostgreSQL stores no NUL); None if nowhere."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = nul_at(key, path) if isinstance(key, str) else None
        found = found if found is not None else nul_at(item, (*path, key))
        if found is not None:
            return found
    return None


def check_text(what: str, text: str, limit: int) -> str:
    if "\x00" in text:
        raise InputError(NUL_REFUSED)
    text = text.strip()
    if not text:
        raise InputError(f"The {what} is empty: write what to record after the area.")
    if len(text) > limit:
        raise InputError(
            f"The {what} is {len(text):,} characters long; Slack shows at most {limit:,}. "
            "Shorten it or split it into two."
        )
    return text


WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def weekday_date(text: str, now: datetime) -> date | None:
    """A day of the week as people name it; None when `text` names none.

    `friday` (or `this friday`, `on fri`) is the coming Friday, never today: on a Friday, a week today.
    `next friday` is the Friday of next week, weeks beginning on Monday: on a Tuesday ten days on, on a
    Saturday or Sunday the coming Friday."""
    found = re.fullmatch(r"(?:(next|this|on)\s+)?([a-z]{3,9})", text.strip().lower())
    if not found:
        return None
    day = next((n for n, name in enumerate(WEEKDAYS) if name.startswith(found.group(2))), None)
    if day is None:
        return None
    if found.group(1) == "next":
        return now.date() + timedelta(days=7 - now.weekday() + day)
    return now.date() + timedelta(days=(day - now.weekday() - 1) % 7 + 1)


def parse_date(text: str, now: datetime) -> date:
    """A calendar date as people write it in the UK; relative words count from `now` (see `/sc help`)."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        # ISO dates are year-month-day, never the day-first order used below.
        try:
            return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
        except ValueError:
            raise InputError(f"“{text}” is not a date in the calendar. Dates that work: {DATE_EXAMPLES}.") from None
    weekday = weekday_date(text, now)
    if weekday is not None:
        return weekday
    settings = {
        "DATE_ORDER": "DMY",
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "REQUIRE_PARTS": ["day"],
    }
    parsed = dateparser.parse(text, languages=["en"], settings=settings) if text else None
    if parsed is None:
        raise InputError(f"I couldn't read “{text}” as a date. Dates that work: {DATE_EXAMPLES}.")
    return parsed.date()
