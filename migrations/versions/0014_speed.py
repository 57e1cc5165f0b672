"""Speed where it matters: the daily roll-up of live check-ins of closed days (checkin_tallies,
kept exact by triggers on checkins; communes.tallied_through marks the last closed day), and
the tracing index of a point's visits with their intervals; one index less on every check-in.

Revision ID: 0014_speed
Revises: 0013_hot_path
Create Date: 2026-12-02 01:00:00

The trigger text is frozen here as it was at this revision (models/tallies.py builds the same
for create_all).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_speed'
down_revision = '0013_hot_path'
branch_labels = None
depends_on = None

SOURCES = ("self_scan", "card_scan", "paper", "on_behalf")


def _sqlite_day(row):
    return f"date({row}.checked_in_at, '+7 hours')"


def _sqlite_mark(row):
    return f"(SELECT tallied_through FROM communes WHERE id = {row}.commune_id)"


def _sqlite_add(row):
    values = ", ".join(f"{row}.source = '{s}'" for s in SOURCES)
    updates = ", ".join(f"{s} = {s} + excluded.{s}" for s in SOURCES)
    return (f"INSERT INTO checkin_tallies (commune_id, day, venue_id, {', '.join(SOURCES)})"
            f" SELECT {row}.commune_id, {_sqlite_day(row)}, {row}.venue_id, {values}"
            f" WHERE {_sqlite_day(row)} <= {_sqlite_mark(row)}"
            f" ON CONFLICT (commune_id, day, venue_id) DO UPDATE SET {updates};")


def _sqlite_remove(row):
    key = (f"commune_id = {row}.commune_id AND day = {_sqlite_day(row)}"
           f" AND venue_id = {row}.venue_id AND {_sqlite_day(row)} <= {_sqlite_mark(row)}")
    counts = ", ".join(f"{s} = {s} - ({row}.source = '{s}')" for s in SOURCES)
    return (f"UPDATE checkin_tallies SET {counts} WHERE {key};"
            f" DELETE FROM checkin_tallies WHERE {key} AND {' + '.join(SOURCES)} = 0;")


def _pg_block(row, sign):
    day = f"({row}.checked_in_at + interval '7 hours')::date"
    counts = ", ".join(f"({row}.source = '{s}')::int" for s in SOURCES)
    if sign == "+":
        change = (f"INSERT INTO checkin_tallies (commune_id, day, venue_id, {', '.join(SOURCES)})"
                  f" VALUES ({row}.commune_id, {day}, {row}.venue_id, {counts})"
                  f" ON CONFLICT (commune_id, day, venue_id) DO UPDATE SET "
                  + ", ".join(f"{s} = checkin_tallies.{s} + excluded.{s}" for s in SOURCES) + ";")
    else:
        key = f"commune_id = {row}.commune_id AND day = {day} AND venue_id = {row}.venue_id"
        change = ("UPDATE checkin_tallies SET "
                  + ", ".join(f"{s} = {s} - ({row}.source = '{s}')::int" for s in SOURCES)
                  + f" WHERE {key}; DELETE FROM checkin_tallies WHERE {key} AND "
                  + " + ".join(SOURCES) + " = 0;")
    return (f"SELECT tallied_through INTO mark FROM communes WHERE id = {row}.commune_id "
            f"FOR KEY SHARE; IF mark IS NOT NULL AND {day} <= mark THEN {change} END IF;")


def upgrade():
    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tallied_through', sa.Date(), nullable=True))

    op.create_table('checkin_tallies',
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('self_scan', sa.Integer(), server_default='0', nullable=False),
    sa.Column('card_scan', sa.Integer(), server_default='0', nullable=False),
    sa.Column('paper', sa.Integer(), server_default='0', nullable=False),
    sa.Column('on_behalf', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_checkin_tallies_commune_id_communes')),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_checkin_tallies_venue_id_venues')),
    sa.PrimaryKeyConstraint('commune_id', 'day', 'venue_id', name=op.f('pk_checkin_tallies'))
    )
    op.create_index('ix_checkin_tallies_by_venue', 'checkin_tallies', ['commune_id', 'venue_id', 'day', *SOURCES], unique=False)
    op.create_index('ix_checkin_tallies_by_day', 'checkin_tallies', ['commune_id', 'day', *SOURCES], unique=False)

    # Tracing reads a point's visits in a time range with their intervals from one index.
    op.create_index('ix_checkins_point_time_span', 'checkins', ['point_id', 'checked_in_at', 'checked_out_at', 'time_precision', 'checkout_reason', 'id'], unique=False)
    op.drop_index('ix_checkins_point_checked_in_at', table_name='checkins')
    # A prefix of ix_checkins_commune_time_venue_source, which serves the same ranges.
    op.drop_index('ix_checkins_commune_checked_in_at', table_name='checkins')

    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER checkins_tally_insert AFTER INSERT ON checkins BEGIN "
                   f"{_sqlite_add('NEW')} END")
        op.execute("CREATE TRIGGER checkins_tally_delete AFTER DELETE ON checkins BEGIN "
                   f"{_sqlite_remove('OLD')} END")
        op.execute("CREATE TRIGGER checkins_tally_update AFTER UPDATE OF commune_id, venue_id, "
                   f"checked_in_at, source ON checkins BEGIN {_sqlite_remove('OLD')} "
                   f"{_sqlite_add('NEW')} END")
    else:
        op.execute("CREATE OR REPLACE FUNCTION checkins_tally() RETURNS trigger LANGUAGE plpgsql "
                   "AS $$ DECLARE mark date; BEGIN "
                   f"IF TG_OP IN ('DELETE', 'UPDATE') THEN {_pg_block('OLD', '-')} END IF; "
                   f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {_pg_block('NEW', '+')} END IF; "
                   "RETURN NULL; END $$")
        op.execute("CREATE TRIGGER checkins_tally AFTER INSERT OR DELETE OR UPDATE OF "
                   "commune_id, venue_id, checked_in_at, source ON checkins FOR EACH ROW "
                   "EXECUTE FUNCTION checkins_tally()")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS checkins_tally_{name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS checkins_tally ON checkins")
        op.execute("DROP FUNCTION IF EXISTS checkins_tally()")
    op.create_index('ix_checkins_commune_checked_in_at', 'checkins', ['commune_id', 'checked_in_at'], unique=False)
    op.create_index('ix_checkins_point_checked_in_at', 'checkins', ['point_id', 'checked_in_at'], unique=False)
    op.drop_index('ix_checkins_point_time_span', table_name='checkins')
    op.drop_index('ix_checkin_tallies_by_day', table_name='checkin_tallies')
    op.drop_index('ix_checkin_tallies_by_venue', table_name='checkin_tallies')
    op.drop_table('checkin_tallies')
    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.drop_column('tallied_through')
