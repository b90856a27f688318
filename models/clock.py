"""The one place the app reads the time.

Each process has one `Clock`, set by its entry point (the web server, Socket
Mode, the console, the worker and clock processes) from SC_TIMEZONE and SC_NOW; the module's functions
read that one clock, so callers never pass it around. `SC_NOW` pins the clock
for demos, tests and replays. Times are aware datetimes throughout; the
database keeps them in UTC.
"""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo


class Clock:
    """The team's timezone and, when pinned, the instant it shows."""

    def __init__(self, tz_name: str = "Europe/London", pinned: str = ""):
        self.tz = ZoneInfo(tz_name)
        self.pinned = self.parse_instant(pinned) if pinned else None

    def parse_instant(self, text: str) -> datetime:
        """An ISO 8601 instant; one without an offset is read in the team's timezone."""
        instant = datetime.fromisoformat(text.strip())
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=self.tz)
        return instant

    def now(self) -> datetime:
        """The current instant, in the team's timezone."""
        return (self.pinned or datetime.now(timezone.utc)).astimezone(self.tz)

    def local(self, instant: datetime) -> datetime:
        """An instant in the team's timezone."""
        return instant.astimezone(self.tz)


_clock = Clock()


def configure(tz_name: str, pinned: str = "") -> None:
    """Set this process's clock; for entry points (and tests), once, before anything reads the time."""
    global _clock
    _clock = Clock(tz_name, pinned)


def pin(instant: datetime | None) -> None:
    """Move the clock to `instant` (the console's /time); None lets it run again."""
    _clock.pinned = instant


def parse_instant(text: str) -> datetime:
    return _clock.parse_instant(text)


def now() -> datetime:
    return _clock.now()


def today() -> date:
    return _clock.now().date()


def local(instant: datetime) -> datetime:
    return _clock.local(instant)
