"""The daily roll-up of live check-ins: per venue and local day, how many check-ins of each source
the `checkins` table holds, for every closed day of a commune (up to `communes.tallied_through`).

The dashboard, the coverage page and the report add these rows for closed days to a live count
of the days after them (usually only today), so a 120-day period reads a few thousand small rows
instead of a million check-ins. The roll-up is exact by construction: database triggers on
`checkins` adjust it in the same statement as any insert, delete or move of a check-in on a
closed day (a paper line keyed for last week, an offline scan sent late, the purge, a
correction), whatever code path makes the change. A check-in of today, the hot path, only reads
the commune's mark. `services/tallies.close_days` rolls up days once they are over.

Locking (PostgreSQL): the trigger reads the commune's mark FOR KEY SHARE, the lock the foreign
key check of every check-in already takes on that row; closing days takes the row FOR UPDATE, so
it waits for check-ins in flight and those after it see the new mark. SQLite has one writer.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import DDL, ForeignKey, Index, Integer, event, text
from sqlalchemy.orm import Mapped, mapped_column

from registry.extensions import db
from registry.models.checkins import CheckinSource
from registry.timeutil import LOCAL_OFFSET_HOURS

# One count column per source, named by the source's value (one row per venue and day).
TALLY_SOURCES = tuple(s.value for s in CheckinSource)
assert TALLY_SOURCES == ("self_scan", "card_scan", "paper", "on_behalf"), \
    "a new source needs its column in checkin_tallies (model, migration, triggers)"


class CheckinTally(db.Model):
    """Live check-ins of one venue on one closed local day, by source."""

    __tablename__ = "checkin_tallies"
    # A period's sums by venue and by day, each read from an index alone (no table lookups, no
    # sort): what makes a 120-day dashboard a few milliseconds of SQL.
    __table_args__ = (
        Index("ix_checkin_tallies_by_venue", "commune_id", "venue_id", "day", *TALLY_SOURCES),
        Index("ix_checkin_tallies_by_day", "commune_id", "day", *TALLY_SOURCES),
    )

    # The key leads with (commune, day): a period's rows lie together in the key's index.
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), primary_key=True)
    self_scan: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    card_scan: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    paper: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    on_behalf: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


def _sqlite_day(row: str) -> str:
    """SQLite: the local day of the row's check-in time."""
    return f"date({row}.checked_in_at, '+{LOCAL_OFFSET_HOURS} hours')"


def _sqlite_mark(row: str) -> str:
    """SQLite: the last closed day of the row's commune."""
    return f"(SELECT tallied_through FROM communes WHERE id = {row}.commune_id)"


def _sqlite_counts(row: str, sign: str) -> str:
    """SQLite: each source's count moved by one when it is the row's source."""
    return ", ".join(f"{s} = {s} {sign} ({row}.source = '{s}')" for s in TALLY_SOURCES)


def _sqlite_add(row: str) -> str:
    """Add one check-in (NEW) to its tally row, when its day is closed."""
    values = ", ".join(f"{row}.source = '{s}'" for s in TALLY_SOURCES)
    updates = ", ".join(f"{s} = {s} + excluded.{s}" for s in TALLY_SOURCES)
    return (f"INSERT INTO checkin_tallies (commune_id, day, venue_id, {', '.join(TALLY_SOURCES)})"
            f" SELECT {row}.commune_id, {_sqlite_day(row)}, {row}.venue_id, {values}"
            f" WHERE {_sqlite_day(row)} <= {_sqlite_mark(row)}"
            f" ON CONFLICT (commune_id, day, venue_id) DO UPDATE SET {updates};")


def _sqlite_remove(row: str) -> str:
    """Take one check-in (OLD) off its tally row when its day is closed; drop an empty row."""
    key = (f"commune_id = {row}.commune_id AND day = {_sqlite_day(row)}"
           f" AND venue_id = {row}.venue_id AND {_sqlite_day(row)} <= {_sqlite_mark(row)}")
    empty = " + ".join(TALLY_SOURCES)
    return (f"UPDATE checkin_tallies SET {_sqlite_counts(row, '-')} WHERE {key};"
            f" DELETE FROM checkin_tallies WHERE {key} AND {empty} = 0;")


