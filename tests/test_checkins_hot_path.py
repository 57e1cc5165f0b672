"""The check-in's hot path stays short and right: the statements a check-in and a phone's first
page cost, the per-process snapshots of points, questions and first pages (emptied by the
commit that changes them, at most SNAPSHOT_SECONDS stale for another process), and the CSRF
token each phone gets although its first page is kept."""
from __future__ import annotations

import re
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import event, text

from registry import caching, create_app
from registry.extensions import db
from registry.models import Checkin, Role, VenueStatus
from registry.services.checkins import self_scan
from registry.services.declarations import Declaration, add_question
from registry.services.posters import resolve_token, rotate_token
from registry.services.venues import set_venue_status
from tests.conftest import _test_config
from tests.test_checkins import declaration

TOKEN_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


# What a driver is sent that is not the work: the transaction's own statements, the pool's
# check that a connection is alive, the settings of a new SQLite connection.
NOT_THE_WORK = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|PRAGMA|SELECT 1\s*$|;?\s*$)", re.IGNORECASE)


@contextmanager
def statements():
    """The SQL statements the driver sent to the database inside the block, whoever sent them
    (SQLAlchemy or services/driver_statements.py, which runs past SQLAlchemy's events)."""
    sent: list[str] = []

    def note(statement):
        if not NOT_THE_WORK.match(statement):
            sent.append(statement)

    if db.engine.dialect.name == "sqlite":
        # sqlite3 tells each statement it runs to a connection's trace callback: fresh
        # connections for the block, each with one. It tells a statement again for each step
        # of the triggers it fires (the daily tallies'): told once here.
        def once(statement):
            if not sent or sent[-1] != statement:
                note(statement)

        def trace(dbapi_connection, _record):
            dbapi_connection.set_trace_callback(once)

        db.session.remove()
        db.engine.dispose()
        event.listen(db.engine, "connect", trace)
        try:
            yield sent
        finally:
            event.remove(db.engine, "connect", trace)
            db.session.remove()
            db.engine.dispose()
        return
    real = psycopg.Cursor.execute

    def execute(cursor, query, *args, **kwargs):
        note(query if isinstance(query, str) else query.as_string(cursor))
        return real(cursor, query, *args, **kwargs)

    psycopg.Cursor.execute = execute
    try:
        yield sent
    finally:
        psycopg.Cursor.execute = real


def _phone(app, token: str):
    """A phone that has loaded the page once (it has its device cookie)."""
    phone = app.test_client()
    phone.get(f"/c/{token}")
    return phone


def test_a_check_in_costs_one_or_two_statements_and_the_first_page_none(app, make_venue):
    venue = make_venue(name="Chợ Nưa")
    token = venue.points[0].token
    first = _phone(app, token)
    first.post(f"/c/{token}", data=declaration())  # the point and questions are read once
    with statements() as sent:
        page = app.test_client().get(f"/c/{token}")
    assert page.status_code == 200 and "Chợ Nưa" in page.get_data(as_text=True)
    assert sent == []  # a new phone's first page: the kept page, its own CSRF token
    phone = _phone(app, token)
    with statements() as sent:
        response = phone.post(f"/c/{token}", data=declaration(full_name="Trần Thị Bình",
                                                                 phone="0987 654 321"))
    assert response.status_code == 302
    # SQLite: the look-and-INSERT; PostgreSQL: the phone's lock first. Nothing else.
    assert len(sent) == (2 if db.engine.dialect.name == "postgresql" else 1), sent
    assert sum(s.lstrip().upper().startswith("INSERT") for s in sent) == 1
    db.session.expire_all()
    assert [c.full_name for c in db.session.query(Checkin).order_by(Checkin.id)] == [
        "Nguyễn Văn An", "Trần Thị Bình"]
    done = phone.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã khai báo thành công" in done and "Trần Thị Bình" in done


def test_a_kept_first_page_does_not_resolve_the_point_again(app, make_venue, monkeypatch):
    from registry.views import checkins as views

    token = make_venue(name="Chợ Nưa").points[0].token
    assert app.test_client().get(f"/c/{token}").status_code == 200  # now kept
    resolved = []
    real = views.resolve_token
    monkeypatch.setattr(views, "resolve_token",
                        lambda t, **options: resolved.append(t) or real(t, **options))
    page = app.test_client().get(f"/c/{token}")
    assert page.status_code == 200 and "Chợ Nưa" in page.get_data(as_text=True)
    assert resolved == [] and views.DEVICE_COOKIE in page.headers.get("Set-Cookie", "")
    # A phone with its cookie goes the whole way; both answers are never stored by a cache.
    again = _phone(app, token).get(f"/c/{token}")
    assert resolved == [token]
    assert "no-store" in page.headers["Cache-Control"] == again.headers["Cache-Control"]


