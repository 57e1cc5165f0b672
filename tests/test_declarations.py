"""The admin's list of declaration questions: add, edit, reorder, retire; old answers keep
the wording they answered."""
from __future__ import annotations

import pytest

from registry.extensions import db
from registry.models import Checkin, DeclarationQuestion, Role
from registry.services.declarations import active_questions


@pytest.fixture
def admin(make_user, auth):
    """A logged-in administrator."""
    user = make_user(Role.ADMIN)
    auth.login(user)
    return user


def _codes(commune):
    db.session.expire_all()
    return [q.code for q in active_questions(commune.id)]


def test_add_edit_reorder_retire(client, admin, commune):
    page = client.get("/admin/questions").get_data(as_text=True)
    assert "Câu hỏi khai báo y tế" in page and "Trong vòng 14 ngày qua" in page
    response = client.post("/admin/questions", data={
        "text": "Anh/Chị đã tiêm đủ vắc xin COVID-19 chưa?", "text_en": "Fully vaccinated?",
        "is_symptom": ""})
    assert response.status_code == 302
    codes = _codes(commune)
    assert len(codes) == 6 and codes[-1].startswith("anh_chi_da_tiem")
    new = db.session.query(DeclarationQuestion).filter_by(code=codes[-1]).one()
    client.post(f"/admin/questions/{new.id}/move/up")
    assert _codes(commune)[4] == new.code
    client.post(f"/admin/questions/{new.id}", data={"text": "Anh/Chị đã tiêm vắc xin chưa?",
                                                    "text_en": "", "asks_details": "y"})
    db.session.expire_all()
    new = db.session.get(DeclarationQuestion, new.id)
    assert new.text == "Anh/Chị đã tiêm vắc xin chưa?" and new.asks_details
    assert new.text_en is None
    client.post(f"/admin/questions/{new.id}/retire")
    assert new.code not in _codes(commune)
    assert "Câu hỏi đã ngừng sử dụng" in client.get("/admin/questions").get_data(as_text=True)
    client.post(f"/admin/questions/{new.id}/restore")
    assert _codes(commune)[-1] == new.code


def test_empty_question_gets_a_vietnamese_message(client, admin, commune):
    response = client.post("/admin/questions", data={"text": "   "})
    assert response.status_code == 200
    assert "Nhập nội dung câu hỏi." in response.get_data(as_text=True)
    assert len(_codes(commune)) == 5


def test_old_answers_keep_the_wording_they_answered(client, admin, commune, make_venue):
    venue = make_venue()
    data = {"full_name": "Nguyễn Văn An", "birth_year": "1980", "sex": "male",
            "phone": "0912345678"}
    data.update({f"q_{code}": "no" for code in _codes(commune)})
    client.post(f"/c/{venue.points[0].token}", data=data)
    travel = db.session.query(DeclarationQuestion).filter_by(code="travel").one()
    old_text = travel.text
    client.post(f"/admin/questions/{travel.id}", data={"text": "Câu hỏi mới về đi lại?"})
    client.post(f"/admin/questions/{travel.id}/retire")
    db.session.expire_all()
    row = db.session.query(Checkin).one()
    assert row.answers["travel"]["question"] == old_text


def test_questions_of_another_commune_are_not_found(client, admin, other_commune):
    theirs = active_questions(other_commune.id)[0]
    assert client.get(f"/admin/questions/{theirs.id}").status_code == 404
    assert client.post(f"/admin/questions/{theirs.id}/retire").status_code == 404
    assert client.post(f"/admin/questions/{theirs.id}/move/down").status_code == 404
