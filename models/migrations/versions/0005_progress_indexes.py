"""progress: the stage history index covers what `/sc progress` reads, so no log entry is fetched

The latest stage change of each conversation as of a day is read in index order (newest first within a
conversation) from the index alone: PostgreSQL answers it by an index-only scan, SQLite by a covering
index, instead of fetching each stage change's row from among all the log entries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STAGE_CHANGES = sa.text("stage_to <> ''")
NAME = "ix_logentry_stage_history"


def upgrade() -> None:
    op.drop_index(NAME, table_name="logentry")
    op.create_index(NAME, "logentry",
                    ["conversation_id", sa.text("created_at DESC"), sa.text("id DESC"), "stage_to"],
                    sqlite_where=STAGE_CHANGES, postgresql_where=STAGE_CHANGES)


def downgrade() -> None:
    op.drop_index(NAME, table_name="logentry")
    op.create_index(NAME, "logentry", ["conversation_id", "created_at"],
                    sqlite_where=STAGE_CHANGES, postgresql_where=STAGE_CHANGES)
