"""log entries remember the message they were logged from, so a message is logged to a conversation once

The "Log to Single Conversation" message shortcut records the message's channel, its ts and its link. A unique
index over (conversation, channel, ts), for those entries alone, refuses a second entry from the same message.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FROM_A_MESSAGE = sa.text("source_ts IS NOT NULL")
NAME = "uq_logentry_source"


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default), which SQLite does in place: no copy of the log.
    for column in ("source_channel", "source_ts", "source_url"):
        op.add_column("logentry", sa.Column(column, sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_index(NAME, "logentry", ["conversation_id", "source_channel", "source_ts"], unique=True,
                    sqlite_where=FROM_A_MESSAGE, postgresql_where=FROM_A_MESSAGE)


def downgrade() -> None:
    op.drop_index(NAME, table_name="logentry")
    # In place too (SQLite 3.35 and later): a batch copy of the table would lose the stage history index's order.
    for column in ("source_url", "source_ts", "source_channel"):
        op.drop_column("logentry", column)
