"""The audit log: append-only in the database, read by the administrator, filtered, paged."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from registry.extensions import db
from registry.models import AuditEvent, Role
from tests.scenes import AN_ID, open_case


def test_audit_log_cannot_be_edited_or_deleted(app, commune):
    from registry.services.audit import record_event

    event = record_event("search", commune, user=None, reason="#1 BN 1")
    db.session.commit()
    for statement in ("UPDATE audit_events SET reason = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(statement))
            db.session.flush()
        db.session.rollback()
    assert db.session.get(AuditEvent, event.id).reason == "#1 BN 1"


def test_admin_reads_the_audit_log(client, auth, make_user, scene):
    tracer = make_user(Role.TRACER, username="tramyte1")
    auth.login(tracer)
    case = open_case(client)
    client.get(f"/tracing/cases/{case.id}/person", query_string={
        "q": AN_ID, "kind": "id", "date_from": scene["day"].isoformat(),
        "date_to": scene["day"].isoformat(), "window": "30"})
    auth.logout()
    auth.login(make_user(Role.ADMIN))
    page = client.get("/audit", query_string={"user": str(tracer.id), "action": "search"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "tramyte1" in html and "BN 12345" in html and "Đã tra cứu" in html
    assert AN_ID not in html and "0381******12" in html
    assert client.get("/audit", query_string={"date_from": "hôm qua"}).status_code == 200


def test_audit_log_pages(client, auth, make_user, commune):
    from registry.services.audit import record_event

    for n in range(60):
        record_event("view", commune, user=None, commune_id=commune.id, reason=f"lần {n}")
    db.session.commit()
    auth.login(make_user(Role.ADMIN))
    first = client.get("/audit").get_data(as_text=True)
    assert "Trang 1/2" in first and "Trang sau" in first and "lần 59" in first
    second = client.get("/audit", query_string={"page": 2}).get_data(as_text=True)
    assert "Trang trước" in second and "lần 0" in second and "lần 59" not in second
