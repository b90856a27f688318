"""The port finder some tests import; the tests' services live in the offline kit (bot/offline/local_services.py)."""
from bot.offline.local_services import free_port

__all__ = ["free_port"]
