"""One person, many records: suggested links, confirmed or rejected, followed by tracing."""
from __future__ import annotations

from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Checkin, CheckinSource, LinkStatus, PersonLink, Role

# --- helpers ------------------------------------------------------------------------------------


def _checkin(venue, source, name, year, phone=None, id_number=None):
    from registry.services.checkins import record_checkin
    from registry.services.declarations import Declaration

    return record_checkin(venue.points[0], source, Declaration(
        full_name=name, birth_year=year, phone=phone, id_number=id_number))


def test_people_suggest_confirm_and_link(app, client, auth, commune, make_user, make_venue):
    from registry.services.person_links import linked_checkin_ids

    venue = make_venue()
    a = _checkin(venue, CheckinSource.PAPER, "Nguyễn Văn An", 1975, phone="+84912345678")
    b = _checkin(venue, CheckinSource.SELF_SCAN, "NGUYEN VAN AN", 1975, phone="+84912345678",
                 id_number="038075001234")
    c = _checkin(venue, CheckinSource.ON_BEHALF, "Nguyễn Văn Ân", 1975,
                 id_number="038075001234")
    d = _checkin(venue, CheckinSource.PAPER, "Nguyễn Văn An", 1980, phone="+84912345678")
    db.session.commit()
    auth.login(make_user(Role.CLERK))
    client.post("/paper/people/suggest")
    links = db.session.scalars(select(PersonLink).order_by(PersonLink.id)).all()
    assert {(l.checkin_a_id, l.checkin_b_id) for l in links} == {(a.id, b.id), (b.id, c.id)}
    page = client.get("/paper/people").get_data(as_text=True)
    assert "Nguyễn Văn Ân" in page
    client.post("/paper/people/suggest")  # nothing new the second time
    assert db.session.scalar(select(func.count(PersonLink.id))) == 2
    assert linked_checkin_ids(commune.id, {a.id}) == {a.id}  # suggested is not linked
    client.post(f"/paper/people/{links[0].id}/confirm")
    client.post(f"/paper/people/{links[1].id}/confirm")
    assert linked_checkin_ids(commune.id, {a.id}) == {a.id, b.id, c.id}
    assert linked_checkin_ids(commune.id, {d.id}) == {d.id}
    db.session.expire_all()
    assert links[0].status == LinkStatus.CONFIRMED
    assert db.session.scalar(select(func.count(Checkin.id))) == 4  # never merged


def test_people_reject(app, client, auth, commune, make_user, make_venue):
    from registry.services.person_links import linked_checkin_ids, suggest_links

    venue = make_venue()
    a = _checkin(venue, CheckinSource.PAPER, "Lê Văn Bình", 1960, phone="+84912000111")
    b = _checkin(venue, CheckinSource.PAPER, "Le Van Binh", 1960, phone="+84912000111")
    assert suggest_links(commune.id) == 1
    db.session.commit()
    link = db.session.scalars(select(PersonLink)).one()
    auth.login(make_user(Role.CLERK))
    client.post(f"/paper/people/{link.id}/reject")
    assert linked_checkin_ids(commune.id, {a.id}) == {a.id}
    assert suggest_links(commune.id) == 0  # a rejected pair is not suggested again
    assert b.id
