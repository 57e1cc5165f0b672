"""Coverage and follow-up: reminders (công văn đôn đốc) with their venues, follow-ups per
venue, reminders in the register of outgoing documents, a report's closing and pre-written text.

Revision ID: 0009_coverage
Revises: 0008_hardening
Create Date: 2026-12-01 22:13:55.275732

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_coverage'
down_revision = '0008_hardening'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'returned', 'signed', name='reportstatus', native_enum=False, length=16), nullable=False),
    sa.Column('list_key', sa.String(length=24), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('addressees', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=True),
    sa.Column('signer_kind', sa.Enum('chairman', 'vice_chairman', name='signerkind', native_enum=False, length=16), nullable=False),
    sa.Column('signer_name', sa.String(length=120), nullable=False),
    sa.Column('return_comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('signed_at', sa.DateTime(), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('symbol', sa.String(length=40), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('signed_pdf', sa.LargeBinary(), nullable=True),
    sa.Column('signed_pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('signature_info', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_reminders_commune_id_communes')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reminders_created_by_id_users')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_reminders_signed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders'))
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_pdf_sha256'), ['pdf_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_status'), ['status'], unique=False)

    op.create_table('reminder_venues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reminder_id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('venue_name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('manager_name', sa.String(length=120), nullable=True),
    sa.Column('manager_phone', sa.String(length=20), nullable=True),
    sa.Column('situation', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['reminder_id'], ['reminders.id'], name=op.f('fk_reminder_venues_reminder_id_reminders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_reminder_venues_venue_id_venues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_venues'))
    )
    with op.batch_alter_table('reminder_venues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_venues_reminder_id'), ['reminder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_venues_venue_id'), ['venue_id'], unique=False)

    op.create_table('venue_follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('reminder_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('reminded', 'phoned', 'inspected', 'other', name='followupkind', native_enum=False, length=16), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=False),
    sa.Column('done_by', sa.String(length=120), nullable=False),
    sa.Column('result', sa.String(length=500), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_venue_follow_ups_commune_id_communes')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_venue_follow_ups_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['reminder_id'], ['reminders.id'], name=op.f('fk_venue_follow_ups_reminder_id_reminders')),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_venue_follow_ups_venue_id_venues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venue_follow_ups'))
    )
    with op.batch_alter_table('venue_follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_venue_follow_ups_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_venue_follow_ups_reminder_id'), ['reminder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_venue_follow_ups_venue_id'), ['venue_id'], unique=False)

    with op.batch_alter_table('outgoing_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outgoing_documents_reminder_id'), ['reminder_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outgoing_documents_reminder_id_reminders'), 'reminders', ['reminder_id'], ['id'])

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closing', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('drafted', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('drafted')
        batch_op.drop_column('closing')

    with op.batch_alter_table('outgoing_documents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outgoing_documents_reminder_id_reminders'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outgoing_documents_reminder_id'))
        batch_op.drop_column('reminder_id')

    with op.batch_alter_table('venue_follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_venue_follow_ups_venue_id'))
        batch_op.drop_index(batch_op.f('ix_venue_follow_ups_reminder_id'))
        batch_op.drop_index(batch_op.f('ix_venue_follow_ups_commune_id'))

    op.drop_table('venue_follow_ups')
    with op.batch_alter_table('reminder_venues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_venues_venue_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_venues_reminder_id'))

    op.drop_table('reminder_venues')
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_status'))
        batch_op.drop_index(batch_op.f('ix_reminders_pdf_sha256'))
        batch_op.drop_index(batch_op.f('ix_reminders_commune_id'))

    op.drop_table('reminders')
