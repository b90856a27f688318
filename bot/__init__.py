"""The Single Conversation bot: app factory, settings and entry points."""
