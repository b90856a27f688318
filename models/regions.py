"""The regions of England and the team that holds each region's Single Conversations.

A region's team is its team channel (whose members may write to the region's
conversations), its staff (who may write without being in the channel), its
managers (its settings and report) and its target date. One region's team
comes from the environment (SC_REGION, by default the East Midlands, with
SC_TEAM_CHANNEL, SC_STAFF, SC_MANAGERS and SC_TARGET_DATE), so a deployment
made for one region keeps working unchanged; `scbot region set` configures
the others, or overrides the environment's. The environment's managers are
also the national managers: England's report is theirs.
"""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.areas import normalise
from models.errors import InputError
from models.tables import Area, RegionPerson, RegionTeam

ENGLAND = "England"
# The nine regions of England, in the order ONS lists them (E12000001 to E12000009).
REGIONS = ("North East", "North West", "Yorkshire and The Humber", "East Midlands", "West Midlands",
           "East of England", "London", "South East", "South West")
STAFF, MANAGER = "staff", "manager"
# Names people use for a region besides its own.
_ALSO_CALLED = {"yorkshire": "Yorkshire and The Humber", "yorkshire and humber": "Yorkshire and The Humber",
                "east": "East of England", "eastern": "East of England"}


@dataclass(frozen=True)
class Team:
    """One region's team, as configured."""

    region: str
    channel: str  # "" until one is set: nobody is in it, so only staff may write
    staff: frozenset[str]
    managers: frozenset[str]
    target_date: date


@dataclass(frozen=True)
class Teams:
    """Every configured region's team, and the national managers."""

    teams: tuple[Team, ...]
    national_managers: frozenset[str]
    default_region: str

    def named(self, region: str) -> Team | None:
        return next((team for team in self.teams if team.region == region), None)

    def of_channel(self, channel: str) -> Team | None:
        """The team whose team channel this is."""
        return next((team for team in self.teams if channel and team.channel == channel), None)

    def of_region(self, region: str) -> Team:
        """The team whose settings `region` goes by: its own, else (England, a region with no team, "") the
        environment's."""
        return self.named(region) or self.default

    @property
    def default(self) -> Team:
        return self.named(self.default_region) or self.teams[0]

    @property
    def channels(self) -> list[str]:
        return [team.channel for team in self.teams if team.channel]


def region_named(text: str) -> str | None:
    """The region (or "England") a person named, however they spelled its case or "and"/"&"."""
    key = normalise(text)
    if key == normalise(ENGLAND):
        return ENGLAND
    for region in REGIONS:
        if normalise(region) == key:
            return region
    return _ALSO_CALLED.get(key)


def load_teams(session: Session, default: Team, national_managers: frozenset[str]) -> Teams:
    """The teams stored by `scbot region set`, with `default` (the environment's) for its region unless
    one is stored for it."""
    people: dict[str, dict[str, set[str]]] = {}
    for person in session.exec(select(RegionPerson)):
        people.setdefault(person.region, {STAFF: set(), MANAGER: set()})[person.role].add(person.user_id)
    stored = {row.region: Team(
        region=row.region, channel=row.channel_id,
        staff=frozenset(people.get(row.region, {}).get(STAFF, ())),
        managers=frozenset(people.get(row.region, {}).get(MANAGER, ())),
        target_date=row.target_date or default.target_date,
    ) for row in session.exec(select(RegionTeam))}
    stored.setdefault(default.region, default)
    order = {region: n for n, region in enumerate(REGIONS)}
    teams = tuple(sorted(stored.values(), key=lambda team: (order.get(team.region, len(order)), team.region)))
    return Teams(teams, national_managers, default.region)


def set_team(session: Session, region: str, channel: str, staff: set[str], managers: set[str],
             target_date: date | None, by: str, at: datetime, environment: Team | None = None) -> str:
    """Configure a region's team, replacing what was set for it; returns the region's own name. A channel
    already a team's is refused: the stored teams' and `environment`'s (the environment's team), whose
    channel stays its region's until a team stored for that region replaces it."""
    name = region_named(region)
    if name is None or name == ENGLAND:
        raise InputError(f"“{region}” is not a region of England. The regions are: {', '.join(REGIONS)}.")
    if not session.exec(select(Area.code).where(Area.region == name).limit(1)).first():
        raise InputError(f"No area of {name} is loaded yet: run `scbot regions import` first.")
    for user in (*staff, *managers):
        if not user.startswith(("U", "W")) or not user.isalnum():
            raise InputError(f"“{user}” is not a Slack user id (they look like U0123ABCD).")
    if channel and not (channel[0] in "CG" and channel.isalnum()):
        raise InputError(f"“{channel}” is not a Slack channel id (they look like C0123ABCD).")
    taken = set(session.exec(select(RegionTeam.region).where(RegionTeam.channel_id == channel)))
    if environment and environment.channel == channel and not session.get(RegionTeam, environment.region):
        taken.add(environment.region)
    taken.discard(name)
    if channel and taken:
        raise InputError(f"<#{channel}> is already the team channel of {min(taken)}: each region has its own.")
    session.merge(RegionTeam(region=name, channel_id=channel, target_date=target_date, changed_by=by,
                             changed_at=at))
    try:
        session.flush()
    except IntegrityError:  # the unique index: another `scbot region set` gave it away a moment ago
        raise InputError(f"<#{channel}> was made another region's team channel a moment ago: each region has "
                         "its own.") from None
    session.exec(delete(RegionPerson).where(col(RegionPerson.region) == name))
    session.add_all([RegionPerson(region=name, user_id=user, role=STAFF) for user in sorted(staff)]
                    + [RegionPerson(region=name, user_id=user, role=MANAGER) for user in sorted(managers)])
    return name
