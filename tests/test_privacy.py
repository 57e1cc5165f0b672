"""A person's own data: found, exported, corrected and deleted at their request."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from registry.extensions import db
from registry.models import Checkin, PersonRequest, Role
from registry.services.privacy import mask_id_number
from registry.services.tracing import cases
from registry.timeutil import local_today
from tests.scenes import AN_ID, current_figures


def test_mask_id_number():
    assert mask_id_number("038123456712") == "0381******12"
    assert mask_id_number("123456789") == "1234***89"
    assert mask_id_number(None) == ""


def test_person_finds_exports_corrects_and_deletes_own_data(client, auth, make_user, scene,
                                                            commune):
    auth.login(make_user(Role.CLERK))
    query = {"q": AN_ID, "kind": "auto", "reference": "Đơn ngày 01/12, đã kiểm tra CCCD"}
    page = client.get("/privacy", query_string=query).get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "NGUYEN V AN" in page and "0381******12" in page
    export = client.post("/privacy/export", data=query)
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and {r[4] for r in rows[1:]} == {"Nguyễn Văn An", "NGUYEN V AN"}
    # Correct the paper row's name; a bad phone is refused on the field.
    paper = scene["index_paper"]
    bad = client.post(f"/privacy/checkins/{paper.id}", data={
        "reference": "Đơn ngày 01/12", "full_name": "Nguyễn Văn An", "phone": "12ab"})
    assert bad.status_code == 200 and "Hãy nhập số điện thoại" in bad.get_data(as_text=True)
    ok = client.post(f"/privacy/checkins/{paper.id}", data={
        "reference": "Đơn ngày 01/12", "full_name": "Nguyễn Văn An", "id_number": AN_ID,
        "birth_year": "1985", "sex": "male"})
    assert ok.status_code == 302
    db.session.refresh(paper)
    assert paper.full_name == "Nguyễn Văn An" and paper.search_name == "nguyen van an"
    # Delete both; the figures for the days stay right.
    before = current_figures(commune.id)
    response = client.post("/privacy/delete", data={
        **query, "checkin": [str(scene["index"].id), str(paper.id)], "confirmed": "1"})
    assert response.status_code == 302
    assert not db.session.scalars(select(Checkin).where(Checkin.id_number == AN_ID)).all()
    assert current_figures(commune.id) == before
    kinds = [r.kind for r in db.session.scalars(select(PersonRequest).order_by(PersonRequest.id))]
    assert kinds == ["access", "export", "correct", "delete"]
    assert all(AN_ID not in r.subject for r in db.session.scalars(select(PersonRequest)))


def test_person_delete_keeps_records_held_by_an_open_case(client, auth, make_user, scene,
                                                          commune):
    case = cases.create_case(commune.id, None, index_label="BN 7", index_date=local_today(),
                               index_date_kind="onset", notes=None)
    cases.hold_checkins(case, {scene["index"].id})
    db.session.commit()
    auth.login(make_user(Role.ADMIN))
    query = {"q": AN_ID, "kind": "id", "reference": "Yêu cầu xóa"}
    response = client.post("/privacy/delete", data={
        **query, "checkin": [str(scene["index"].id), str(scene["index_paper"].id)],
        "confirmed": "1"}, follow_redirects=True)
    assert "được giữ lại" in response.get_data(as_text=True)
    remaining = set(db.session.scalars(select(Checkin.id).where(Checkin.id_number == AN_ID)))
    assert remaining == {scene["index"].id}
    lookup = client.get("/privacy", query_string={"q": "", "reference": ""})
    assert "Nhập họ tên, số điện thoại hoặc số định danh." in lookup.get_data(as_text=True)
