"""Who is in the team channel, so that who may write is known without asking Slack.

Slack tells the bot of each join and leave (member_joined_channel and
member_left_channel events), and the channel's whole list is read again now
and then (conversations.members), in case an event went missing. Each fact is
stored with when it was heard, so a list read while someone was leaving never
brings them back.

Until the whole list has been read once, a person no event has named is
neither in nor out: `Roster.includes` answers None, and the caller says so.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from models.tables import TeamChannel, TeamMember


@dataclass(frozen=True)
class Roster:
    """What is known of one team channel's members."""

    members: frozenset[str]
    outside: frozenset[str]  # heard to have left, or not on the list when it was read
    read: bool  # the whole list has been read at least once

    def includes(self, user: str) -> bool | None:
        if user in self.members:
            return True
        if self.read or user in self.outside:
            return False
        return None


def roster(session: Session, channel: str) -> Roster:
    rows = session.exec(select(TeamMember.user_id, TeamMember.member).where(TeamMember.channel_id == channel))
    members, outside = set(), set()
    for user, member in rows:
        (members if member else outside).add(user)
    return Roster(frozenset(members), frozenset(outside), list_read(session, channel))


def list_read(session: Session, channel: str) -> bool:
    """Whether the channel's whole list has been read from Slack at least once."""
    return session.get(TeamChannel, channel) is not None


def heard(session: Session, channel: str, user: str, member: bool, at: datetime) -> None:
    """A join (`member`) or a leave heard at `at`; something heard later about the person stands."""
    row = session.get(TeamMember, (channel, user))
    if row is None:
        session.add(TeamMember(channel_id=channel, user_id=user, member=member, changed_at=at))
    elif row.changed_at <= at:
        row.member, row.changed_at = member, at
        session.add(row)


def read_whole_list(session: Session, channel: str, members: set[str], asked_at: datetime) -> None:
    """Slack's whole list, asked for at `asked_at`: everyone on it is in and everyone else out,
    except where a join or leave heard since says otherwise."""
    rows = {row.user_id: row for row in session.exec(select(TeamMember).where(TeamMember.channel_id == channel))}
    for user in members - rows.keys():
        session.add(TeamMember(channel_id=channel, user_id=user, member=True, changed_at=asked_at))
    for user, row in rows.items():
        if row.changed_at <= asked_at and row.member != (user in members):
            row.member, row.changed_at = user in members, asked_at
            session.add(row)
    session.merge(TeamChannel(channel_id=channel, read_at=asked_at))
