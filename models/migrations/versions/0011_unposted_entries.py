"""an index of the log entries not yet posted to their threads, which the clock looks for every minute

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UNPOSTED = sa.text("slack_ts = ''")
NAME = "ix_logentry_unposted"


def upgrade() -> None:
    op.create_index(NAME, "logentry", ["conversation_id"], sqlite_where=UNPOSTED, postgresql_where=UNPOSTED)


def downgrade() -> None:
    op.drop_index(NAME, table_name="logentry")
