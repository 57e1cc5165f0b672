"""Paper path: printed batches, their sheets, keyed lines and same-person links.

Revision ID: 0004_paper
Revises: 0003_posters
Create Date: 2026-11-22 05:02:22.357763

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_paper'
down_revision = '0003_posters'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('paper_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('slip', 'log', name='formkind', native_enum=False, length=16), nullable=False),
    sa.Column('sheet_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('printed', 'handed', 'collected', 'keyed', 'verified', 'destroyed', name='batchstatus', native_enum=False, length=16), nullable=False),
    sa.Column('double_entry', sa.Enum('none', 'full', 'sample', name='doubleentry', native_enum=False, length=16), nullable=False),
    sa.Column('sample_percent', sa.Integer(), nullable=False),
    sa.Column('ignore_diacritics', sa.Boolean(), nullable=False),
    sa.Column('skip_free_text', sa.Boolean(), nullable=False),
    sa.Column('printed_at', sa.DateTime(), nullable=False),
    sa.Column('printed_by_id', sa.Integer(), nullable=True),
    sa.Column('handed_on', sa.Date(), nullable=True),
    sa.Column('handed_to', sa.String(length=120), nullable=True),
    sa.Column('collected_on', sa.Date(), nullable=True),
    sa.Column('collected_by', sa.String(length=120), nullable=True),
    sa.Column('returned_count', sa.Integer(), nullable=True),
    sa.Column('keyed_at', sa.DateTime(), nullable=True),
    sa.Column('verified_at', sa.DateTime(), nullable=True),
    sa.Column('destroyed_on', sa.Date(), nullable=True),
    sa.Column('destroyed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_paper_batches_commune_id_communes')),
    sa.ForeignKeyConstraint(['destroyed_by_id'], ['users.id'], name=op.f('fk_paper_batches_destroyed_by_id_users')),
    sa.ForeignKeyConstraint(['point_id'], ['checkin_points.id'], name=op.f('fk_paper_batches_point_id_checkin_points')),
    sa.ForeignKeyConstraint(['printed_by_id'], ['users.id'], name=op.f('fk_paper_batches_printed_by_id_users')),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_paper_batches_venue_id_venues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_batches'))
    )
    with op.batch_alter_table('paper_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_batches_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_batches_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_batches_venue_id'), ['venue_id'], unique=False)

    op.create_table('paper_sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=16), nullable=True),
    sa.Column('status', sa.Enum('blank', 'keying', 'keyed', 'verified', name='sheetstatus', native_enum=False, length=16), nullable=False),
    sa.Column('needs_second_entry', sa.Boolean(), nullable=False),
    sa.Column('keyed_by_id', sa.Integer(), nullable=True),
    sa.Column('keyed_at', sa.DateTime(), nullable=True),
    sa.Column('second_keyer_id', sa.Integer(), nullable=True),
    sa.Column('second_keyed_at', sa.DateTime(), nullable=True),
    sa.Column('verified_at', sa.DateTime(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['paper_batches.id'], name=op.f('fk_paper_sheets_batch_id_paper_batches')),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_paper_sheets_commune_id_communes')),
    sa.ForeignKeyConstraint(['keyed_by_id'], ['users.id'], name=op.f('fk_paper_sheets_keyed_by_id_users')),
    sa.ForeignKeyConstraint(['second_keyer_id'], ['users.id'], name=op.f('fk_paper_sheets_second_keyer_id_users')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_paper_sheets_verified_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_sheets')),
    sa.UniqueConstraint('serial', name=op.f('uq_paper_sheets_serial'))
    )
    with op.batch_alter_table('paper_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_sheets_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_sheets_commune_id'), ['commune_id'], unique=False)

    op.create_table('person_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('checkin_a_id', sa.Integer(), nullable=False),
    sa.Column('checkin_b_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('suggested', 'confirmed', 'rejected', name='linkstatus', native_enum=False, length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['checkin_a_id'], ['checkins.id'], name=op.f('fk_person_links_checkin_a_id_checkins'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['checkin_b_id'], ['checkins.id'], name=op.f('fk_person_links_checkin_b_id_checkins'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_person_links_commune_id_communes')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_person_links_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_links')),
    sa.UniqueConstraint('checkin_a_id', 'checkin_b_id', name=op.f('uq_person_links_checkin_a_id_checkin_b_id'))
    )
    with op.batch_alter_table('person_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_links_checkin_a_id'), ['checkin_a_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_links_checkin_b_id'), ['checkin_b_id'], unique=False)
        batch_op.create_index('ix_person_links_commune_status', ['commune_id', 'status'], unique=False)

    op.create_table('paper_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('sheet_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('checkin_id', sa.Integer(), nullable=True),
    sa.Column('first_values', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('second_values', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('keyed_by_id', sa.Integer(), nullable=True),
    sa.Column('second_keyer_id', sa.Integer(), nullable=True),
    sa.Column('disagreements', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('settled_by_id', sa.Integer(), nullable=True),
    sa.Column('settled_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['checkin_id'], ['checkins.id'], name=op.f('fk_paper_lines_checkin_id_checkins'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_paper_lines_commune_id_communes')),
    sa.ForeignKeyConstraint(['keyed_by_id'], ['users.id'], name=op.f('fk_paper_lines_keyed_by_id_users')),
    sa.ForeignKeyConstraint(['second_keyer_id'], ['users.id'], name=op.f('fk_paper_lines_second_keyer_id_users')),
    sa.ForeignKeyConstraint(['settled_by_id'], ['users.id'], name=op.f('fk_paper_lines_settled_by_id_users')),
    sa.ForeignKeyConstraint(['sheet_id'], ['paper_sheets.id'], name=op.f('fk_paper_lines_sheet_id_paper_sheets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_lines')),
    sa.UniqueConstraint('sheet_id', 'line_no', name=op.f('uq_paper_lines_sheet_id_line_no'))
    )
    with op.batch_alter_table('paper_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_lines_checkin_id'), ['checkin_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_lines_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_lines_sheet_id'), ['sheet_id'], unique=False)



def downgrade():
    with op.batch_alter_table('paper_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_lines_sheet_id'))
        batch_op.drop_index(batch_op.f('ix_paper_lines_commune_id'))
        batch_op.drop_index(batch_op.f('ix_paper_lines_checkin_id'))

    op.drop_table('paper_lines')
    with op.batch_alter_table('person_links', schema=None) as batch_op:
        batch_op.drop_index('ix_person_links_commune_status')
        batch_op.drop_index(batch_op.f('ix_person_links_checkin_b_id'))
        batch_op.drop_index(batch_op.f('ix_person_links_checkin_a_id'))

    op.drop_table('person_links')
    with op.batch_alter_table('paper_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_sheets_commune_id'))
        batch_op.drop_index(batch_op.f('ix_paper_sheets_batch_id'))

    op.drop_table('paper_sheets')
    with op.batch_alter_table('paper_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_batches_venue_id'))
        batch_op.drop_index(batch_op.f('ix_paper_batches_status'))
        batch_op.drop_index(batch_op.f('ix_paper_batches_commune_id'))

    op.drop_table('paper_batches')
