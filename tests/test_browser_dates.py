"""Dates in Vietnamese whatever the browser: in a Chromium set to English, date boxes read and
show dd/mm/yyyy (a type=date box would follow the browser and show mm/dd/yyyy), times are on
the 24-hour clock, and WTForms' own messages arrive in Vietnamese."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.forms.fields import parse_24h_time, parse_vietnamese_date
from registry.models import Role, TracingCase
from registry.services.communes import create_commune
from registry.services.users import create_user
from registry.timeutil import local_today
from tests.test_browser_clerk import shot


def test_day_first_dates_and_24_hour_times():
    assert parse_vietnamese_date("05/03/2026") == date(2026, 3, 5)
    assert parse_vietnamese_date("5/3/26") == date(2026, 3, 5)
    assert parse_vietnamese_date("05-03-2026") == date(2026, 3, 5)
    assert parse_vietnamese_date("2026-03-05") == date(2026, 3, 5)  # an old link
    for bad in ("03/25/2026", "31/02/2026", "hôm qua", "2026/03"):
        with pytest.raises(ValueError):
            parse_vietnamese_date(bad)
    assert parse_24h_time("8h30").strftime("%H:%M") == "08:30"
    assert parse_24h_time("14:15").strftime("%H:%M") == "14:15"
    with pytest.raises(ValueError):
        parse_24h_time("2:30 PM")


def test_a_bad_date_is_refused_in_vietnamese(client, auth, make_user):
    auth.login(make_user(Role.ADMIN))
    page = client.get("/audit?date_from=03/25/2026").get_data(as_text=True)
    assert "Ngày không hợp lệ. Hãy viết ngày theo ngày/tháng/năm, ví dụ 05/03/2026." in page
    assert 'type="text"' in page.split('name="date_from"')[0].rsplit("<input", 1)[1] + \
        page.split('name="date_from"')[1].split(">")[0]


def test_wtforms_own_messages_are_vietnamese(client, auth, commune, make_user, make_venue):
    from registry.models import FormKind
    from registry.services.paper import custody

    batch = custody.create_batch(make_venue().points[0], FormKind.LOG, 1, None)
    custody.collect_batch(batch, make_user(Role.CLERK), date.today(), "Anh Tuấn", 1)
    db.session.commit()
    auth.login(make_user(Role.DATA_ENTRY))
    page = client.post(f"/paper/sheets/{batch.sheets[0].id}/key", data={
        "line_no": "1", "day": local_today().strftime("%d/%m/%Y"), "full_name": "Lê Văn A",
        "symptoms": "không có"}).get_data(as_text=True)
    assert "Tối đa 6 ký tự." in page
    assert "Field cannot be longer" not in page


@pytest.mark.browser
def test_an_english_browser_reads_and_shows_day_first(live_server, chromium):
    app, base = live_server
    with app.app_context():
        commune = create_commune(15664)
        create_user(commune.id, username="tramyte", full_name="Hoàng Thị Y", role=Role.TRACER,
                    password="matkhau123")
        db.session.commit()
    context = chromium.new_context(locale="en-US", timezone_id="America/New_York",
                                   viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        assert page.evaluate("navigator.language") == "en-US"
        page.goto(base + "/auth/login")
        page.fill("#username", "tramyte")
        page.fill("#password", "matkhau123")
        page.click("button[type=submit]")
        page.goto(base + "/tracing/cases/new")
        box = page.locator("input[name=index_date]")
        assert box.get_attribute("type") == "text"
        assert box.get_attribute("placeholder") == "dd/mm/yyyy"
        day = local_today() - timedelta(days=3)
        # Typed day first (29/11/2026): read as month first, it would not even be a date.
        page.fill("input[name=index_label]", "BN 12345")
        box.fill(day.strftime("%d/%m/%Y"))
        page.select_option("select[name=index_date_kind]", index=1)
        shot(page, "dates-english-browser")
        page.click("form.form-grid button[type=submit]")
        page.wait_for_url("**/person**")
        # The case's search form shows its dates day first, and the header the index date.
        assert page.input_value("input[name=date_to]") == local_today().strftime("%d/%m/%Y")
        assert day.strftime("%d/%m/%Y") in page.inner_text("main")
        assert "Ngày" in page.inner_text("main")  # the interface stays Vietnamese
    finally:
        context.close()
    with app.app_context():
        assert db.session.scalar(select(TracingCase.index_date)) == day
