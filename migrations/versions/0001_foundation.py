"""Foundation: communes, villages, accounts, venues, check-in points, check-ins, questions,
daily counts, audit trail.

Revision ID: 0001_foundation
Revises: 
Create Date: 2026-11-22 04:47:41.024922

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001_foundation'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('communes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.Integer(), nullable=False),
    sa.Column('unit_scheme', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('province_name', sa.String(length=120), nullable=False),
    sa.Column('place_name', sa.String(length=120), nullable=False),
    sa.Column('hotline', sa.String(length=20), nullable=True),
    sa.Column('chairman_name', sa.String(length=120), nullable=True),
    sa.Column('vice_chairman_name', sa.String(length=120), nullable=True),
    sa.Column('retention_days', sa.Integer(), nullable=False),
    sa.Column('checkin_merge_minutes', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communes'))
    )
    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_communes_unit_code'), ['unit_code'], unique=False)

    op.create_table('declaration_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('text_en', sa.String(length=500), nullable=True),
    sa.Column('asks_details', sa.Boolean(), nullable=False),
    sa.Column('is_symptom', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_declaration_questions_commune_id_communes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration_questions')),
    sa.UniqueConstraint('commune_id', 'code', name=op.f('uq_declaration_questions_commune_id_code'))
    )
    with op.batch_alter_table('declaration_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declaration_questions_commune_id'), ['commune_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('admin', 'clerk', 'data_entry', 'chairman', 'tracer', 'venue', name='role', native_enum=False, length=16), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('is_active_account', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_users_commune_id_communes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_venue_id'), ['venue_id'], unique=False)

    op.create_table('venue_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_venue_categories_commune_id_communes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venue_categories')),
    sa.UniqueConstraint('commune_id', 'code', name=op.f('uq_venue_categories_commune_id_code'))
    )
    with op.batch_alter_table('venue_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_venue_categories_commune_id'), ['commune_id'], unique=False)

    op.create_table('villages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_villages_commune_id_communes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_villages')),
    sa.UniqueConstraint('commune_id', 'name', name=op.f('uq_villages_commune_id_name'))
    )
    with op.batch_alter_table('villages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_villages_commune_id'), ['commune_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_audit_events_commune_id_communes')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index('ix_audit_events_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_user_id'), ['user_id'], unique=False)

    op.create_table('venues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('search_name', sa.String(length=200), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=True),
    sa.Column('manager_name', sa.String(length=120), nullable=True),
    sa.Column('manager_phone', sa.String(length=20), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('active', 'suspended', name='venuestatus', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['venue_categories.id'], name=op.f('fk_venues_category_id_venue_categories')),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_venues_commune_id_communes')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_venues_created_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_venues_updated_by_id_users')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_venues_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venues'))
    )
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_venues_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_venues_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_venues_search_name'), ['search_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_venues_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_venues_village_id'), ['village_id'], unique=False)

    # users.venue_id and venues.created_by_id refer to each other: add this one afterwards.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_users_venue_id_venues'), 'venues',
                                    ['venue_id'], ['id'])

    op.create_table('checkin_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('poster_version', sa.Integer(), nullable=False),
    sa.Column('poster_printed_at', sa.DateTime(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_checkin_points_venue_id_venues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_points')),
    sa.UniqueConstraint('token', name=op.f('uq_checkin_points_token'))
    )
    with op.batch_alter_table('checkin_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_points_venue_id'), ['venue_id'], unique=False)

    op.create_table('checkin_daily_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('source', sa.Enum('self_scan', 'card_scan', 'paper', 'on_behalf', name='checkinsource', native_enum=False, length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_checkin_daily_counts_commune_id_communes')),
    sa.ForeignKeyConstraint(['point_id'], ['checkin_points.id'], name=op.f('fk_checkin_daily_counts_point_id_checkin_points')),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_checkin_daily_counts_venue_id_venues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_daily_counts')),
    sa.UniqueConstraint('point_id', 'day', 'source', name=op.f('uq_checkin_daily_counts_point_id_day_source'))
    )
    with op.batch_alter_table('checkin_daily_counts', schema=None) as batch_op:
        batch_op.create_index('ix_checkin_daily_counts_commune_day', ['commune_id', 'day'], unique=False)

    op.create_table('checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('self_scan', 'card_scan', 'paper', 'on_behalf', name='checkinsource', native_enum=False, length=16), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(), nullable=False),
    sa.Column('checked_out_at', sa.DateTime(), nullable=True),
    sa.Column('time_precision', sa.Enum('exact', 'approximate', 'date_only', name='timeprecision', native_enum=False, length=16), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('search_name', sa.String(length=120), nullable=False),
    sa.Column('id_number', sa.String(length=20), nullable=True),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('sex', sa.String(length=8), nullable=True),
    sa.Column('nationality', sa.String(length=64), nullable=True),
    sa.Column('province', sa.String(length=120), nullable=True),
    sa.Column('ward', sa.String(length=120), nullable=True),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=120), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('has_symptoms', sa.Boolean(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_checkins_commune_id_communes')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_checkins_entered_by_id_users')),
    sa.ForeignKeyConstraint(['point_id'], ['checkin_points.id'], name=op.f('fk_checkins_point_id_checkin_points')),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_checkins_venue_id_venues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index('ix_checkins_commune_checked_in_at', ['commune_id', 'checked_in_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkins_id_number'), ['id_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkins_phone'), ['phone'], unique=False)
        batch_op.create_index('ix_checkins_point_checked_in_at', ['point_id', 'checked_in_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkins_search_name'), ['search_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkins_source'), ['source'], unique=False)
        batch_op.create_index('ix_checkins_venue_checked_in_at', ['venue_id', 'checked_in_at'], unique=False)



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_venue_id_venues'), type_='foreignkey')

    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('ix_checkins_venue_checked_in_at')
        batch_op.drop_index(batch_op.f('ix_checkins_source'))
        batch_op.drop_index(batch_op.f('ix_checkins_search_name'))
        batch_op.drop_index('ix_checkins_point_checked_in_at')
        batch_op.drop_index(batch_op.f('ix_checkins_phone'))
        batch_op.drop_index(batch_op.f('ix_checkins_id_number'))
        batch_op.drop_index('ix_checkins_commune_checked_in_at')

    op.drop_table('checkins')
    with op.batch_alter_table('checkin_daily_counts', schema=None) as batch_op:
        batch_op.drop_index('ix_checkin_daily_counts_commune_day')

    op.drop_table('checkin_daily_counts')
    with op.batch_alter_table('checkin_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_points_venue_id'))

    op.drop_table('checkin_points')
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_venues_village_id'))
        batch_op.drop_index(batch_op.f('ix_venues_status'))
        batch_op.drop_index(batch_op.f('ix_venues_search_name'))
        batch_op.drop_index(batch_op.f('ix_venues_commune_id'))
        batch_op.drop_index(batch_op.f('ix_venues_category_id'))

    op.drop_table('venues')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_user_id'))
        batch_op.drop_index('ix_audit_events_object')
        batch_op.drop_index(batch_op.f('ix_audit_events_commune_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))

    op.drop_table('audit_events')
    with op.batch_alter_table('villages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_villages_commune_id'))

    op.drop_table('villages')
    with op.batch_alter_table('venue_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_venue_categories_commune_id'))

    op.drop_table('venue_categories')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_venue_id'))
        batch_op.drop_index(batch_op.f('ix_users_commune_id'))

    op.drop_table('users')
    with op.batch_alter_table('declaration_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declaration_questions_commune_id'))

    op.drop_table('declaration_questions')
    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_communes_unit_code'))

    op.drop_table('communes')
