"""Every path where a phone or an ID number is entered warns alike: an old 11-digit mobile is
converted and said so, an ID number that disagrees with the declared sex or year of birth is
pointed out, and the record is saved all the same; a phone with digits missing is refused."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from registry.extensions import db
from registry.models import Checkin, FormKind, Resident, Role, Venue
from registry.services.paper import custody
from registry.timeutil import local_today
from tests.scenes import village_named

OLD_PHONE = "0168 123 4567"
CONVERTED = "0168 123 4567 là số cũ 11 chữ số: được lưu thành số mới 0381 234 567"
# A woman born in 1990, by the digits of her CCCD.
CCCD = "038190001234"
YEAR_WARNING = "Số CCCD cho biết năm sinh 1990, nhưng năm sinh đã khai là 1985"
SEX_WARNING = "Số CCCD không khớp với giới tính đã khai"
QUESTIONS = ("travel", "symptoms", "contact_patient", "contact_foreign", "contact_symptoms")


def _warnings_shown(page: str) -> None:
    assert CONVERTED in page
    assert YEAR_WARNING in page and SEX_WARNING in page


def test_resident_form_saves_and_warns(client, auth, commune, make_user):
    auth.login(make_user(Role.CLERK))
    response = client.post("/residents/new", follow_redirects=True, data={
        "full_name": "Trần Văn Cường", "birth": "1985", "sex": "male", "id_number": CCCD,
        "phone": OLD_PHONE, "village_id": village_named(commune, "Thôn Đông").id})
    _warnings_shown(response.get_data(as_text=True))
    assert db.session.scalar(select(Resident.phone)) == "+84381234567"


def test_venue_form_saves_and_warns(client, auth, commune, make_user, make_venue):
    category = make_venue().category_id
    auth.login(make_user(Role.CLERK))
    response = client.post("/venues/new", follow_redirects=True, data={
        "name": "Quán phở Hùng", "category_id": category, "manager_name": "Phạm Văn Hùng",
        "manager_phone": OLD_PHONE})
    assert CONVERTED in response.get_data(as_text=True)
    assert db.session.scalar(select(Venue.manager_phone).where(
        Venue.name == "Quán phở Hùng")) == "+84381234567"
    refused = client.post("/venues/new", data={
        "name": "Quán B", "category_id": category, "manager_name": "Ai Đó",
        "manager_phone": "0912 34 56"})
    page = refused.get_data(as_text=True)
    assert "Số này thiếu chữ số" in page
    assert 'value="0912 34 56"' in page  # the phone as typed, never +84…


def test_public_checkin_saves_and_warns(client, make_venue):
    token = make_venue().points[0].token
    data = {"full_name": "Trần Văn Cường", "birth_year": "1985", "sex": "male",
            "id_number": CCCD, "nationality": "Việt Nam", "phone": OLD_PHONE, "email": "",
            **{f"q_{code}": "no" for code in QUESTIONS}}
    response = client.post(f"/c/{token}", data=data, follow_redirects=True)
    _warnings_shown(response.get_data(as_text=True))
    assert db.session.scalar(select(Checkin.phone)) == "+84381234567"


def test_on_behalf_saves_and_warns(client, auth, commune, make_user, make_venue):
    venue = make_venue()
    auth.login(make_user(Role.DATA_ENTRY))
    response = client.post("/paper/on-behalf", follow_redirects=True, data={
        "point_id": venue.points[0].id, "time_in": "", "full_name": "Trần Văn Cường",
        "birth_year": "1985", "sex": "male", "id_number": CCCD, "nationality": "Việt Nam",
        "phone": OLD_PHONE, "email": "", **{f"q_{code}": "no" for code in QUESTIONS}})
    _warnings_shown(response.get_data(as_text=True))
    assert db.session.scalar(select(Checkin.id_number)) == CCCD


def test_paper_keying_saves_and_warns(client, auth, commune, make_user, make_venue):
    batch = custody.create_batch(make_venue().points[0], FormKind.SLIP, 1, None)
    custody.hand_batch(batch, None, date.today() - timedelta(days=1), "Bà Lan")
    custody.collect_batch(batch, make_user(Role.CLERK), date.today(), "Anh Tuấn", 1)
    db.session.commit()
    auth.login(make_user(Role.DATA_ENTRY))
    response = client.post(f"/paper/sheets/{batch.sheets[0].id}/key", follow_redirects=True,
                           data={"line_no": 1, "day": local_today().strftime("%d/%m/%Y"),
                                 "time_in": "8h30", "full_name": "Trần Văn Cường",
                                 "birth_year": "1985", "sex": "nam", "id_number": CCCD,
                                 "phone": OLD_PHONE, "province": "", "ward": "",
                                 "address": "Thôn Đông",
                                 **{f"q_{code}": "k" for code in QUESTIONS}})
    _warnings_shown(response.get_data(as_text=True))
    assert db.session.scalar(select(Checkin.phone)) == "+84381234567"


def test_a_plain_mobile_is_read_as_the_library_reads_it():
    """The short way for "0912 345 678" (phones.py) gives what the library's parsing gives,
    for every prefix a mobile can start with, valid ranges and not."""
    import random

    from registry.phones import _parsed_by_the_library, parse_phone

    pick = random.Random(30)
    typed = [f"0{first}{second}{pick.randrange(10 ** 7):07d}"
             for first in "35789" for second in "0123456789" for _ in range(4)]
    typed += ["0912 345 678", "091.234.5678", "0999999999", "0300000000"]
    for text in typed:
        cleaned = "".join(ch for ch in text if ch.isdigit())
        assert parse_phone(text) == _parsed_by_the_library(text, cleaned), text
    assert {parse_phone(text).is_valid for text in typed} == {True, False}
