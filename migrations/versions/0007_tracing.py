"""Tracing: cases, holds, F1 contacts, paper destruction, person requests; audit append-only.

Revision ID: 0007_tracing
Revises: 0006_reports
Create Date: 2026-11-22 04:55:01.058720

"""
from alembic import op
import sqlalchemy as sa

# The audit trail refuses UPDATE and DELETE in the database itself (same SQL as
# registry.models.audit, repeated so this revision never changes with the code).
AUDIT_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit_events is append-only'; END $$",
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    ],
}
AUDIT_TRIGGERS_DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_events_no_update",
               "DROP TRIGGER IF EXISTS audit_events_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_events_no_update ON audit_events",
                   "DROP FUNCTION IF EXISTS audit_events_append_only()"],
}


# revision identifiers, used by Alembic.
revision = '0007_tracing'
down_revision = '0006_reports'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('person_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('subject', sa.String(length=120), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=False),
    sa.Column('record_count', sa.Integer(), nullable=False),
    sa.Column('handled_at', sa.DateTime(), nullable=False),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_person_requests_commune_id_communes')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_person_requests_handled_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_requests'))
    )
    with op.batch_alter_table('person_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_requests_commune_id'), ['commune_id'], unique=False)

    op.create_table('tracing_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('index_label', sa.String(length=120), nullable=False),
    sa.Column('index_date', sa.Date(), nullable=False),
    sa.Column('index_date_kind', sa.String(length=10), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('open', 'closed', name='casestatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_tracing_cases_commune_id_communes')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_tracing_cases_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracing_cases'))
    )
    with op.batch_alter_table('tracing_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracing_cases_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tracing_cases_status'), ['status'], unique=False)

    op.create_table('case_searches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('visit_count', sa.Integer(), nullable=False),
    sa.Column('contact_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['tracing_cases.id'], name=op.f('fk_case_searches_case_id_tracing_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_searches_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_searches'))
    )
    with op.batch_alter_table('case_searches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_searches_case_id'), ['case_id'], unique=False)

    op.create_table('sheet_destructions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('destroyed_at', sa.DateTime(), nullable=False),
    sa.Column('destroyed_by_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_sheet_destructions_commune_id_communes')),
    sa.ForeignKeyConstraint(['destroyed_by_id'], ['users.id'], name=op.f('fk_sheet_destructions_destroyed_by_id_users')),
    sa.ForeignKeyConstraint(['point_id'], ['checkin_points.id'], name=op.f('fk_sheet_destructions_point_id_checkin_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sheet_destructions')),
    sa.UniqueConstraint('point_id', 'day', name=op.f('uq_sheet_destructions_point_id_day'))
    )
    with op.batch_alter_table('sheet_destructions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sheet_destructions_commune_id'), ['commune_id'], unique=False)

    op.create_table('case_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('checkin_id', sa.Integer(), nullable=True),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('sex', sa.String(length=8), nullable=True),
    sa.Column('id_number', sa.String(length=20), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('address', sa.String(length=400), nullable=True),
    sa.Column('venue_name', sa.String(length=200), nullable=False),
    sa.Column('point_name', sa.String(length=120), nullable=False),
    sa.Column('visited_at', sa.DateTime(), nullable=False),
    sa.Column('time_precision', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('is_certain', sa.Boolean(), nullable=False),
    sa.Column('follow_up', sa.Enum('pending', 'contacted', 'isolating', 'tested_negative', 'tested_positive', 'released', name='followup', native_enum=False, length=20), nullable=False),
    sa.Column('notes', sa.String(length=500), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_case_contacts_added_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['tracing_cases.id'], name=op.f('fk_case_contacts_case_id_tracing_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['checkin_id'], ['checkins.id'], name=op.f('fk_case_contacts_checkin_id_checkins'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_contacts')),
    sa.UniqueConstraint('case_id', 'checkin_id', name=op.f('uq_case_contacts_case_id_checkin_id'))
    )
    with op.batch_alter_table('case_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_contacts_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_contacts_checkin_id'), ['checkin_id'], unique=False)

    op.create_table('case_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('checkin_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['tracing_cases.id'], name=op.f('fk_case_holds_case_id_tracing_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['checkin_id'], ['checkins.id'], name=op.f('fk_case_holds_checkin_id_checkins'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_holds')),
    sa.UniqueConstraint('case_id', 'checkin_id', name=op.f('uq_case_holds_case_id_checkin_id'))
    )
    with op.batch_alter_table('case_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_holds_checkin_id'), ['checkin_id'], unique=False)

    for statement in AUDIT_TRIGGERS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    for statement in AUDIT_TRIGGERS_DROP.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table('case_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_holds_checkin_id'))

    op.drop_table('case_holds')
    with op.batch_alter_table('case_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_contacts_checkin_id'))
        batch_op.drop_index(batch_op.f('ix_case_contacts_case_id'))

    op.drop_table('case_contacts')
    with op.batch_alter_table('sheet_destructions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sheet_destructions_commune_id'))

    op.drop_table('sheet_destructions')
    with op.batch_alter_table('case_searches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_searches_case_id'))

    op.drop_table('case_searches')
    with op.batch_alter_table('tracing_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracing_cases_status'))
        batch_op.drop_index(batch_op.f('ix_tracing_cases_commune_id'))

    op.drop_table('tracing_cases')
    with op.batch_alter_table('person_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_requests_commune_id'))

    op.drop_table('person_requests')
