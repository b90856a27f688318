"""statistics store and extract requests

Revision ID: 0002s
Revises: 0002p
Create Date: 2026-11-27
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002s"
down_revision = "0002p"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('statisticsource',
    sa.Column('file', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('publisher', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('table', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('licence', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('compiled_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('file')
    )
    op.create_table('statistic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('area_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('indicator', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('period_key', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source_file', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['source_file'], ['statisticsource.file'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('area_code', 'indicator', 'period', name='uq_statistic_figure')
    )
    op.create_index(op.f('ix_statistic_area_code'), 'statistic', ['area_code'], unique=False)
    op.create_index(op.f('ix_statistic_indicator'), 'statistic', ['indicator'], unique=False)
    op.create_table('extractrequest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('subject_kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('area_codes', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('topics', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('formats', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('first_year', sa.Integer(), nullable=False),
    sa.Column('last_year', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('thread_ts', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status_channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status_ts', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('file_ids', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('file_names', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_extractrequest_requested_by'), 'extractrequest', ['requested_by'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_extractrequest_requested_by'), table_name='extractrequest')
    op.drop_table('extractrequest')
    op.drop_index(op.f('ix_statistic_indicator'), table_name='statistic')
    op.drop_index(op.f('ix_statistic_area_code'), table_name='statistic')
    op.drop_table('statistic')
    op.drop_table('statisticsource')
