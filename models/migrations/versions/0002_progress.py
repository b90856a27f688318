"""progress: uploaded files, and an index of the stage history

Revision ID: 0002p
Revises: 0002r
Create Date: 2026-11-27
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002p"
down_revision = "0002r"
branch_labels = None
depends_on = None

STAGE_CHANGES = sa.text("stage_to <> ''")


def upgrade() -> None:
    op.create_table(
        "progressupload",
        sa.Column("request_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("file_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("uploaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("request_key", "name"),
    )
    op.create_index("ix_logentry_stage_history", "logentry", ["conversation_id", "created_at"],
                    sqlite_where=STAGE_CHANGES, postgresql_where=STAGE_CHANGES)


def downgrade() -> None:
    op.drop_index("ix_logentry_stage_history", table_name="logentry")
    op.drop_table("progressupload")
