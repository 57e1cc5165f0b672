"""Several servers: files kept in the database (stored_files and their chunks) for
FILE_STORAGE=database, the claims that let one job consumer run each slot of a periodic task
(scheduled_runs), and the person look-ups of tracing scoped to a commune (indexes on commune
and name, phone, ID number instead of name, phone, ID number alone).

Revision ID: 0012_cluster
Revises: 0011_friction
Create Date: 2026-12-01 23:22:36.931666

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_cluster'
down_revision = "0011_friction"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduled_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=80), nullable=False),
    sa.Column('slot', sa.DateTime(), nullable=False),
    sa.Column('runner', sa.String(length=120), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_runs')),
    sa.UniqueConstraint('task', 'slot', name=op.f('uq_scheduled_runs_task_slot'))
    )
    with op.batch_alter_table('scheduled_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduled_runs_slot'), ['slot'], unique=False)

    op.create_table('stored_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files')),
    sa.UniqueConstraint('key', name=op.f('uq_stored_files_key'))
    )
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_files_created_at'), ['created_at'], unique=False)

    op.create_table('stored_file_chunks',
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_stored_file_chunks_file_id_stored_files'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('file_id', 'seq', name=op.f('pk_stored_file_chunks'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('ix_checkins_search_name')
        batch_op.drop_index('ix_checkins_phone')
        batch_op.drop_index('ix_checkins_id_number')
        batch_op.create_index('ix_checkins_commune_search_name', ['commune_id', 'search_name'],
                              unique=False)
        batch_op.create_index('ix_checkins_commune_phone', ['commune_id', 'phone'], unique=False)
        batch_op.create_index('ix_checkins_commune_id_number', ['commune_id', 'id_number'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('ix_checkins_commune_id_number')
        batch_op.drop_index('ix_checkins_commune_phone')
        batch_op.drop_index('ix_checkins_commune_search_name')
        batch_op.create_index('ix_checkins_id_number', ['id_number'], unique=False)
        batch_op.create_index('ix_checkins_phone', ['phone'], unique=False)
        batch_op.create_index('ix_checkins_search_name', ['search_name'], unique=False)
    op.drop_table('stored_file_chunks')
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_files_created_at'))

    op.drop_table('stored_files')
    with op.batch_alter_table('scheduled_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduled_runs_slot'))

    op.drop_table('scheduled_runs')
