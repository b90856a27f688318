"""regions: each region's team (channel, staff, managers, target date), a conversation's region, and
settings kept per region

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# What a database made for one region holds: its settings become that region's.
ONE_REGION = "East Midlands"


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString()
    op.create_table(
        "regionteam",
        sa.Column("region", text, nullable=False),
        sa.Column("channel_id", text, nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("changed_by", text, nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("region"),
    )
    op.create_index("uq_regionteam_channel", "regionteam", ["channel_id"], unique=True,
                    sqlite_where=sa.text("channel_id <> ''"), postgresql_where=sa.text("channel_id <> ''"))
    op.create_table(
        "regionperson",
        sa.Column("region", text, nullable=False),
        sa.Column("user_id", text, nullable=False),
        sa.Column("role", text, nullable=False),
        sa.PrimaryKeyConstraint("region", "user_id", "role"),
    )
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(sa.Column("region", text, nullable=False, server_default=""))
    op.create_index("ix_conversation_region", "conversation", ["region"])
    op.execute("UPDATE conversation SET region = COALESCE((SELECT area.region FROM conversationarea "
               "JOIN area ON area.code = conversationarea.area_code "
               "WHERE conversationarea.conversation_id = conversation.id ORDER BY area.code LIMIT 1), '')")

    # The settings managers saved are the region's whose areas the database holds (most of them).
    bind = op.get_bind()
    region = bind.execute(sa.text("SELECT region FROM area WHERE region <> '' GROUP BY region "
                                  "ORDER BY COUNT(*) DESC LIMIT 1")).scalar() or ONE_REGION
    op.create_table(
        "botsetting_by_region",
        sa.Column("region", text, nullable=False),
        sa.Column("key", text, nullable=False),
        sa.Column("value", text, nullable=False),
        sa.Column("changed_by", text, nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("region", "key", name="pk_botsetting_region_key"),
    )
    bind.execute(sa.text("INSERT INTO botsetting_by_region (region, key, value, changed_by, changed_at) "
                         "SELECT :region, key, value, changed_by, changed_at FROM botsetting"), {"region": region})
    op.drop_table("botsetting")
    op.rename_table("botsetting_by_region", "botsetting")


def downgrade() -> None:
    op.create_table(
        "botsetting_one_region",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.execute(f"INSERT INTO botsetting_one_region (key, value, changed_by, changed_at) "
               f"SELECT key, value, changed_by, changed_at FROM botsetting WHERE region = '{ONE_REGION}'")
    op.drop_table("botsetting")
    op.rename_table("botsetting_one_region", "botsetting")
    op.drop_index("ix_conversation_region", "conversation")
    with op.batch_alter_table("conversation") as batch:
        batch.drop_column("region")
    op.drop_table("regionperson")
    op.drop_index("uq_regionteam_channel", "regionteam")
    op.drop_table("regionteam")
