"""Automatic check-out at the venue's closing time (local time, Asia/Ho_Chi_Minh), by the
worker's periodic task and the command; closing times on the settings and venue pages; check-out
by hand before it; tracing that treats an automatic exit as unknown and says so."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from registry.extensions import db
from registry.models import Checkin, CheckoutReason, Role, Venue
from registry.services.checkout import close_open_visits, closing_moment
from registry.timeutil import local_to_utc, local_today, to_local
from tests.scenes import CARD, PAPER, DATE_ONLY, S, open_case, visit

DAY = date(2026, 3, 10)


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A Vietnamese local time as the naive UTC the database holds."""
    return local_to_utc(datetime.combine(day, time(hour, minute, second)))


def test_closing_moment_is_the_first_local_closing_time_after_the_check_in():
    # 09:00 at a market closing 18:00 → 18:00 that day (11:00 UTC).
    assert closing_moment(local(DAY, 9), time(18)) == datetime(2026, 3, 10, 11, 0)
    # 20:00 at a karaoke bar closing 01:00 → 01:00 next morning, 18:00 UTC of the same date.
    assert closing_moment(local(DAY, 20), time(1)) == datetime(2026, 3, 10, 18, 0)
    # 00:30 after midnight, still before 01:00 → 01:00 the same local day.
    assert closing_moment(local(DAY, 0, 30), time(1)) == local(DAY, 1)
    # A check-in at the closing minute itself belongs to the next day's opening.
    assert closing_moment(local(DAY, 18), time(18)) == local(DAY + timedelta(days=1), 18)


def test_open_visits_close_at_the_boundary_in_local_time(app, commune, make_venue):
    market = make_venue(name="Chợ Nưa", category="market")
    market.closing_time = time(18, 0)
    bar = make_venue(name="Karaoke Hoa Mai", category="household_business")
    bar.closing_time = time(1, 0)
    school = make_venue(name="Trường THCS")  # no closing time of its own: the commune's 22:00
    db.session.commit()
    last_minute = visit(market.points[0], S, "Nguyễn Văn An", to_local_naive(local(DAY, 17, 59)))
    left = visit(market.points[0], CARD, "Trần Thị Bình", to_local_naive(local(DAY, 9)))
    left.checked_out_at, left.checkout_reason = local(DAY, 10), CheckoutReason.MANUAL
    night = visit(bar.points[0], S, "Lê Văn Cường", to_local_naive(local(DAY, 20)))
    pupil = visit(school.points[0], PAPER, "Phạm Thị Dung", to_local_naive(local(DAY, 7)))
    db.session.commit()

    # One second before 18:00 local nothing is due.
    assert close_open_visits(now=local(DAY, 17, 59, 59)) == 0
    assert last_minute.checked_out_at is None
    # At 18:00 local (11:00 UTC) the market's open visit is closed at exactly 18:00.
    assert close_open_visits(now=local(DAY, 18)) == 1
    assert last_minute.checked_out_at == local(DAY, 18) == datetime(2026, 3, 10, 11, 0)
    assert last_minute.checkout_reason == CheckoutReason.AUTOMATIC
    assert left.checked_out_at == local(DAY, 10) and left.checkout_reason == CheckoutReason.MANUAL
    # Idempotent: running again at the same moment closes nothing and changes nothing.
    assert close_open_visits(now=local(DAY, 18)) == 0
    # The school closes at the commune's default, 22:00.
    assert commune.default_closing_time == time(22, 0)
    assert close_open_visits(now=local(DAY, 21, 59)) == 0
    assert close_open_visits(now=local(DAY, 22)) == 1 and pupil.checked_out_at == local(DAY, 22)
    # The bar closes after midnight: 00:59 local of the next day is not yet, 01:00 is; that is
    # 18:00 UTC of the check-in's own date.
    assert close_open_visits(now=local(DAY + timedelta(days=1), 0, 59)) == 0
    assert close_open_visits(now=local(DAY + timedelta(days=1), 1)) == 1
    assert night.checked_out_at == datetime(2026, 3, 10, 18, 0)
    db.session.commit()
    rows = db.session.scalars(select(Checkin).where(Checkin.checked_out_at.is_(None))).all()
    assert rows == []


def to_local_naive(utc: datetime) -> datetime:
    """The local wall-clock time of a stored UTC time (what `visit` expects)."""
    return to_local(utc).replace(tzinfo=None)


def test_the_command_and_the_periodic_task_close_yesterdays_visits(app, runner, commune,
                                                                   make_venue):
    from registry.worker import closing_time_task

    venue = make_venue()
    yesterday = local_today() - timedelta(days=1)
    visit(venue.points[0], S, "Nguyễn Văn An", datetime.combine(yesterday, time(8)))
    visit(venue.points[0], S, "Trần Thị Bình", datetime.combine(yesterday, time(9)))
    db.session.commit()
    result = runner.invoke(args=["close-visits"])
    assert result.exit_code == 0, result.output
    assert "2 visits closed" in result.output
    visit(venue.points[0], S, "Lê Văn Cường", datetime.combine(yesterday, time(10)))
    db.session.commit()
    closing_time_task()  # huey runs it in-process in tests, as the consumer would every 10 min
    db.session.expire_all()
    rows = db.session.scalars(select(Checkin).order_by(Checkin.id)).all()
    assert [r.checkout_reason for r in rows] == [CheckoutReason.AUTOMATIC] * 3
    assert {to_local(r.checked_out_at).time() for r in rows} == {time(22, 0)}
    assert runner.invoke(args=["close-visits"]).output.startswith("0 visits closed")


