"""How `services/checkins.record_visit` writes a visit: one INSERT instead of the unit of work,
and for a phone's own check-in (a self-scan) the duplicate window's look and the INSERT in one
statement, under a lock of that phone at that point only; the other sources lock the point
(`serialise_at_point`).

Why: a check-in was several times the cost of its one durable row, and the lock that makes the
duplicate window exact (two taps of one phone must give one visit) was held across the look,
the INSERT and the commit: every other phone at the same point waited for all of it.

- `lock_phone_at_point` on PostgreSQL: a transaction-scoped advisory lock on (point, phone):
  only a phone's own second tap waits for its first; two phones at one gate never do. (A hash
  collision of two phones only makes them take turns.) SQLite needs none here: its one write
  lock is taken by the INSERT statement itself, before that statement reads anything.
- `insert_self_scan_unless_duplicate`: INSERT … SELECT … WHERE NOT EXISTS (this phone's visit
  at this point in the window, by the same name or ID number): the new row's id, or None when
  there is such a visit, which `record_visit` then merges into, still under the lock.
"""
from __future__ import annotations

import functools
import zlib
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import bindparam, cast, exists, func, or_, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.attributes import set_committed_value

from registry.caching import NO_CHANGE, note_tables_written
from registry.extensions import db
from registry.models import Checkin, CheckinPoint, CheckinSource
from registry.services.driver_statements import DriverStatement, run_on_driver

# Advisory lock key space of a phone at a point (the point's own lock: POINT_LOCK_SPACE below),
# so that neither meets another application's locks.
PHONE_LOCK_SPACE = 0x6370  # "cp"

_CHECKINS = Checkin.__table__
_CK = _CHECKINS.c
_COLUMNS = [column for column in _CHECKINS.columns if column.key != "id"]
_KEYS = tuple(column.key for column in _COLUMNS)
# Each column's value as the look-and-INSERT names it.
_VALUE_NAMES = tuple((key, f"v_{key}") for key in _KEYS)
_INSERT = _CHECKINS.insert()
_PG_PHONE_LOCK = DriverStatement(select(func.pg_advisory_xact_lock(PHONE_LOCK_SPACE,
                                                                   bindparam("lock_key"))))


# The key space of the advisory locks the registry takes on PostgreSQL (two-int form: this and a
# check-in point's id), so they never meet another application's locks on the same database.
POINT_LOCK_SPACE = 0x636B  # "ck"


def serialise_at_point(point: CheckinPoint) -> None:
    """Make the check-ins at `point` take turns until this transaction ends.

    Why: the duplicate window is "look for a recent visit, else add one". Two requests at the
    same moment (a double tap, two scans of one card) would both look before either had added,
    and both add. Holding a lock from the look until the commit makes the second request wait
    and then see the first one's row, on both databases:

    - PostgreSQL: a transaction-scoped advisory lock on the point (pg_advisory_xact_lock),
      released by the commit or rollback; nothing is written, and other points never wait.
    - SQLite: a write that changes nothing to the point's row (a column no key refers to, so no
      foreign-key check runs), which takes SQLite's one write lock at once (the next writer
      waits, busy_timeout), before the look rather than after it.
      SQLite has one writer at a time anyway, so this costs no concurrency it had.

    A unique key could not express the window (a sliding span of minutes, and "the same person"
    is any of several identities); an idempotency key in the form would miss the card scans.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_PG_POINT_LOCK, {"lock_point": point.id})
    else:
        db.session.execute(_SQLITE_POINT_LOCK, {"lock_point": point.id})


# Both built once: a check-in takes one of them every time. The SQLite one writes a value
# back unchanged, so it tells the snapshot caches (registry/caching.py) it changes nothing.
_PG_POINT_LOCK = select(func.pg_advisory_xact_lock(POINT_LOCK_SPACE, bindparam("lock_point")))
_POINTS = CheckinPoint.__table__
_SQLITE_POINT_LOCK = (update(_POINTS).where(_POINTS.c.id == bindparam("lock_point"))
                      .values(is_active=_POINTS.c.is_active)
                      .execution_options(**{NO_CHANGE: True}))


def _same_phone_recently():
    """This phone's self-scan at this point in the window, by the same name or ID number (an
    ID number left out is NULL, which equals nothing): the duplicate of a self-scan.

    The window has no end: the statement may wait for the lock, and a tap of the same phone
    written meanwhile is later than the time this one was stamped with, yet is its double."""
    return exists().where(
        _CK.device_hash == bindparam("device_hash"), _CK.point_id == bindparam("point_id"),
        _CK.checked_in_at >= bindparam("since"),
        _CK.source == CheckinSource.SELF_SCAN,
        or_(_CK.search_name == bindparam("name_key"), _CK.id_number == bindparam("id_number")))


def _insert_unless(casts: bool):
    """The statement, built once per database kind: PostgreSQL wants the type of each value of
    a SELECT list spelt out (CAST), SQLite must not get them (it would turn JSON into a
    number)."""
    values = [cast(bindparam(f"v_{c.key}", type_=c.type), c.type) if casts
              else bindparam(f"v_{c.key}", type_=c.type) for c in _COLUMNS]
    return (_INSERT.from_select([c.key for c in _COLUMNS],
                                select(*values).where(~_same_phone_recently()))
            .returning(_CK.id))


# Run on the driver's cursor (services/driver_statements.py): SQLAlchemy's execution of these
# two cost a check-in more than the database's work.
_INSERT_UNLESS = {"postgresql": DriverStatement(_insert_unless(casts=True)),
                  "sqlite": DriverStatement(_insert_unless(casts=False))}


def _row(values: dict) -> dict:
    return {key: values.get(key) for key in _KEYS}


def _persistent(row: dict, checkin_id: int) -> Checkin:
    """The written row as a loaded, persistent object of the session (what `add` + `flush`
    would have left there)."""
    checkin = Checkin.__mapper__.class_manager.new_instance()
    for key, value in {**row, "id": checkin_id}.items():
        set_committed_value(checkin, key, value)
    make_transient_to_detached(checkin)
    # An object of the session still holding this id is of a row deleted by plain SQL (whose
    # id the database gave out again): it is gone, as a flush would have replaced it.
    stale = db.session.identity_map.get(identity_key(Checkin, checkin_id))
    if stale is not None:
        db.session.expunge(stale)
    db.session.add(checkin)
    return checkin


def insert_visit(values: dict) -> Checkin:
    """Write a new check-in with one INSERT (the columns in `values`, None for the others)."""
    db.session.flush()  # what the caller added before is written first, as a flush would
    row = _row(values)
    return _persistent(row, db.session.execute(_INSERT, row).inserted_primary_key[0])


def lock_phone_at_point(point_id: int, device_hash: str) -> None:
    """PostgreSQL: make this phone's check-ins at this point take turns until the transaction
    ends (see the module's docstring; SQLite's INSERT takes its write lock itself)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        key = zlib.crc32(f"{point_id}:{device_hash}".encode())
        run_on_driver(connection, _PG_PHONE_LOCK, {
            "lock_key": key - (1 << 32) if key >= 1 << 31 else key})


