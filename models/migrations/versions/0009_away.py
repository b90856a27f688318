"""away and deputies: who is away until which day, and who covers for them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString()
    op.create_table(
        "absence",
        sa.Column("user_id", text, nullable=False),
        sa.Column("deputy_user_id", text, nullable=False),
        sa.Column("since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("back_on", sa.Date(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("absence")
