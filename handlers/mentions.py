"""Answers to @mentions of the bot in a channel, in the thread of the mention."""
from slack_bolt import App, Say

from bot.services import Services
from bot.views import blocks
from bot.views.mentions import (
    MENTION_HELP,
    lead_answer,
    not_begun_answer,
    overdue_answer,
    short_progress,
)
from models import clock
from models.areas import region_in_words
from models.conversations import conversation_of
from models.progress import not_begun, overdue_actions, scope_of
from models.questions import (
    LEAD,
    NOT_BEGUN,
    OVERDUE,
    PROGRESS,
    read_question,
)
from models.regions import REGIONS
from models.slack_text import read_sent_text


def register(app: App, services: Services) -> None:
    @app.event("app_mention")
    def answer_mention(event: dict, say: Say) -> None:
        # A question the bot can't answer is explained by the error handler, in the same thread.
        text = answer(services, event.get("text", ""), event.get("user", ""), event.get("channel", ""))
        say(text=text, blocks=[blocks.section(text)], thread_ts=event.get("thread_ts") or event["ts"])


def answer(services: Services, text: str, user: str = "", channel: str = "") -> str:
    """The answer to a mention by `user` in `channel`: places are looked for in that channel's region (or the
    person's) first, and progress is that region's."""
    question = read_question(read_sent_text(text))  # Slack escapes a mention's text as it does a command's
    team = services.team_of(user, channel)
    directory = services.directory()
    with services.session() as session:
        if question.kind == LEAD:
            group = directory.region_first(team.region).resolve(question.place)
            return lead_answer(group.name, conversation_of(session, group))
        if question.kind == OVERDUE:
            # The region's team's actions alone, as `/sc actions all` lists them.
            return overdue_answer(overdue_actions(session, clock.today(), team.region), clock.today())
        if question.kind in (PROGRESS, NOT_BEGUN):
            scope = scope_of(directory, question.place, region=team.region)
            if question.kind == NOT_BEGUN:
                where = region_in_words(scope.name) if scope.name in REGIONS else scope.name
                return not_begun_answer(where, not_begun(session, directory, scope))
            # Against the place's own region's target, as `/sc progress` measures it.
            return short_progress(services.measure(session, scope, clock.today()))
    return MENTION_HELP
