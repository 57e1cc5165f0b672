"""Residents, resident cards, background jobs; card scans on checkins (resident_id, card_id)

Revision ID: 0005_residents
Revises: 0004_paper
Create Date: 2026-11-22 04:51:38.727813

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_residents'
down_revision = '0004_paper'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='jobstatus', native_enum=False, length=16), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=False),
    sa.Column('parts_total', sa.Integer(), nullable=False),
    sa.Column('parts_done', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=255), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('result_path', sa.String(length=255), nullable=True),
    sa.Column('result_name', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_jobs_commune_id_communes')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_jobs_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_user_id'), ['user_id'], unique=False)

    op.create_table('residents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('search_name', sa.String(length=120), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('sex', sa.String(length=8), nullable=False),
    sa.Column('id_number', sa.String(length=20), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_residents_commune_id_communes')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_residents_created_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_residents_updated_by_id_users')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_residents_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residents'))
    )
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residents_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residents_id_number'), ['id_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_residents_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_residents_search_name'), ['search_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_residents_village_id'), ['village_id'], unique=False)

    op.create_table('resident_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=12), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('active', 'revoked', name='cardstatus', native_enum=False, length=16), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('printed_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_resident_cards_commune_id_communes')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_resident_cards_issued_by_id_users')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_resident_cards_resident_id_residents')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_resident_cards_revoked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resident_cards')),
    sa.UniqueConstraint('commune_id', 'number', name=op.f('uq_resident_cards_commune_id_number')),
    sa.UniqueConstraint('token', name=op.f('uq_resident_cards_token'))
    )
    with op.batch_alter_table('resident_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_cards_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_cards_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_cards_status'), ['status'], unique=False)

    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resident_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('card_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_checkins_resident_id'), ['resident_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_checkins_card_id_resident_cards'), 'resident_cards', ['card_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_checkins_resident_id_residents'), 'residents', ['resident_id'], ['id'])



def downgrade():
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_checkins_resident_id_residents'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_checkins_card_id_resident_cards'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_checkins_resident_id'))
        batch_op.drop_column('card_id')
        batch_op.drop_column('resident_id')

    with op.batch_alter_table('resident_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_cards_status'))
        batch_op.drop_index(batch_op.f('ix_resident_cards_resident_id'))
        batch_op.drop_index(batch_op.f('ix_resident_cards_commune_id'))

    op.drop_table('resident_cards')
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residents_village_id'))
        batch_op.drop_index(batch_op.f('ix_residents_search_name'))
        batch_op.drop_index(batch_op.f('ix_residents_phone'))
        batch_op.drop_index(batch_op.f('ix_residents_id_number'))
        batch_op.drop_index(batch_op.f('ix_residents_commune_id'))

    op.drop_table('residents')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_user_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_status'))
        batch_op.drop_index(batch_op.f('ix_jobs_created_at'))
        batch_op.drop_index(batch_op.f('ix_jobs_commune_id'))

    op.drop_table('jobs')