def test_closing_times_on_the_settings_and_venue_pages(client, auth, commune, make_venue,
                                                       make_user):
    auth.login(make_user(Role.CLERK))
    page = client.get("/commune/settings").get_data(as_text=True)
    assert "Giờ đóng cửa của các địa điểm" in page and 'value="22:00"' in page
    settings = {"place_name": "Triệu Sơn", "hotline": "0237 3868 123",
                "retention_days": "21", "checkin_merge_minutes": "30"}
    bad = client.post("/commune/settings", data={**settings, "default_closing_time": "25:00"})
    assert "Hãy nhập giờ trong ngày, ví dụ 21:30." in bad.get_data(as_text=True)
    assert client.post("/commune/settings",
                       data={**settings, "default_closing_time": "21h30"}).status_code == 302
    db.session.expire_all()
    assert commune.default_closing_time == time(21, 30)
    venue = make_venue()
    form = client.get(f"/venues/{venue.id}/edit").get_data(as_text=True)
    assert "Giờ đóng cửa" in form and "Thời gian lưu lại thường lệ" in form
    assert 'placeholder="21:30"' in form  # the commune's default, when the venue has none
    fields = {"name": venue.name, "category_id": str(venue.category_id), "address": "",
              "village_id": "", "manager_name": "Nguyễn Văn An",
              "manager_phone": "0912 345 678", "point_lines": "Cổng chính", "notes": ""}
    bad = client.post(f"/venues/{venue.id}/edit", data={**fields, "closing_time": "sáng"})
    assert "Hãy nhập giờ trong ngày" in bad.get_data(as_text=True)
    assert client.post(f"/venues/{venue.id}/edit", data={
        **fields, "closing_time": "17:30", "default_stay_minutes": "45"}).status_code == 302
    db.session.expire_all()
    venue = db.session.get(Venue, venue.id)
    assert venue.closing_time == time(17, 30) and venue.default_stay_minutes == 45
    detail = client.get(f"/venues/{venue.id}").get_data(as_text=True)
    assert "17:30" in detail and "45 phút" in detail
    # The edit form shows the stored time as typed, 24-hour clock.
    assert 'value="17:30"' in client.get(f"/venues/{venue.id}/edit").get_data(as_text=True)


def test_a_phone_checks_out_by_hand_before_closing_time(client, commune, make_venue):
    from tests.test_checkins import declaration

    venue = make_venue()
    token = venue.points[0].token
    client.post(f"/c/{token}", data=declaration())
    client.post(f"/c/{token}/checkout")
    row = db.session.scalars(select(Checkin)).one()
    assert row.checked_out_at is not None and row.checkout_reason == CheckoutReason.MANUAL
    assert close_open_visits(now=row.checked_in_at + timedelta(days=1)) == 0
    assert row.checkout_reason == CheckoutReason.MANUAL


def test_tracing_treats_an_automatic_exit_as_unknown_and_says_so(client, auth, commune,
                                                                make_venue, make_user):
    market = make_venue(name="Chợ Nưa", category="market")
    market.default_stay_minutes = 45
    day = local_today() - timedelta(days=1)
    index = visit(market.points[0], S, "Nguyễn Văn An", datetime.combine(day, time(9)),
                  id_number="038123456712")
    later = visit(market.points[0], S, "Trần Thị Bình", datetime.combine(day, time(9, 40)))
    visit(market.points[0], S, "Vũ Thị Hà", datetime.combine(day, time(10, 30)))  # too late
    visit(market.points[0], PAPER, "Hoàng Minh Đức", datetime.combine(day, time(0)),
          precision=DATE_ONLY)
    db.session.commit()
    close_open_visits()
    db.session.commit()
    assert index.closed_automatically and to_local(index.checked_out_at).hour == 22
    auth.login(make_user(Role.TRACER))
    case = open_case(client)
    page = client.get(f"/tracing/cases/{case.id}/person", query_string={
        "q": "038123456712", "kind": "id", "date_from": day.isoformat(),
        "date_to": day.isoformat(), "window": "0"}).get_data(as_text=True)
    # The visit's exit is the closing time, not a departure: tracing uses the 45 minutes.
    assert "ra về tự động khi đóng cửa" in page
    assert "Không có giờ ra: tính là ở lại 45 phút, thời gian lưu lại thường lệ của địa điểm" \
        in page
    assert "Trần Thị Bình" in page and "Vũ Thị Hà" not in page  # 09:40 in, 10:30 out of 45'
    assert "(tự động)" in page
    # Without a usual stay, only the time of arrival counts (as before).
    market.default_stay_minutes = None
    db.session.commit()
    page = client.get(f"/tracing/cases/{case.id}/person", query_string={
        "q": "038123456712", "kind": "id", "date_from": day.isoformat(),
        "date_to": day.isoformat(), "window": "0"}).get_data(as_text=True)
    assert "chỉ dùng giờ đến" in page and "Trần Thị Bình" not in page
    assert later.checkout_reason == CheckoutReason.AUTOMATIC
