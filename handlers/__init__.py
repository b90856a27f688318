"""Slack listeners, one module per surface; each parses, calls the domain in `models`, and renders
with `bot.views`. Permissions are listener middleware (handlers.permissions); every failure is
answered by one error handler (handlers.errors)."""
from slack_bolt import App

from bot.services import Services
from handlers import (
    actions,
    commands,
    errors,
    events,
    extracts,
    forms,
    home,
    mentions,
    reminders,
    shortcuts,
)


def register_all(app: App, services: Services) -> None:
    errors.register(app)
    # Each module registers listeners for its own ids only, so the order does not change who answers; Bolt
    # tries each listener in turn, so the busiest (`/sc`) comes first.
    for module in (commands, events, actions, forms, reminders, extracts, home, mentions, shortcuts):
        module.register(app, services)
