"""delivery confidence: each assessment of a conversation, with its rating, reason, author and date

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString()
    op.create_table(
        "confidenceassessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("rating", text, nullable=False),
        sa.Column("reason", text, nullable=False),
        sa.Column("assessed_by", text, nullable=False),
        sa.Column("assessed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_confidenceassessment_conversation_id", "confidenceassessment", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_confidenceassessment_conversation_id", table_name="confidenceassessment")
    op.drop_table("confidenceassessment")