def test_a_repeat_within_the_window_is_still_merged(app, client, make_venue):
    venue = make_venue()
    token = venue.points[0].token
    client.get(f"/c/{token}")
    assert client.post(f"/c/{token}", data=declaration()).status_code == 302
    again = client.post(f"/c/{token}", data=declaration(address="Thôn Tây"),
                        follow_redirects=True).get_data(as_text=True)
    assert "đã được cập nhật" in again
    db.session.expire_all()
    [row] = db.session.query(Checkin).all()
    assert row.merge_count == 1 and row.address == "Thôn Tây"


def test_each_phone_gets_its_own_csrf_token_on_the_kept_first_page(app, make_venue):
    app.config["WTF_CSRF_ENABLED"] = True
    token = make_venue().points[0].token
    one, two = app.test_client(), app.test_client()
    page_one = one.get(f"/c/{token}").get_data(as_text=True)
    page_two = two.get(f"/c/{token}").get_data(as_text=True)
    token_one, token_two = TOKEN_FIELD.search(page_one)[1], TOKEN_FIELD.search(page_two)[1]
    assert token_one != token_two and "\x00" not in page_one + page_two
    # A phone's token is good for its own session only.
    assert two.post(f"/c/{token}", data=declaration(csrf_token=token_one)).status_code == 200
    assert one.post(f"/c/{token}", data=declaration(csrf_token=token_one)).status_code == 302
    assert two.post(f"/c/{token}", data=declaration(
        csrf_token=token_two, full_name="Lê Thị Cúc", phone="0987 000 111")).status_code == 302
    assert db.session.query(Checkin).count() == 2


def test_a_committed_change_is_seen_by_the_next_page_at_once(app, client, make_venue,
                                                             make_user, commune):
    venue = make_venue(name="Chợ Nưa")
    token = venue.points[0].token
    assert "Chợ Nưa" in client.get(f"/c/{token}").get_data(as_text=True)  # now kept
    venue.name = "Chợ Nưa mới"
    db.session.commit()
    assert "Chợ Nưa mới" in app.test_client().get(f"/c/{token}").get_data(as_text=True)
    add_question(commune.id, None, text="Anh/Chị đã tiêm vắc xin COVID-19 chưa?")
    db.session.commit()
    assert "đã tiêm vắc xin" in app.test_client().get(f"/c/{token}").get_data(as_text=True)
    set_venue_status(venue, make_user(Role.CLERK), VenueStatus.SUSPENDED)
    db.session.commit()
    page = app.test_client().get(f"/c/{token}").get_data(as_text=True)
    assert "Địa điểm đang tạm dừng hoạt động" in page
    app.test_client().post(f"/c/{token}", data=declaration())
    assert db.session.query(Checkin).count() == 0


def test_a_withdrawn_code_is_withdrawn_at_once(app, make_venue):
    venue = make_venue()
    point = venue.points[0]
    old = point.token
    assert app.test_client().get(f"/c/{old}").status_code == 200
    rotate_token(point, None, reason="lost")
    db.session.commit()
    assert app.test_client().get(f"/c/{old}").status_code == 410
    assert app.test_client().get(f"/c/{point.token}").status_code == 200


def test_an_uncommitted_change_is_seen_by_its_own_transaction_only(app, make_venue):
    venue = make_venue(name="Chợ Nưa")
    token = venue.points[0].token
    assert resolve_token(token).point.venue.name == "Chợ Nưa"
    venue.name = "Chợ đang sửa"
    db.session.flush()
    assert resolve_token(token).point.venue.name == "Chợ đang sửa"
    db.session.rollback()
    db.session.expunge_all()
    assert resolve_token(token).point.venue.name == "Chợ Nưa"


def test_another_process_sees_a_change_within_the_snapshot_seconds(app, make_venue, monkeypatch,
                                                                   tmp_path):
    """Another process (a second app on the same database) changes the venue: this one keeps
    its snapshot at most SNAPSHOT_SECONDS, then reads the change."""
    now = [1000.0]
    monkeypatch.setattr(caching, "_clock", lambda: now[0])
    venue = make_venue(name="Chợ Nưa")
    token = venue.points[0].token
    assert "Chợ Nưa" in app.test_client().get(f"/c/{token}").get_data(as_text=True)
    other = create_app(_test_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path))
    with other.app_context():
        resolve_token(token).point.venue.name = "Chợ Nưa (đổi ở tiến trình khác)"
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    seconds = app.config.get("SNAPSHOT_SECONDS", caching.DEFAULT_SECONDS)
    now[0] += seconds - 1
    assert "tiến trình khác" not in app.test_client().get(f"/c/{token}").get_data(as_text=True)
    now[0] += 1
    assert "tiến trình khác" in app.test_client().get(f"/c/{token}").get_data(as_text=True)


def test_the_point_lock_on_sqlite_empties_no_snapshot(app, make_venue):
    """The lock a check-in takes writes the point's row back unchanged: the kept point stays
    (else every check-in would read the point again)."""
    token = make_venue().points[0].token
    phone = app.test_client()
    phone.get(f"/c/{token}")
    phone.post(f"/c/{token}", data=declaration())
    with statements() as sent:
        app.test_client().get(f"/c/{token}")
    assert sent == []


