"""Periodic tasks (the nightly purge, the job sweep) run once per slot of their schedule however
many job consumers queue them: the first consumer to claim the slot in the database runs it.
Two real consumers on one Redis queue are in tests/test_cluster.py."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from registry import worker
from registry.extensions import db
from registry.models import AuditEvent, Job, JobStatus, Role, ScheduledRun, StoredFile
from registry.services import imports as import_service
from registry.timeutil import utcnow


def test_a_slot_is_the_latest_minute_the_schedule_names():
    nightly = worker.schedule("30 19 * * *")
    assert worker.schedule_slot(nightly, datetime(2026, 3, 1, 19, 45, 12)) == \
        datetime(2026, 3, 1, 19, 30)
    # Queued at 19:30 but started at 02:10 the next morning behind a long print: still 19:30.
    assert worker.schedule_slot(nightly, datetime(2026, 3, 2, 2, 10)) == \
        datetime(2026, 3, 1, 19, 30)
    quarterly = worker.schedule("*/15 * * * *")
    assert worker.schedule_slot(quarterly, datetime(2026, 3, 1, 8, 44, 59)) == \
        datetime(2026, 3, 1, 8, 30)
    with pytest.raises(ValueError):
        worker.schedule("30 19 * *")
    with pytest.raises(ValueError):
        worker.schedule("61 * * * *")


def test_the_periodic_tasks_are_on_the_consumers_schedule():
    names = {task.name for task in worker.huey._registry.periodic_tasks}
    assert {"daily_purge", "job_sweep"} <= names


def test_a_slot_is_claimed_once(app):
    slot = datetime(2026, 3, 1, 19, 30)
    first = worker.claim_slot("daily_purge", slot)
    assert first is not None and first.runner == worker.runner_name()
    assert worker.claim_slot("daily_purge", slot) is None
    assert worker.claim_slot("daily_purge", slot + timedelta(days=1)) is not None
    assert worker.claim_slot("job_sweep", slot) is not None  # each task has its own slots


def test_two_consumers_at_the_same_moment_run_the_purge_once(app, commune):
    """Two consumers (threads with their own app context and connection) take the same slot
    at the same moment; the commune is purged once (one audit event of the purge)."""
    validate = worker.schedule("30 19 * * *")
    now = datetime.combine(utcnow().date(), datetime.min.time()) + timedelta(hours=19, minutes=40)
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def consumer():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                outcomes.append(worker.run_once_per_slot(
                    "daily_purge", validate, worker.purge_every_commune, now=now))
                db.session.remove()
        except Exception as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=consumer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(outcomes) == [False, True]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "purge")) == 1
    [run] = db.session.scalars(select(ScheduledRun))
    assert run.slot == now.replace(minute=30) and run.finished_at is not None


def test_the_sweep_keeps_the_two_hour_rule_and_fails_lost_jobs(app, commune, make_user):
    app.config["FILE_STORAGE"] = "database"
    user = make_user(Role.CLERK)
    lost = Job(commune_id=commune.id, user_id=user.id, kind="resident_cards", title="Thẻ",
               status=JobStatus.RUNNING, started_at=utcnow() - timedelta(hours=1),
               heartbeat_at=utcnow() - timedelta(hours=1))
    db.session.add(lost)
    token = import_service.stash_upload("venues", user.id, "v.csv", b"a,b\n")
    db.session.add(ScheduledRun(task="daily_purge", slot=utcnow() - timedelta(days=40),
                                runner="old", started_at=utcnow() - timedelta(days=40)))
    db.session.commit()
    assert worker.sweep_jobs() == (1, 0, 0)  # the upload is fresh: kept
    db.session.query(StoredFile).update(
        {StoredFile.created_at: utcnow() - timedelta(hours=2, minutes=1)})
    db.session.commit()
    assert worker.sweep_jobs() == (0, 0, 1)
    assert import_service.stashed_upload("venues", user.id, token) is None
    db.session.refresh(lost)
    assert lost.status == JobStatus.FAILED and lost.error == "worker_lost"
    assert db.session.scalar(select(func.count()).select_from(ScheduledRun)) == 0
