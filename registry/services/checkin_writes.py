"""How `services/checkins.record_visit` writes a visit: one INSERT instead of the unit of work,
and for a phone's own check-in (a self-scan) the duplicate window's look and the INSERT in one
statement, under a lock of that phone at that point only.

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

import zlib
from datetime import timedelta

from sqlalchemy import bindparam, cast, exists, func, or_, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.attributes import set_committed_value

from registry.extensions import db
from registry.models import Checkin, CheckinSource

# Advisory lock key space of a phone at a point (the point's own lock uses POINT_LOCK_SPACE in
# services/checkins.py), so that neither meets another application's locks.
PHONE_LOCK_SPACE = 0x6370  # "cp"

_CHECKINS = Checkin.__table__
_CK = _CHECKINS.c
_COLUMNS = [column for column in _CHECKINS.columns if column.key != "id"]
_INSERT = _CHECKINS.insert()
_PG_PHONE_LOCK = select(func.pg_advisory_xact_lock(PHONE_LOCK_SPACE, bindparam("lock_key")))


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


_INSERT_UNLESS = {"postgresql": _insert_unless(casts=True), "sqlite": _insert_unless(casts=False)}


def _row(values: dict) -> dict:
    return {column.key: values.get(column.key) for column in _COLUMNS}


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
    if db.session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"{point_id}:{device_hash}".encode())
        db.session.execute(_PG_PHONE_LOCK, {"lock_key": key - (1 << 32) if key >= 1 << 31
                                            else key})


def insert_self_scan_unless_duplicate(values: dict, *, minutes: int,
                                      name_key: str) -> Checkin | None:
    """The new self-scan (stamped `values["checked_in_at"]`), written, or None when the same
    phone checked in here as the same person within `minutes` (nothing written then)."""
    db.session.flush()
    row = _row(values)
    params = {f"v_{key}": value for key, value in row.items()}
    params.update(device_hash=values["device_hash"], point_id=values["point_id"],
                  since=values["checked_in_at"] - timedelta(minutes=minutes), name_key=name_key,
                  id_number=values.get("id_number") or None)
    statement = _INSERT_UNLESS[db.session.get_bind().dialect.name]
    checkin_id = db.session.execute(statement, params).scalar()
    return _persistent(row, checkin_id) if checkin_id is not None else None
