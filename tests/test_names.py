"""Names as people write them: a name typed all in lower case or all in capitals is offered
with the usual capitals on the resident form, and the card and the register show it so."""
from __future__ import annotations

from sqlalchemy import select

from registry.extensions import db
from registry.models import Resident, Role
from tests.pdfcheck import page_texts
from tests.scenes import village_named


def test_a_lower_case_name_is_offered_with_capitals_and_shown_so(client, auth, commune,
                                                                 make_user):
    auth.login(make_user(Role.CLERK))
    data = {"full_name": "nguyen van binh", "birth": "1980", "sex": "male",
            "village_id": village_named(commune, "Thôn Đông").id, "phone": "", "id_number": ""}
    offered = client.post("/residents/new", data=data)
    page = offered.get_data(as_text=True)
    assert offered.status_code == 200 and db.session.scalar(select(Resident)) is None
    assert 'value="Nguyen Van Binh"' in page
    assert "Họ tên được viết hoa chữ cái đầu mỗi tiếng: &#34;Nguyen Van Binh&#34;" in page
    # Saved as offered (the clerk could add the accents first).
    response = client.post("/residents/new", data=dict(data, full_name="Nguyen Van Binh"))
    assert response.status_code == 302
    resident = db.session.scalar(select(Resident))
    assert resident.full_name == "Nguyen Van Binh"
    assert "Nguyen Van Binh" in client.get("/residents/").get_data(as_text=True)
    client.post(f"/residents/{resident.id}/card/issue", data={"reason": ""})
    card = client.get(f"/residents/{resident.id}/card.pdf")
    assert "Nguyen Van Binh" in page_texts(card.data)[0]
    # Capitals typed throughout are offered the same way, accents kept.
    again = client.post(f"/residents/{resident.id}/edit",
                        data=dict(data, full_name="NGUYỄN VĂN BÌNH")).get_data(as_text=True)
    assert 'value="Nguyễn Văn Bình"' in again


def test_usual_capitalisation_of_names():
    from registry.services.residents.register import needs_capitalisation, usual_capitalisation

    assert usual_capitalisation("nguyễn văn bình") == "Nguyễn Văn Bình"
    assert usual_capitalisation("ĐỖ THỊ ĐÀO") == "Đỗ Thị Đào"
    assert usual_capitalisation("h'hen niê") == "H'Hen Niê"
    assert needs_capitalisation("nguyen van binh") and needs_capitalisation("LÊ VĂN A")
    assert not needs_capitalisation("Nguyễn Văn Bình") and not needs_capitalisation("Lê Văn A")
    assert not needs_capitalisation("a")
