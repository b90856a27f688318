"""The files progress jobs put in Slack (charts, reports), each recorded once it is up,
so that a job run again uploads it no more."""
from sqlmodel import Session

from models import clock
from models.tables import ProgressUpload


def was_uploaded(session: Session, request_key: str, name: str) -> bool:
    return session.get(ProgressUpload, (request_key, name)) is not None


def record_upload(session: Session, request_key: str, name: str, file_id: str) -> None:
    session.add(ProgressUpload(request_key=request_key, name=name, file_id=file_id, uploaded_at=clock.now()))
