"""Taking each Slack event once, whatever Slack's retries do."""
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models import clock
from models.tables import SlackEvent


def claim_event(session: Session, event_id: str) -> bool:
    """True the first time an event id is seen; False for a retry of one already taken."""
    session.add(SlackEvent(event_id=event_id, received_at=clock.now()))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    return True