def insert_self_scan_unless_duplicate(values: dict, *, minutes: int, name_key: str,
                                      alone: bool = False) -> Callable[[], Checkin] | None:
    """Write the new self-scan (stamped `values["checked_in_at"]`) unless the same phone
    checked in here as the same person within `minutes` (None then, nothing written).

    Returns what makes the written row's object in the session, to be called only if it is
    needed: a phone's check-in is answered with a redirect, and making the object for it was a
    twentieth of its cost.

    `alone` (the visit is all the unit writes) on SQLite: the statement commits itself
    (`_committing_itself`).
    """
    db.session.flush()
    row = _row(values)
    params = {name: row[key] for key, name in _VALUE_NAMES}
    params.update(device_hash=values["device_hash"], point_id=values["point_id"],
                  since=values["checked_in_at"] - timedelta(minutes=minutes), name_key=name_key,
                  id_number=values.get("id_number") or None)
    connection = db.session.connection()
    statement = _INSERT_UNLESS[connection.dialect.name]
    if alone and connection.dialect.name == "sqlite":
        checkin_id = _committing_itself(connection, statement, params)
    else:
        checkin_id = run_on_driver(connection, statement, params)
    if checkin_id is None:
        return None
    note_tables_written(db.session, {_CHECKINS.name})
    return functools.partial(_persistent, row, checkin_id)


def _committing_itself(connection, statement: DriverStatement,
                       params: dict) -> int | None:
    """SQLite: run the look-and-INSERT as a statement that commits itself, when the request's
    connection has written nothing yet; its new row's id, or None.

    Why: SQLite has one writer at a time, and a write transaction holds that lock from its
    first write to its COMMIT. Between the two, the request thread must win its process's GIL
    back twice (after the INSERT, after the COMMIT: sqlite3 lets it go around each), up to the
    5 ms switch interval each time while the process's other threads run Python, and it ran
    the rest of the view meanwhile. Under load that wait, not the INSERT, was what every other
    writer queued behind. A statement outside a transaction commits within its own step: the
    lock is held only while SQLite works.

    Nothing is lost: the row is durable when the statement returns, before the answer. If the
    request fails later, the visit stays recorded (the phone's retry is merged into it by the
    duplicate window); this is why only a caller whose unit writes nothing else asks for it.
    When the phone's visit was already there (nothing written), the point's lock is taken as
    other sources take it, so that the merge that follows still takes turns.
    """
    raw = connection.connection.driver_connection
    if raw.in_transaction:  # something was written before: keep it one transaction
        return run_on_driver(connection, statement, params)
    level = raw.isolation_level
    raw.isolation_level = None  # sqlite3's own autocommit: no BEGIN before the INSERT
    try:
        checkin_id = run_on_driver(connection, statement, params)
    finally:
        raw.isolation_level = level
    if checkin_id is None:
        db.session.execute(_SQLITE_POINT_LOCK, {"lock_point": params["point_id"]})
    return checkin_id
