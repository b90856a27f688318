"""Answers to @mentions of the bot in a channel, in the thread of the mention."""
from slack_bolt import App, Say

from bot import blocks
from bot.services import Services

MENTION_HELP = blocks.escape("I keep the region's Single Conversations. Try `/sc help` for everything I can do, "
                "`/sc areas` for where each area stands, or `/sc show <area>` for one conversation.")


def register(app: App, services: Services) -> None:
    @app.event("app_mention")
    def answer_mention(event: dict, say: Say) -> None:
        say(text=MENTION_HELP, blocks=[blocks.section(MENTION_HELP)],
            thread_ts=event.get("thread_ts") or event["ts"])
