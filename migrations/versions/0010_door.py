"""The venue's door: offline scans and their ids, households, closing times and the reason a
visit was closed, companions of a visit, exposure notices of F1 contacts.

Revision ID: 0010_door
Revises: 0009_coverage
Create Date: 2026-12-01 22:14:24.040626

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_door'
down_revision = '0009_coverage'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('offline_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('scan_key', sa.String(length=36), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('scanned_at', sa.DateTime(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=True),
    sa.Column('checkin_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['card_id'], ['resident_cards.id'], name=op.f('fk_offline_scans_card_id_resident_cards'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['checkin_id'], ['checkins.id'], name=op.f('fk_offline_scans_checkin_id_checkins'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_offline_scans_commune_id_communes')),
    sa.ForeignKeyConstraint(['point_id'], ['checkin_points.id'], name=op.f('fk_offline_scans_point_id_checkin_points')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_offline_scans_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offline_scans')),
    sa.UniqueConstraint('scan_key', name=op.f('uq_offline_scans_scan_key'))
    )
    with op.batch_alter_table('offline_scans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offline_scans_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offline_scans_point_id'), ['point_id'], unique=False)

    op.create_table('exposure_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('letter', 'sms', name='noticechannel', native_enum=False, length=16), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('delivered_via', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['case_contacts.id'], name=op.f('fk_exposure_notices_contact_id_case_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_exposure_notices_issued_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exposure_notices'))
    )
    with op.batch_alter_table('exposure_notices', schema=None) as batch_op:
        batch_op.create_index('ix_exposure_notices_contact_id_issued_at', ['contact_id', 'issued_at'], unique=False)

    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkout_reason', sa.Enum('manual', 'automatic', name='checkoutreason', native_enum=False, length=16), nullable=True))
        batch_op.add_column(sa.Column('offline_scan_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('companion_of_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_checkins_checked_out_at', ['checked_out_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkins_companion_of_id'), ['companion_of_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_checkins_offline_scan_id'), ['offline_scan_id'])
        batch_op.create_foreign_key(batch_op.f('fk_checkins_companion_of_id_checkins'), 'checkins', ['companion_of_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('default_closing_time', sa.Time(), server_default='22:00:00', nullable=False))

    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('household_number', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('household_relation', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('is_household_head', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_residents_household_number'), ['household_number'], unique=False)

    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closing_time', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('default_stay_minutes', sa.Integer(), nullable=True))



def downgrade():
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_column('default_stay_minutes')
        batch_op.drop_column('closing_time')

    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residents_household_number'))
        batch_op.drop_column('is_household_head')
        batch_op.drop_column('household_relation')
        batch_op.drop_column('household_number')

    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.drop_column('default_closing_time')

    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_checkins_companion_of_id_checkins'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_checkins_offline_scan_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_checkins_companion_of_id'))
        batch_op.drop_index('ix_checkins_checked_out_at')
        batch_op.drop_column('companion_of_id')
        batch_op.drop_column('offline_scan_id')
        batch_op.drop_column('checkout_reason')

    with op.batch_alter_table('exposure_notices', schema=None) as batch_op:
        batch_op.drop_index('ix_exposure_notices_contact_id_issued_at')

    op.drop_table('exposure_notices')
    with op.batch_alter_table('offline_scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offline_scans_point_id'))
        batch_op.drop_index(batch_op.f('ix_offline_scans_commune_id'))

    op.drop_table('offline_scans')
