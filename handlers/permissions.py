"""Who may do what: reading is open to anyone, writing is for the regions' teams, the report and the settings
are for managers. A refusal is raised and answered by the one error handler.

Writing is checked twice. The listener middleware lets through only a member of some region's team, so an
outsider is refused at once; once the words are read, `check_region` lets a person write to an area's
conversation only if they are in that area's region's team (its channel's members and its staff), wherever
they typed. Whether someone is in a team is read from the database (models.team), never from Slack, so
neither check costs a call to Slack inside the acknowledgement."""
from enum import Enum

from bot.services import Services
from jobs.membership import read_in_background, refused_channels
from models.areas import region_in_words
from models.errors import Refused
from models.regions import Team
from models.tables import Conversation

NOT_TEAM = ("Only the regional team can change Single Conversations: members of a region's team channel "
            "or staff listed in the bot's settings. You can still read them: try `/sc show <area>`.")
NOT_MANAGER = ("Only managers (listed in the bot's settings) can do that. `/sc progress` shows the progress "
               "figures to anyone.")
ANOTHER_REGIONS_MANAGER = ("This is {here} team's channel, and you manage {theirs}: ask from {theirs} team's "
                           "channel or in a direct message with me. `/sc progress` shows any region's figures to "
                           "anyone.")
MEMBERS_NOT_READ = ("I haven't read the team channel's members from Slack yet, so I can't tell whether you may "
                    "change Single Conversations. Nothing was changed; please try again in a minute. "
                    "You can still read them: try `/sc show <area>`.")

MEMBERS_REFUSED = ("I can't tell whether you may change Single Conversations: Slack won't list who is in <#{channel}> "
                   "(it answered `{error}`). If I'm not in that channel, invite me with `/invite @scbot` there, "
                   "then try again. Nothing was changed. You can still read them: try `/sc show <area>`.")


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
        theirs = next((other for other in services.teams().teams if user in other.managers), None)
        if theirs is not None:  # a manager of another region, asking in this one's channel
            raise Refused(ANOTHER_REGIONS_MANAGER.format(here=region_in_words(team.region),
                                                         theirs=region_in_words(theirs.region)))
        raise Refused(NOT_MANAGER)
    if who is Who.TEAM:
        # Any region's team: which region's areas the request writes to is known once its words are read.
        teams = [team, *(other for other in services.teams().teams if other != team)]
        _refuse_unless_member(services, user, teams, NOT_TEAM)


def _refuse_unless_member(services: Services, user: str, teams: list[Team], refusal: str) -> None:
    unread = []
    for team in teams:
        member = services.is_team_member(user, team)
        if member:
            return
        if member is None:
            unread.append(team.channel)
    if unread:
        # A channel never read (a new install, a new region's team): fail closed, and read it now for the next try.
        read_in_background(services)
        refused_there = next((channel for channel in unread if channel in refused_channels), None)
        if refused_there:
            raise Refused(MEMBERS_REFUSED.format(channel=refused_there, error=refused_channels[refused_there]))
        raise Refused(MEMBERS_NOT_READ)
    raise Refused(refusal)


def check_region(services: Services, user: str, region: str, subject: str) -> None:
    """Refused unless `user` may write to `subject` (an area, HMA or conversation) of `region`: a member of that
    region's team channel or one of its staff. The refusal says where that team is."""
    teams = services.teams()
    region = region or teams.default_region  # a conversation older than regions is the environment's region's
    team = teams.named(region)
    where = f"{subject} is in {region_in_words(region)}"
    if team is None:
        raise Refused(f"{where}, whose team is not set up in this bot yet: an administrator sets it with "
                      "`scbot region set`.")
    if not team.channel:
        refusal = (f"{where}, whose team has no team channel set yet: only its staff can change its Single "
                   "Conversations until an administrator sets one with `scbot region set`.")
    else:
        refusal = f"{where}: its team holds its Single Conversation in <#{team.channel}>. Ask there."
    _refuse_unless_member(services, user, [team], refusal)


def check_conversation(services: Services, user: str, conversation: Conversation) -> None:
    """`check_region` for an existing conversation."""
    check_region(services, user, conversation.region, conversation.title)


def only(services: Services, who: Who):
    """Listener middleware letting through only `who`."""
    def permitted(body: dict, next) -> None:
        user = user_of(body)
        check(services, who, user, channel_of(body))
        next()
    return permitted
