"""A phone's check-in is written on the driver's cursor (services/driver_statements.py): the row
it writes is the row SQLAlchemy's own INSERT writes, value for value, on both databases; the
statement's literals and the values' types are SQLAlchemy's; a driver's error is SQLAlchemy's."""
from __future__ import annotations

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from registry.extensions import db
from registry.models import Checkin, CheckinSource
from registry.services.checkins import record_checkin, self_scan
from registry.services.declarations import Declaration
from registry.services.driver_statements import DriverStatement, run_on_driver

COMPARED = [column.key for column in Checkin.__table__.columns if column.key != "id"]


def _declaration(**overrides) -> Declaration:
    values = dict(full_name="Nguyễn Thị <Hoa> & 'Bé'", birth_year=1980, sex="female",
                  id_number=None, nationality="Việt Nam", province="Thanh Hóa",
                  ward="Xã Triệu Sơn", address="Thôn Đông; DROP TABLE checkins; --",
                  phone="+84912345678", email=None,
                  answers={"travel": {"answer": True, "details": "Hà Nội \"2 ngày\""},
                           "symptoms": {"answer": False}})
    values.update(overrides)
    return Declaration(**values)


def test_the_driver_writes_the_row_sqlalchemy_writes(app, make_venue):
    point = make_venue().points[0]
    by_driver = self_scan(point, _declaration(), "a" * 64, 30, alone=True).checkin
    by_orm = record_checkin(point, CheckinSource.SELF_SCAN, _declaration())
    db.session.commit()
    db.session.expire_all()
    driver_row = db.session.get(Checkin, by_driver.id)
    orm_row = db.session.get(Checkin, by_orm.id)
    differs = {key: (getattr(driver_row, key), getattr(orm_row, key)) for key in COMPARED
               if getattr(driver_row, key) != getattr(orm_row, key)}
    # Only what tells the two apart: the phone, and the moments each was written.
    assert set(differs) <= {"device_hash", "checked_in_at", "created_at"}, differs
    assert driver_row.source == CheckinSource.SELF_SCAN and driver_row.id_number is None
    assert driver_row.answers["travel"]["details"] == "Hà Nội \"2 ngày\""
    assert driver_row.address == "Thôn Đông; DROP TABLE checkins; --"


def test_a_second_tap_is_merged_not_written_again(app, make_venue):
    point = make_venue().points[0]
    first = self_scan(point, _declaration(), "b" * 64, 30, alone=True)
    again = self_scan(point, _declaration(address="Thôn Tây"), "b" * 64, 30, alone=True)
    db.session.commit()
    assert not first.merged and again.merged and again.checkin.id == first.checkin.id
    assert db.session.scalar(select(db.func.count()).select_from(Checkin)) == 1


def test_a_literal_of_the_statement_reaches_the_driver(app, make_venue):
    """A value written into the statement (an enum compared to) is sent as the database
    stores it."""
    point = make_venue().points[0]
    self_scan(point, _declaration(), "c" * 64, 30)
    count = DriverStatement(select(db.func.count()).select_from(Checkin).where(
        Checkin.source == CheckinSource.SELF_SCAN, Checkin.point_id == bindparam("point")))
    connection = db.session.connection()
    assert run_on_driver(connection, count, {"point": point.id}) == 1
    assert run_on_driver(connection, count, {"point": point.id + 1000}) == 0


def test_a_drivers_error_is_sqlalchemys_and_the_unit_rolls_back(app, make_venue):
    point = make_venue().points[0]
    refused = DriverStatement(insert(Checkin.__table__).values(
        commune_id=bindparam("commune"), venue_id=point.venue_id, point_id=point.id,
        source=CheckinSource.SELF_SCAN, full_name=None))
    with pytest.raises(IntegrityError):
        run_on_driver(db.session.connection(), refused, {"commune": point.venue.commune_id})
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(Checkin)) == 0
