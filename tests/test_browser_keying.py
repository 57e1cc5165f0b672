"""The typist's screen in headless Chromium: the boxes follow the printed form's columns, after a
refusal the cursor is in the first box with an error and no box has moved, the phone stays as
typed, Ctrl+D copies the box of the line above, a blank symptoms box reads "—"."""
from __future__ import annotations

from datetime import date

import pytest

from registry.extensions import db
from registry.models import FormKind, Role
from registry.services.communes import categories_for_code, create_commune
from registry.services.paper import custody
from registry.services.users import create_user
from registry.services.venues import register_venue
from registry.timeutil import local_today
from tests.test_browser_clerk import shot

pytestmark = pytest.mark.browser


def _sheet(app, kind=FormKind.LOG) -> int:
    with app.app_context():
        commune = create_commune(15664)
        keyer = create_user(commune.id, username="nhaplieu", full_name="Trần Văn Nhập",
                            role=Role.DATA_ENTRY, password="correct-horse-1")
        venue = register_venue(commune.id, keyer, point_names=["Cổng chính"], name="Chợ Nưa",
                               category_id=categories_for_code(commune.id)["market"].id,
                               address=None, village_id=None, manager_name=None,
                               manager_phone=None, notes=None)
        batch = custody.create_batch(venue.points[0], kind, 1, keyer)
        custody.collect_batch(batch, keyer, date.today(), "Anh Tuấn", 1)
        db.session.commit()
        return batch.sheets[0].id


def _login(page, base):
    page.goto(f"{base}/auth/login")
    page.fill("input[name=username]", "nhaplieu")
    page.fill("input[name=password]", "correct-horse-1")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def _boxes(page) -> dict:
    """Where every box of the line is on the page."""
    return page.eval_on_selector_all(
        "#line-form input:not([type=hidden])",
        "els => Object.fromEntries(els.map(e => { const r = e.getBoundingClientRect();"
        " return [e.name, [Math.round(r.x), Math.round(r.y), Math.round(r.width)]]; }))")


def _focused(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.name")


def test_log_sheet_keying_follows_the_columns_and_keeps_every_box_in_place(live_server, page):
    app, base = live_server
    sheet_id = _sheet(app)
    _login(page, base)
    page.goto(f"{base}/paper/sheets/{sheet_id}/key")
    names = page.eval_on_selector_all("#keyrow input", "els => els.map(e => e.name)")
    assert names == ["line_no", "time_in", "time_out", "full_name", "birth_year", "phone",
                     "address", "symptoms"]  # the printed log's columns; no ID number
    assert page.locator("input[name=id_number]").count() == 0
    fresh = _boxes(page)
    # A refusal: two boxes wrong. The cursor goes back to the first of them, the phone stays
    # as typed, and no box moves.
    page.fill("input[name=day]", local_today().strftime("%d/%m/%Y"))
    page.fill("input[name=time_in]", "25h")
    page.fill("input[name=full_name]", "Nguyễn Văn An")
    page.fill("input[name=birth_year]", "123")
    page.fill("input[name=phone]", "0912 345 678")
    page.click("#save-line")
    page.wait_for_selector("#keying-status .errors")
    assert _focused(page) == "time_in"
    assert page.input_value("input[name=phone]") == "0912 345 678"
    assert _boxes(page) == fresh
    shot(page, "keying-error")
    # Saved: the next line comes up in the same places.
    page.fill("input[name=time_in]", "8h30")
    page.fill("input[name=birth_year]", "75")
    page.fill("input[name=address]", "Thôn Đông")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Đã lưu dòng 1.")
    assert _boxes(page) == fresh
    assert _focused(page) == "time_in"
    # Ctrl+D copies the box of the line above; the symptoms box left blank reads "—".
    page.keyboard.type("9h")
    page.focus("input[name=full_name]")
    page.keyboard.press("Control+d")
    assert page.input_value("input[name=full_name]") == "Nguyễn Văn An"
    page.focus("input[name=phone]")
    page.keyboard.press("Control+D")
    assert page.input_value("input[name=phone]") == "0912 345 678"
    page.fill("input[name=full_name]", "Nguyễn Văn Ân")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Đã lưu dòng 2.")
    symptoms = page.eval_on_selector_all("#saved-lines tbody tr td:nth-child(7)",
                                         "tds => tds.map(t => t.textContent.trim())")
    assert symptoms == ["—", "—"]
    shot(page, "keying-saved")


def test_slip_keying_follows_the_slip(live_server, page):
    app, base = live_server
    sheet_id = _sheet(app, FormKind.SLIP)
    _login(page, base)
    page.goto(f"{base}/paper/sheets/{sheet_id}/key")
    names = page.eval_on_selector_all("#keyrow input", "els => els.map(e => e.name)")
    assert names == ["day", "time_in", "full_name", "birth_year", "sex", "id_number", "phone",
                     "province", "ward", "address"]
    assert page.locator("input[name=time_out]").count() == 0
    # An answer that is neither c nor k: the cursor goes to that question.
    page.fill("input[name=day]", local_today().strftime("%d/%m/%Y"))
    page.fill("input[name=full_name]", "Lê Thị Bình")
    page.fill("input[name=q_travel]", "z")
    page.click("#save-line")
    page.wait_for_selector("#keying-status .errors")
    assert _focused(page) == "q_travel"
    shot(page, "keying-slip-error")
