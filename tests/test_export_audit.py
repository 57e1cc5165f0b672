"""Every export or download holding personal data leaves an audit event (who, what, how many)."""
from __future__ import annotations

from sqlalchemy import select

from registry.extensions import db
from registry.models import AuditEvent, Role


def _events(action: str, object_type: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.object_type == object_type)).all()


def test_the_venue_export_with_managers_names_and_phones_is_logged(client, auth, make_user,
                                                                   make_venue):
    make_venue(manager_name="Nguyễn Văn An", manager_phone="+84912345678")
    make_venue(name="Chợ Nưa", manager_name="Lê Thị Chợ", manager_phone="+84987654321")
    clerk = make_user(Role.CLERK)
    auth.login(clerk)
    response = client.get("/venues/export.xlsx?q=cho")
    assert response.status_code == 200
    [event] = _events("export", "venues")
    assert event.user_id == clerk.id and event.details["rows"] == 1
    assert event.details["query"] == "cho" and event.details["format"] == "xlsx"


def test_a_database_backup_is_logged(runner, commune, tmp_path):
    target = tmp_path / "copy.bak"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    [event] = _events("export", "database")
    assert event.user_id is None and event.details["file"] == "copy.bak"
