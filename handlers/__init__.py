"""Slack listeners, one module per kind; each parses, calls the domain in `models`, and renders."""
from slack_bolt import App

from bot.services import Services
from handlers import (
    actions,
    commands,
    events,
    extracts,
    home,
    mentions,
    progress,
    reminders,
    views,
)


def register_all(app: App, services: Services) -> None:
    # progress first: its /sc listener takes `progress` and `report` before the general one takes the rest.
    for module in (progress, commands, actions, views, events, mentions, reminders, home, extracts):
        module.register(app, services)
