"""The reviewer of double entry: nothing is chosen in advance where the two keyings differ; the
whole sheet is settled on one page, with the keyboard, taking the first keying, the second or a
third value typed from the paper; agreement is shown per field and per keyer."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import Checkin, DoubleEntry, FormKind, Role, SheetStatus
from registry.services.paper import custody, double_entry, keying
from registry.services.paper.keying import LineValues
from registry.timeutil import local_today
from tests.test_browser_clerk import shot


def _values(**overrides) -> LineValues:
    fields = dict(day=local_today(), time_in=time(8, 30), time_in_exact=True, time_out=None,
                  full_name="Nguyễn Văn An", birth_year=1975, phone="+84912345678",
                  address="Thôn Đông", symptoms=False)
    fields.update(overrides)
    return LineValues(**fields)


def _keyed_twice(commune_id_user, venue, first, second):
    """A log sheet keyed by two people: line 1 differs in phone and symptoms (one left the
    box blank), line 2 in the year of birth."""
    batch = custody.create_batch(venue.points[0], FormKind.LOG, 1, None,
                                 double_entry=DoubleEntry.FULL)
    custody.collect_batch(batch, first, date.today(), "Anh Tuấn", 1)
    sheet = batch.sheets[0]
    keying.save_line(sheet, 1, _values(), first)
    keying.save_line(sheet, 2, _values(full_name="Lê Thị Cúc", birth_year=1962), first)
    keying.finish_sheet(sheet, first)
    double_entry.save_second_line(sheet, 1, _values(phone="+84912345679", symptoms=None), second)
    double_entry.save_second_line(sheet, 2, _values(full_name="Lê Thị Cúc", birth_year=1963),
                                  second)
    double_entry.finish_second_keying(sheet, second)
    db.session.commit()
    return sheet


@pytest.fixture
def keyed(app, commune, make_user, make_venue):
    first = make_user(Role.DATA_ENTRY, full_name="Trần Văn Nhập")
    second = make_user(Role.DATA_ENTRY, full_name="Phạm Thị Hai")
    return _keyed_twice(commune.id, make_venue(), first, second)


def test_nothing_is_chosen_in_advance_and_an_open_field_settles_nothing(client, auth, make_user,
                                                                        keyed):
    auth.login(make_user(Role.CLERK))
    url = f"/paper/sheets/{keyed.id}/review"
    page = client.get(url).get_data(as_text=True)
    assert page.count('type="radio"') == 3 * 3  # three differences: first, second, typed
    assert "checked" not in page.split('id="review-form"')[1]
    # A blank symptoms box reads "—", as in the keyer's saved lines.
    row = page.split('data-diff="')[2]  # line 1's second difference: symptoms
    assert "Triệu chứng" in row and "</kbd> Không</label>" in row and "</kbd> —</label>" in row
    lines = {l.line_no: l for l in keyed.lines}
    one, two = lines[1].id, lines[2].id
    response = client.post(url, data={f"pick_{one}_phone": "second",
                                      f"pick_{one}_symptoms": "first"})
    assert response.status_code == 400
    refused = response.get_data(as_text=True)
    assert "Còn 1 chỗ khác nhau chưa xử lý" in refused
    assert "Hãy chọn giá trị nhập lần 1, nhập lần 2, hoặc gõ giá trị ghi trên giấy." in refused
    assert f'name="pick_{one}_phone" value="second" checked' in refused  # choices kept
    db.session.expire_all()
    assert double_entry.unsettled_lines(keyed) and keyed.status == SheetStatus.KEYED
    # A third value typed from the paper; a typed value that is not one is refused.
    bad = client.post(url, data={f"pick_{one}_phone": "second", f"pick_{one}_symptoms": "first",
                                 f"pick_{two}_birth_year": "typed",
                                 f"typed_{two}_birth_year": "19x4"})
    assert bad.status_code == 400 and "2 hoặc 4 chữ số" in bad.get_data(as_text=True)
    done = client.post(url, data={f"pick_{one}_phone": "second",
                                  f"pick_{one}_symptoms": "first",
                                  f"typed_{two}_birth_year": "1964"})  # typed without ticking
    assert done.status_code == 302
    db.session.expire_all()
    people = {c.full_name: c for c in db.session.scalars(select(Checkin))}
    assert people["Nguyễn Văn An"].phone == "+84912345679"
    assert people["Lê Thị Cúc"].birth_year == 1964
    assert keyed.status == SheetStatus.VERIFIED


def test_agreement_per_field_and_per_keyer(client, auth, make_user, keyed):
    auth.login(make_user(Role.CLERK))
    page = client.get("/paper/double-entry").get_data(as_text=True)
    by_field = page.split('id="agreement-fields"')[1].split("</table>")[0]
    rows = [r.split("</tr>")[0] for r in by_field.split("<tr>")[2:]]
    cells = [[c.split("</td>")[0] for c in r.split("<td")[1:]] for r in rows]
    named = {c[0].lstrip(">"): [x.split(">")[-1] for x in c[1:]] for c in cells}
    assert named["Năm sinh"] == ["2", "1", "50 %"]
    assert named["Điện thoại"] == ["2", "1", "50 %"]
    assert named["Họ và tên"] == ["2", "2", "100 %"]
    assert by_field.index("Năm sinh") < by_field.index("Họ và tên")  # worst first
    assert "Số định danh" not in by_field  # a visitor log has no such box to differ in
    keyers = page.split('id="agreement"')[1].split("</table>")[0]
    assert "Trần Văn Nhập" in keyers and "Phạm Thị Hai" in keyers and "0 %" in keyers
    review = client.get(f"/paper/sheets/{keyed.id}/review").get_data(as_text=True)
    assert "Trần Văn Nhập (tỷ lệ khớp 0 %)" in review


@pytest.mark.browser
def test_the_whole_sheet_is_settled_with_the_keyboard(live_server, page):
    app, base = live_server
    from registry.services.communes import categories_for_code, create_commune
    from registry.services.users import create_user
    from registry.services.venues import register_venue

    with app.app_context():
        commune = create_commune(15664)
        users = [create_user(commune.id, username=u, full_name=n, role=r, password="matkhau123")
                 for u, n, r in (("nhap1", "Trần Văn Nhập", Role.DATA_ENTRY),
                                 ("nhap2", "Phạm Thị Hai", Role.DATA_ENTRY),
                                 ("thuy", "Nguyễn Thị Thúy", Role.CLERK))]
        venue = register_venue(commune.id, users[2], point_names=["Cổng chính"], name="Chợ Nưa",
                               category_id=categories_for_code(commune.id)["market"].id,
                               address=None, village_id=None, manager_name=None,
                               manager_phone=None, notes=None)
        sheet_id = _keyed_twice(commune.id, venue, users[0], users[1]).id
    page.goto(base + "/auth/login")
    page.fill("#username", "thuy")
    page.fill("#password", "matkhau123")
    page.click("button[type=submit]")
    page.goto(f"{base}/paper/sheets/{sheet_id}/review")
    # The first difference has the focus; 2, 1, then 3 and a value typed, Enter to send.
    page.wait_for_function("document.activeElement && document.activeElement.type === 'radio'")
    assert page.evaluate("document.activeElement.name").endswith("_phone")
    page.keyboard.press("2")
    page.keyboard.press("1")
    page.keyboard.press("3")
    assert page.evaluate("document.activeElement.type") == "text"
    page.keyboard.type("64")
    shot(page, "review-keyboard")
    page.keyboard.press("Enter")  # the typed value is done: the button has the focus
    assert page.evaluate("document.activeElement.id") == "settle-all"
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Đã xử lý 2 dòng")
    with app.app_context():
        people = {c.full_name: c for c in db.session.scalars(select(Checkin))}
        assert people["Nguyễn Văn An"].phone == "+84912345679"
        assert people["Nguyễn Văn An"].has_symptoms is False
        assert people["Lê Thị Cúc"].birth_year == 1964
