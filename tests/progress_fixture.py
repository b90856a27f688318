"""A hand-counted history for the progress tests: six conversations begun on known days in autumn 2010.

Counted by hand, on 15 Dec 2010 (a Wednesday; target 1 Apr 2011):
- begun: Leicester (4 Oct), Derby HMA = Amber Valley, Derby, South Derbyshire (13 Oct), Chesterfield
  (10 Nov), Gedling (24 Nov), Rutland (6 Dec), High Peak (14 Dec): 8 of 40 areas.
- stages: Leicester plan-drafted (evidence 25 Oct, drafted 22 Nov); Derby HMA evidence (29 Nov);
  Gedling evidence (2 Dec); Chesterfield, Rutland, High Peak engaged: 3 engaged, 2 evidence, 1 drafted.
- as of 30 Nov: 6 areas (not Rutland, High Peak); Gedling still engaged: 2 engaged, 1 evidence, 1 drafted.
"""
from datetime import date

from sqlmodel import Session

from models import clock
from models.areas import load_directory
from models.conversations import (
    Details,
    add_action,
    add_log_entry,
    require_conversation,
    set_stage,
    start_conversation,
)

TODAY = "2010-12-15T12:00"
LEAD = "U0MEMBER"
OTHER = "U0OTHER"

HISTORY = [
    ("2010-10-04T10:00", "start", "Leicester", LEAD),
    ("2010-10-13T10:00", "start", "Derby HMA", OTHER),
    ("2010-10-20T10:00", "note", "Leicester", "Met the housing team"),
    ("2010-10-25T10:00", "stage", "Leicester", "evidence"),
    ("2010-11-10T10:00", "start", "Chesterfield", LEAD),
    ("2010-11-22T10:00", "stage", "Leicester", "plan-drafted"),
    ("2010-11-24T10:00", "start", "Gedling", OTHER),
    ("2010-11-29T10:00", "stage", "Derby HMA", "evidence"),
    ("2010-11-30T23:30", "note", "Gedling", "Late-night email from the council"),
    ("2010-12-02T09:00", "stage", "Gedling", "evidence"),
    ("2010-12-06T10:00", "start", "Rutland", OTHER),
    ("2010-12-10T10:00", "action", "Chesterfield", "Send the SHMA figures"),  # due 13 Dec: overdue
    ("2010-12-10T10:05", "action", "Gedling", "Book the evidence workshop"),  # due 20 Dec
    ("2010-12-14T10:00", "start", "High Peak", LEAD),
]
DUE = {"Send the SHMA figures": date(2010, 12, 13), "Book the evidence workshop": date(2010, 12, 20)}


def build_history(engine) -> None:
    """Write HISTORY through the same rules the bot uses, each at its own time."""
    with Session(engine) as session:
        directory = load_directory(session)
        try:
            for at, kind, area, what in HISTORY:
                clock.configure("Europe/London", at)
                group = directory.resolve(area)
                if kind == "start":
                    start_conversation(session, directory, group, Details(lead_user_id=what), what)
                    continue
                conversation = require_conversation(session, group)
                if kind == "note":
                    add_log_entry(session, conversation, LEAD, what)
                elif kind == "stage":
                    set_stage(session, conversation, what, LEAD)
                else:
                    add_action(session, conversation, what, LEAD, DUE[what], LEAD)
            session.commit()
        finally:
            clock.configure("Europe/London", "")
