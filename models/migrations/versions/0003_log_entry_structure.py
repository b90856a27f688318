"""log entries keep an action's owner and due date as fields, not as markup in their text

Revision ID: 0003
Revises: 0002s
Create Date: 2026-11-30
"""
import re
from datetime import datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002s"
branch_labels = None
depends_on = None

# How earlier versions wrote an action into its log entry: "Action for <@U1> (due 7 Jan 2011): text".
OLD_ACTION = re.compile(r"^Action for <@([A-Z0-9]+)>(?: \(due (\d{1,2} \w{3} \d{4})\))?: (.*)$", re.DOTALL)


def upgrade() -> None:
    with op.batch_alter_table("logentry") as table:
        table.add_column(sa.Column("owner_user_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                   server_default=""))
        table.add_column(sa.Column("due_on", sa.Date(), nullable=True))
    connection = op.get_bind()
    entries = sa.table("logentry", sa.column("id"), sa.column("kind"), sa.column("text"),
                       sa.column("owner_user_id"), sa.column("due_on"))
    for row in connection.execute(sa.select(entries).where(entries.c.kind.in_(["action", "action-done"]))):
        if row.kind == "action-done":
            changes = {"text": row.text.removeprefix("Done: ")}
        else:
            old = OLD_ACTION.match(row.text)
            if not old:
                continue
            due = datetime.strptime(old.group(2), "%d %b %Y").date() if old.group(2) else None
            changes = {"owner_user_id": old.group(1), "due_on": due, "text": old.group(3)}
        connection.execute(entries.update().where(entries.c.id == row.id).values(**changes))


def downgrade() -> None:
    with op.batch_alter_table("logentry") as table:
        table.drop_column("due_on")
        table.drop_column("owner_user_id")
