"""The one place the app reads the time.

`SC_NOW` pins the clock for demos, tests and replays.
Times are aware datetimes throughout; the database keeps them in UTC.
"""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

_tz = ZoneInfo("Europe/London")
_pinned: datetime | None = None


def configure(tz_name: str, pinned: str = "") -> None:
    global _tz, _pinned
    _tz = ZoneInfo(tz_name)
    _pinned = parse_instant(pinned) if pinned else None


def pin(instant: datetime | None) -> None:
    """Move the clock to `instant` (the console's /time); None lets it run again."""
    global _pinned
    _pinned = instant


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; one without an offset is read in the team's timezone."""
    instant = datetime.fromisoformat(text.strip())
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=_tz)
    return instant


def now() -> datetime:
    """The current instant, in the team's timezone."""
    return (_pinned or datetime.now(timezone.utc)).astimezone(_tz)


def today() -> date:
    return now().date()


def local(instant: datetime) -> datetime:
    """An instant in the team's timezone."""
    return instant.astimezone(_tz)
