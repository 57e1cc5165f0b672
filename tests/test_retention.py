"""Retention: the purge keeps counts and held records; paper due for destruction."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from registry.extensions import db
from registry.models import AuditEvent, CaseStatus, Checkin, Role, SheetDestruction, TracingCase
from registry.services import retention
from registry.services.tracing import cases
from registry.timeutil import local_today
from registry.worker import purge_every_commune
from tests.scenes import current_figures, only_receivers


def test_purge_keeps_counts_and_held_data(old_scene, commune, runner, monkeypatch):
    olds, case = [o.id for o in old_scene["olds"]], old_scene["case"]
    hook_calls = []

    def fake_purge_hook(cid, *, cutoff_utc, held_checkin_ids):
        hook_calls.append((cid, cutoff_utc, set(held_checkin_ids)))
        return 7

    only_receivers(monkeypatch, "purge_personal_data", fake_purge_hook)
    before = current_figures(commune.id)
    live_before = db.session.scalar(select(func.count()).select_from(Checkin))
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "4 check-ins deleted, 2 held" in result.output
    db.session.expire_all()
    remaining = set(db.session.scalars(select(Checkin.id)))
    assert olds[0] in remaining and olds[2] in remaining            # legal hold
    assert not {olds[1], olds[3], olds[4], olds[5]} & remaining
    assert len(remaining) == live_before - 4
    assert current_figures(commune.id) == before                            # figures unchanged
    assert hook_calls and hook_calls[0][0] == commune.id
    assert hook_calls[0][2] == {olds[0], olds[2]}
    purge_event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "purge")).one()
    assert purge_event.details["checkins_deleted"] == 4
    assert purge_event.commune_id == commune.id and purge_event.user_id is None
    assert purge_event.details["hook:fake_purge_hook"] == 7
    # A second purge deletes nothing more and the figures still hold.
    assert retention.purge_commune(commune).checkins_deleted == 0
    assert current_figures(commune.id) == before
    # Closing the case ends the hold: the next purge takes the rest, counts still equal.
    cases.set_case_status(db.session.get(TracingCase, case.id), CaseStatus.CLOSED)
    db.session.commit()
    only_receivers(monkeypatch, "purge_personal_data")
    assert purge_every_commune()[0].checkins_deleted == 2
    assert current_figures(commune.id) == before
    assert not {olds[0], olds[2]} & set(db.session.scalars(select(Checkin.id)))


def test_paper_sheets_to_destroy(client, auth, make_user, old_scene, commune):
    retention.purge_commune(commune)
    db.session.commit()
    sheets = retention.sheets_to_destroy(commune)
    # The held paper row is still live; its twin (same point, day) was purged and counted.
    assert [(s.point.id, s.day, s.count) for s in sheets] == [
        (old_scene["gate"].id, local_today() - timedelta(days=40), 1),
        (old_scene["east"].id, local_today() - timedelta(days=30), 1)]
    auth.login(make_user(Role.CLERK))
    page = client.get("/retention").get_data(as_text=True)
    assert "Phiếu giấy cần tiêu hủy" in page and "Chợ Nưa" in page
    missing = client.post("/retention/destroy", data={"method": "",
                                                      "sheet": f"{sheets[0].point.id}:x"})
    assert missing.status_code == 302 and not db.session.scalars(select(SheetDestruction)).all()
    key = f"{sheets[0].point.id}:{sheets[0].day.isoformat()}"
    response = client.post("/retention/destroy", data={"method": "Xé nhỏ, có cán bộ chứng kiến",
                                                       "sheet": key})
    assert response.status_code == 302
    assert len(retention.sheets_to_destroy(commune)) == 1
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "destroy_paper")).one().details["method"].startswith("Xé nhỏ")


def test_retention_page_lists_printed_batches_due_for_destruction(client, auth, make_user,
                                                                   make_venue, commune):
    """Printed paper (custody kept by the paper feature) shows on the retention page once its
    retention period after collection has passed."""
    from registry.models import FormKind
    from registry.services.paper.custody import collect_batch, create_batch

    clerk = make_user(Role.CLERK)
    point = make_venue(name="Chợ Đầu mối").points[0]
    old = create_batch(point, FormKind.LOG, 2, clerk)
    collect_batch(old, clerk, local_today() - timedelta(days=commune.retention_days + 3),
                  "Anh Tuấn", 2)
    recent = create_batch(point, FormKind.LOG, 1, clerk)
    collect_batch(recent, clerk, local_today(), "Anh Tuấn", 1)
    db.session.commit()
    auth.login(clerk)
    page = client.get("/retention").get_data(as_text=True)
    assert "Lô phiếu in đến hạn tiêu hủy" in page
    assert f"/paper/batches/{old.id}\"" in page and f"/paper/batches/{recent.id}\"" not in page
