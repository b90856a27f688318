"""Slack listeners, one module per kind; each parses, calls the domain in `models`, and renders."""
from slack_bolt import App

from bot.services import Services
from handlers import actions, commands, events, mentions, reminders, views


def register_all(app: App, services: Services) -> None:
    for module in (commands, actions, views, events, mentions, reminders):
        module.register(app, services)
