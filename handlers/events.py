"""Events API listeners, and the once-only rule for Slack's retried deliveries.

Slack retries an event it thinks went unanswered (X-Slack-Retry-Num). The
event id is claimed in the database before the event is handled, so a retry of
one already taken is acknowledged and dropped, while a retry whose first
delivery never arrived is handled as new.
"""
from datetime import datetime, timezone

from slack_bolt import App, BoltResponse

from bot.services import Services
from models.errors import ServiceDown
from models.events import claim_event
from models.team import heard


def register(app: App, services: Services) -> None:
    @app.middleware
    def once_per_event(body: dict, next, logger) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            return next()
        try:
            with services.session() as session:
                first = claim_event(session, event_id)
        except ServiceDown:
            # Answer 503 so that Slack retries once the database is back.
            logger.warning("database down; event %s left for Slack's retry", event_id)
            return BoltResponse(status=503, body="database unavailable")
        if not first:
            return BoltResponse(status=200, body="")
        return next()

    @app.event("member_joined_channel")
    @app.event("member_left_channel")
    def team_changed(event: dict) -> None:
        """Who may write is each region's team channel's members: a join or leave is stored as it is heard."""
        channel, user = event.get("channel"), event.get("user")
        if channel not in services.teams().channels or not isinstance(user, str) or not user:
            return
        joined = event.get("type") == "member_joined_channel"
        with services.session() as session:
            heard(session, channel, user, joined, datetime.now(timezone.utc))  # real time: it orders what was heard
        services.forget_team_members()
