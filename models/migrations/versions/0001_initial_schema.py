"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-27
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('area',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('official_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('county', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('old_ons_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('hma', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('successor_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('successor_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_name'), ['name'], unique=False)

    op.create_table('conversation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('lead_user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('started_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('last_activity_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('contacts', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('first_meeting_on', sa.Date(), nullable=True),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('card_ts', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('card_url', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('slackevent',
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_table('actionitem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('owner_user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('done_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('done_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('actionitem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actionitem_conversation_id'), ['conversation_id'], unique=False)

    op.create_table('conversationarea',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['area_code'], ['area.code'], ),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ),
    sa.PrimaryKeyConstraint('conversation_id', 'area_code'),
    sa.UniqueConstraint('area_code', name='uq_conversation_area_area')
    )
    op.create_table('logentry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('author_user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('stage_from', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('stage_to', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('slack_ts', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('logentry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_logentry_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_logentry_created_at'), ['created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('logentry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_logentry_created_at'))
        batch_op.drop_index(batch_op.f('ix_logentry_conversation_id'))

    op.drop_table('logentry')
    op.drop_table('conversationarea')
    with op.batch_alter_table('actionitem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actionitem_conversation_id'))

    op.drop_table('actionitem')
    op.drop_table('slackevent')
    op.drop_table('conversation')
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_name'))

    op.drop_table('area')
