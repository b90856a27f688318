"""HTTP mode: Slack's requests at POST /slack/events, and GET /healthz, as one WSGI app."""
import json

import redis
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from bot.app import create_app, warm_up
from bot.gate import RequestGate
from bot.logs import configure_logging
from bot.services import Services
from bot.settings import Settings, get_settings
from jobs.membership import read_if_never_read
from models import clock
from models.errors import ServiceDown

# A write that needs the rights the bot writes with, in a transaction rolled back: it changes nothing and
# holds no row, yet a read-only database or one refusing this role its changes says so.
_WRITE_CHECK = text("INSERT INTO alembic_version (version_num) SELECT 'healthz' WHERE 1 = 0")


def health(services: Services) -> tuple[int, dict]:
    """200 when the database takes changes and Redis answers; otherwise 503, naming what is down."""
    checks = {}
    try:
        with services.session() as session:
            session.execute(_WRITE_CHECK)
            session.rollback()
        checks["database"] = "ok"
    except ServiceDown as error:
        checks["database"] = error.state
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
    configure_logging()
    settings = settings or get_settings()
    clock.configure(settings.sc_timezone, settings.sc_now)
    slack = RequestGate(SlackRequestHandler(create_app(settings)), settings)
    services = Services(settings)
    read_if_never_read(services)  # the team channel's members, in the background: no request waits on it
    warm_up()

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            status, report = health(services)
            body = json.dumps(report).encode()
            start_response(f"{status} {'OK' if status == 200 else 'Service Unavailable'}",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return slack(environ, start_response)

    return application
