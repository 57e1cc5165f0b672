"""Backups while the site runs, and restoring one (SQLite online backup, pg_dump)."""
from __future__ import annotations

import time as time_module

import pytest
from sqlalchemy import select, text

from registry.extensions import db
from registry.services import retention
from registry.services.checkins import record_checkin
from registry.services.declarations import Declaration
from registry.timeutil import utcnow
from tests.scenes import S


def _snapshot():
    """Every row of every table, as plain values."""
    snapshot = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        snapshot[table.name] = [tuple(r) for r in rows]
    return snapshot


def test_backup_and_restore_round_trip(app, runner, old_scene, commune, tmp_path):
    retention.purge_commune(commune)  # daily counts and an audit row in the backup too
    db.session.commit()
    before = _snapshot()
    assert before["checkins"] and before["checkin_daily_counts"] and before["audit_events"]
    target = tmp_path / "backups" / "copy.bak"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0
    # Changes after the backup are undone by the restore.
    db.session.execute(text("DELETE FROM case_holds"))
    db.session.execute(text("DELETE FROM checkins"))
    record_checkin(old_scene["east"], S, Declaration(full_name="Sau sao lưu"), at=utcnow())
    db.session.commit()
    db.session.remove()
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert _snapshot() == before
    # The restored audit trail is still append-only.
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("DELETE FROM audit_events"))
        db.session.flush()
    db.session.rollback()


def test_restore_refuses_a_file_that_is_not_a_backup(runner, app, tmp_path):
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"not a database at all" * 100)
    result = runner.invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code != 0


def test_sqlite_backup_is_consistent_while_the_site_writes(tmp_path):
    """Another connection keeps writing during `flask backup`: the copy is whole and valid."""
    import sqlite3
    import threading

    from registry import create_app
    from tests.conftest import _test_config

    path = tmp_path / "live.sqlite"
    app = create_app(_test_config(f"sqlite:///{path}", tmp_path))
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    errors, written = [], []

    def writer():
        try:
            conn = sqlite3.connect(path, timeout=10)
            for n in range(400):
                conn.execute("INSERT INTO communes (unit_code, unit_scheme, name, "
                             "province_code, province_name, place_name, retention_days, "
                             "checkin_merge_minutes, created_at) VALUES (?, '2025', ?, 1, 'T', "
                             "'T', 21, 30, '2026-01-01')", (n, f"Xã {n}"))
                conn.commit()
                written.append(n)
            conn.close()
        except Exception as exc:  # reported below, never hangs the test
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    deadline = time_module.monotonic() + 20
    while len(written) < 20 and not errors and time_module.monotonic() < deadline:
        time_module.sleep(0.01)
    result = app.test_cli_runner().invoke(args=["backup"])
    thread.join(timeout=30)
    assert not errors, errors
    assert result.exit_code == 0, result.output
    copies = list((tmp_path / "instance" / "backups").glob("registry-*.sqlite"))
    assert len(copies) == 1
    copy = sqlite3.connect(copies[0])
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    in_copy = copy.execute("SELECT count(*) FROM communes").fetchone()[0]
    copy.close()
    assert 20 <= in_copy <= 400
    with app.app_context():
        db.engine.dispose()
