"""HTTP mode: Slack's requests at POST /slack/events, and GET /healthz, as one WSGI app."""
import json
import logging

import redis
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.app import create_app
from bot.services import Services
from bot.settings import Settings, get_settings
from models import clock
from models.db import ping
from jobs.membership import read_if_never_read
from models.errors import ServiceDown


def health(services: Services) -> tuple[int, dict]:
    """200 when the database and Redis answer; otherwise 503, naming what is down."""
    checks = {}
    try:
        ping(services.engine)
        checks["database"] = "ok"
    except Exception as error:  # any failure to answer counts as down
        checks["database"] = f"down: {type(error).__name__}"
    try:
        services.redis.ping()
        checks["redis"] = "ok"
    except (redis.RedisError, OSError, ServiceDown) as error:
        checks["redis"] = f"down: {type(error).__name__}"
    down = [name for name, state in checks.items() if state != "ok"]
    return (503 if down else 200), {"status": "down" if down else "ok", "down": down, "checks": checks}


def create_wsgi_app(settings: Settings | None = None):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = settings or get_settings()
    clock.configure(settings.sc_timezone, settings.sc_now)
    slack = SlackRequestHandler(create_app(settings))
    services = Services(settings)

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            status, report = health(services)
            body = json.dumps(report).encode()
            start_response(f"{status} {'OK' if status == 200 else 'Service Unavailable'}",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return slack(environ, start_response)
    read_if_never_read(services)  # the team channel's members, in the background: no request waits on it
    warm_up()

    return application
