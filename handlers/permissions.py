"""Who may do what, as listener middleware: reading is open to anyone, writing is for the team,
the report and the settings are for managers. A refusal is raised and answered by the one error handler.

Whether someone is in the team is read from the database (models.team), never from Slack, so the
check costs no call to Slack inside the acknowledgement."""
from enum import Enum

from bot.services import Services
from jobs.membership import read_in_background
from models.errors import Refused

NOT_TEAM = ("Only the regional team can change Single Conversations: members of the team channel "
            "or staff listed in the bot's settings. You can still read them: try `/sc show <area>`.")
NOT_MANAGER = ("Only managers (listed in the bot's settings) can do that. `/sc progress` shows the progress "
               "figures to anyone.")
MEMBERS_NOT_READ = ("I haven't read the team channel's members from Slack yet, so I can't tell whether you may "
                    "change Single Conversations. Nothing was changed; please try again in a minute. "
                    "You can still read them: try `/sc show <area>`.")


class Who(Enum):
    ANYONE = "anyone"
    TEAM = "team"
    MANAGERS = "managers"


def user_of(body: dict) -> str:
    """The person behind a slash command (user_id) or an interaction (user.id)."""
    user = body.get("user")
    return user.get("id", "") if isinstance(user, dict) else body.get("user_id", "")


def channel_of(body: dict) -> str:
    """Where a slash command (channel_id) or an interaction (channel.id) was made; "" for a form."""
    channel = body.get("channel")
    return channel.get("id", "") if isinstance(channel, dict) else body.get("channel_id", "")


def check(services: Services, who: Who, user: str, channel: str = "") -> None:
    """Refused unless `user` is one of `who`, of the team the request is for (the region's whose channel it came
    from, or the person's own: Services.team_of) or, for managers, one of the national managers."""
    if who is Who.ANYONE:
        return
    team = services.team_of(user, channel)
    if who is Who.MANAGERS and user not in team.managers | services.teams().national_managers:
        raise Refused(NOT_MANAGER)
    if who is Who.TEAM:
        member = services.is_team_member(user, team)
        if member is None:
            # Never read (a new install): fail closed, and read it now for the next try.
            read_in_background(services)
            raise Refused(MEMBERS_NOT_READ)
        if not member:
            raise Refused(NOT_TEAM)


def only(services: Services, who: Who):
    """Listener middleware letting through only `who`."""
    def permitted(body: dict, next) -> None:
        user = user_of(body)
        check(services, who, user, channel_of(body))
        next()
    return permitted