SQLITE_TRIGGERS = (
    f"CREATE TRIGGER checkins_tally_insert AFTER INSERT ON checkins BEGIN {_sqlite_add('NEW')} END",
    f"CREATE TRIGGER checkins_tally_delete AFTER DELETE ON checkins BEGIN "
    f"{_sqlite_remove('OLD')} END",
    f"CREATE TRIGGER checkins_tally_update AFTER UPDATE OF commune_id, venue_id, checked_in_at, "
    f"source ON checkins BEGIN {_sqlite_remove('OLD')} {_sqlite_add('NEW')} END",
)


def _pg_block(row: str, sign: str) -> str:
    """PL/pgSQL: add ("+") or take off ("-") the row (NEW or OLD) when its day is closed, the
    commune's row held FOR KEY SHARE while the mark is read."""
    day = f"({row}.checked_in_at + interval '{LOCAL_OFFSET_HOURS} hours')::date"
    counts = ", ".join(f"({row}.source = '{s}')::int" for s in TALLY_SOURCES)
    if sign == "+":
        change = (f"INSERT INTO checkin_tallies (commune_id, day, venue_id, "
                  f"{', '.join(TALLY_SOURCES)}) VALUES ({row}.commune_id, {day}, "
                  f"{row}.venue_id, {counts}) ON CONFLICT (commune_id, day, venue_id) DO UPDATE "
                  f"SET " + ", ".join(f"{s} = checkin_tallies.{s} + excluded.{s}"
                                      for s in TALLY_SOURCES) + ";")
    else:
        key = (f"commune_id = {row}.commune_id AND day = {day} AND venue_id = {row}.venue_id")
        change = ("UPDATE checkin_tallies SET " + ", ".join(
            f"{s} = {s} - ({row}.source = '{s}')::int" for s in TALLY_SOURCES)
            + f" WHERE {key}; DELETE FROM checkin_tallies WHERE {key} AND "
            + " + ".join(TALLY_SOURCES) + " = 0;")
    return (f"SELECT tallied_through INTO mark FROM communes WHERE id = {row}.commune_id "
            f"FOR KEY SHARE; IF mark IS NOT NULL AND {day} <= mark THEN {change} END IF;")


POSTGRES_FUNCTION = (
    "CREATE OR REPLACE FUNCTION checkins_tally() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "DECLARE mark date; BEGIN "
    f"IF TG_OP IN ('DELETE', 'UPDATE') THEN {_pg_block('OLD', '-')} END IF; "
    f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {_pg_block('NEW', '+')} END IF; "
    "RETURN NULL; END $$")
POSTGRES_TRIGGER = (
    "CREATE TRIGGER checkins_tally AFTER INSERT OR DELETE OR UPDATE OF commune_id, venue_id, "
    "checked_in_at, source ON checkins FOR EACH ROW EXECUTE FUNCTION checkins_tally()")


def trigger_statements(dialect: str) -> tuple[str, ...]:
    """The statements creating the roll-up's triggers on `dialect` (the migration runs the same
    text, frozen in its file)."""
    if dialect == "sqlite":
        return SQLITE_TRIGGERS
    return (POSTGRES_FUNCTION, POSTGRES_TRIGGER)


def _missing(name: str):
    """An execute_if test: the trigger `name` is not there yet (create_all may run again on a
    built schema, and must leave it as it is)."""
    def check(_ddl, _target, bind, **_kw) -> bool:
        if bind.dialect.name == "sqlite":
            sql = "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = :n"
        else:
            # On the checkins table this connection sees: a database may hold other schemas
            # with a registry of their own (a benchmark's), their triggers of the same name.
            sql = ("SELECT 1 FROM pg_trigger WHERE tgname = :n AND NOT tgisinternal "
                   "AND tgrelid = to_regclass('checkins')")
        return bind.execute(text(sql), {"n": name}).first() is None
    return check


# create_all (tests, benchmarks) builds the triggers once every table exists.
for _sql in SQLITE_TRIGGERS:
    event.listen(db.metadata, "after_create", DDL(_sql).execute_if(
        dialect="sqlite", callable_=_missing(_sql.split()[2])))
event.listen(db.metadata, "after_create", DDL(POSTGRES_FUNCTION).execute_if(dialect="postgresql"))
event.listen(db.metadata, "after_create", DDL(POSTGRES_TRIGGER).execute_if(
    dialect="postgresql", callable_=_missing("checkins_tally")))