def test_a_posted_declaration_records_from_the_kept_point_and_renders_attached(
        app, make_venue, commune, monkeypatch):
    """A valid declaration is recorded from the process's kept copies of the point, venue and
    commune (never merged into the session); a form shown again, with errors or the "no to
    all" answers, gets them attached (its template may read any relation)."""
    from registry.services.posters import ResolvedToken

    venue = make_venue(name="Chợ Nưa")
    token = venue.points[0].token
    phone = _phone(app, token)  # the point is kept now
    expected = (venue.points[0].id, venue.id, commune.id)
    attached = []
    real = ResolvedToken.attached
    monkeypatch.setattr(ResolvedToken, "attached",
                        lambda self: attached.append(self.point.id) or real(self))
    assert phone.post(f"/c/{token}", data=declaration()).status_code == 302
    assert attached == []
    [row] = db.session.query(Checkin).all()
    assert (row.point_id, row.venue_id, row.commune_id) == expected
    invalid = phone.post(f"/c/{token}", data=declaration(full_name=""))
    assert invalid.status_code == 200 and "Chợ Nưa" in invalid.get_data(as_text=True)
    assert attached == [expected[0]]
    shortcut = phone.post(f"/c/{token}", data={**declaration(), "all_no": "self"})
    assert shortcut.status_code == 200 and "Chợ Nưa" in shortcut.get_data(as_text=True)
    assert attached == [expected[0]] * 2 and db.session.query(Checkin).count() == 1


def test_the_outcome_travels_in_the_redirect_and_tells_only_the_phones_own_visit(
        app, make_venue):
    """A check-in is answered with a redirect that carries its outcome (no flashed message,
    no session cookie written); the page shows it only beside the phone's own open visit."""
    token = make_venue().points[0].token
    phone = _phone(app, token)
    response = phone.post(f"/c/{token}", data=declaration())
    assert response.status_code == 302 and response.headers["Location"].endswith("done=new")
    assert app.config["SESSION_COOKIE_NAME"] not in response.headers.get("Set-Cookie", "")
    done = phone.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã khai báo thành công" in done and "Nguyễn Văn An" in done
    again = phone.post(f"/c/{token}", data=declaration(address="Thôn Tây"))
    assert again.headers["Location"].endswith("done=merged")
    assert "đã được cập nhật" in phone.get(again.headers["Location"]).get_data(as_text=True)
    # A link with an outcome, opened by a phone with no visit here: the form, no outcome.
    stranger = _phone(app, token)
    for forged in ("merged", "new", "3", "<b>x</b>", "100"):
        page = stranger.get(f"/c/{token}?done={forged}").get_data(as_text=True)
        assert "Đã khai báo thành công" not in page and "đã được cập nhật" not in page
        assert "<b>x</b>" not in page
    # The phone's own page with an outcome it did not get says only what is asked of it.
    odd = phone.get(f"/c/{token}?done=<b>x</b>").get_data(as_text=True)
    assert "<b>x</b>" not in odd and "Đã khai báo thành công" not in odd


def _visits_seen_by_another_connection() -> int:
    with db.engine.connect() as other:
        return other.execute(text("SELECT count(*) FROM checkins")).scalar_one()


@pytest.mark.parametrize("alone", [True, False], ids=["alone", "with-more"])
def test_a_phones_visit_alone_commits_in_its_own_statement_on_sqlite(app, make_venue, backend,
                                                                     alone):
    """On SQLite a phone's new visit that is all the request writes is committed by the INSERT
    itself (SQLite's one write lock held only while it works); anything else, and every visit
    on PostgreSQL, waits for the unit's commit."""
    point = make_venue().points[0]
    db.session.commit()
    declaration_ = Declaration(full_name="Nguyễn Văn An", birth_year=1980, phone="+84912345678")
    with app.test_request_context():
        recorded = self_scan(point, declaration_, "a" * 64, 30, alone=alone)
        seen = _visits_seen_by_another_connection()
        assert seen == (1 if alone and backend == "sqlite" else 0)
        assert not recorded.merged and recorded.checkin.full_name == "Nguyễn Văn An"
        db.session.commit()
    assert _visits_seen_by_another_connection() == 1


def test_a_visit_after_another_write_stays_in_the_units_transaction(app, make_venue):
    """A phone's visit asked to commit alone after something else was written keeps one
    transaction: a rollback takes both back."""
    point = make_venue().points[0]
    db.session.commit()
    with app.test_request_context():
        add_question(point.venue.commune_id, None, text="Anh/Chị có ho không?")
        db.session.flush()
        self_scan(point, Declaration(full_name="Trần Thị Bình", birth_year=1990,
                                     phone="+84987654321"), "b" * 64, 30, alone=True)
        db.session.rollback()
    assert _visits_seen_by_another_connection() == 0
