"""the coverage canvas: its id in each team channel, so it is created once and then replaced in place

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString()
    op.create_table(
        "teamcanvas",
        sa.Column("channel_id", text, nullable=False),
        sa.Column("canvas_id", text, nullable=False),
        sa.Column("kind", text, nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("shown_mark", text, nullable=False),
        sa.Column("content_hash", text, nullable=False),
        sa.Column("problem", text, nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("channel_id"),
    )


def downgrade() -> None:
    op.drop_table("teamcanvas")
