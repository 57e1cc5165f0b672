"""Background jobs: parts run by the worker, progress, failures, stale workers, old files."""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Job, JobStatus, ResidentCard, Role
from registry.services.residents.cards import find_card_by_token
from registry.timeutil import utcnow
from tests.pdfcheck import decode_qr, page_sizes_mm


def test_card_job_runs_to_completion_with_progress(client, auth, commune, make_resident,
                                                   monkeypatch):
    from registry.pdf import cards

    monkeypatch.setattr(cards, "CARDS_PER_PART", 10)  # 25 cards → 3 parts
    for i in range(25):
        make_resident(full_name=f"Cư Dân {i:02d}", village_id=commune.villages[i % 2].id)
    auth.login(make_resident.clerk)
    response = client.post("/residents/print", data={"scope": "without"})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job = db.session.scalar(select(Job))
    assert job.status == JobStatus.DONE and job.parts_total == 3 and job.parts_done == 3
    state = client.get(f"/jobs/{job.id}/progress").get_json()
    assert state["status"] == "done" and state["percent"] == 100
    assert state["done"] == state["total"] == 25
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'value="100"' in page and "Tải tệp PDF" in page
    pdf = client.get(state["download_url"]).data
    assert len(page_sizes_mm(pdf)) == 3  # 10 + 10 + 5 cards
    names = {find_card_by_token(c["text"].rsplit("/", 1)[1]).resident.full_name
             for c in decode_qr(pdf, page=2)}
    assert len(names) == 5
    assert db.session.scalar(select(func.count()).select_from(ResidentCard)) == 25


def test_failed_job_says_why(client, auth, commune, make_user):
    from registry import signals
    from registry.services.jobs import JobError, JobKind, enqueue

    def broken(ctx, params):
        ctx.report(done=1, total=4)
        raise JobError("Không đọc được dữ liệu.")

    def broken_kind(_app):
        return JobKind("test_broken", broken)

    user = make_user(Role.CLERK)
    with signals.job_kinds.connected_to(broken_kind):
        job = enqueue("test_broken", {}, user, "Thử")
    assert job.status == JobStatus.FAILED and job.progress_done == 1
    auth.login(user)
    state = client.get(f"/jobs/{job.id}/progress").get_json()
    assert state["status"] == "failed" and state["error"] == "Không đọc được dữ liệu."


def test_crashed_worker_job_does_not_stay_running(client, auth, commune, make_user):
    user = make_user(Role.CLERK)
    long_ago = utcnow() - timedelta(minutes=5)
    job = Job(commune_id=commune.id, user_id=user.id, kind="resident_cards", title="Thẻ",
              status=JobStatus.RUNNING, started_at=long_ago, heartbeat_at=long_ago)
    db.session.add(job)
    db.session.commit()
    auth.login(user)
    state = client.get(f"/jobs/{job.id}/progress").get_json()
    assert state["status"] == "failed" and "bị dừng" in state["error"]


def test_card_job_with_a_real_consumer(client, auth, commune, make_resident, monkeypatch):
    """The job goes through huey's queue to a consumer worker and reports progress as it goes."""
    from huey.storage import MemoryStorage

    from registry import worker as jobs
    from registry.pdf import cards

    monkeypatch.setattr(cards, "CARDS_PER_PART", 10)
    monkeypatch.setattr(jobs, "_worker_app", client.application)
    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0.2)
    for i in range(25):
        make_resident(full_name=f"Cư Dân {i:02d}")
    huey = jobs.huey
    huey.immediate = False
    huey.storage = MemoryStorage(huey.name)
    consumer = huey.create_consumer(workers=1, worker_type="thread", periodic=False,
                                    initial_delay=0.05, max_delay=0.2,
                                    check_worker_health=False)
    workers = [worker for _, worker in consumer.worker_threads]
    for worker in workers:
        worker.start()
    try:
        auth.login(make_resident.clerk)
        response = client.post("/residents/print", data={"scope": "without"})
        job_url = response.headers["Location"]
        seen = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = client.get(job_url + "/progress").get_json()
            seen.append(state["done"])
            if state["status"] in ("done", "failed"):
                break
            time.sleep(0.05)
    finally:
        consumer.stop_flag.set()
        for worker in workers:
            worker.join(timeout=30)
        huey.immediate = True
    assert state["status"] == "done", state
    assert seen == sorted(seen) and seen[-1] == 25
    assert seen[0] < 25  # the request returned before the work was done: it ran in the worker
    pdf = client.get(state["download_url"]).data
    assert len(page_sizes_mm(pdf)) == 3


def test_job_page_survives_reload_and_old_files_go(client, auth, commune, make_user, app):
    from registry.services.jobs import delete_old_job_files, jobs_dir

    user = make_user(Role.CLERK)
    running = Job(commune_id=commune.id, user_id=user.id, kind="resident_cards", title="Thẻ",
                  status=JobStatus.RUNNING, progress_done=30, progress_total=120,
                  started_at=utcnow(), heartbeat_at=utcnow())
    old = Job(commune_id=commune.id, user_id=user.id, kind="resident_cards", title="Cũ",
              status=JobStatus.DONE, result_name="the.pdf",
              finished_at=utcnow() - timedelta(days=8))
    db.session.add_all([running, old])
    db.session.flush()
    old.result_path = f"{old.id}/the.pdf"
    db.session.commit()
    (jobs_dir(app) / str(old.id)).mkdir()
    (jobs_dir(app) / str(old.id) / "the.pdf").write_bytes(b"%PDF")
    auth.login(user)
    for _ in range(2):  # a reload shows the same state: it lives in the database
        page = client.get(f"/jobs/{running.id}").get_data(as_text=True)
        assert 'value="25"' in page and "Đã xong 30/120" in page
        assert "js/job.js" in page and 'http-equiv="refresh"' in page
    listing = client.get("/jobs/").get_data(as_text=True)
    assert "Thẻ" in listing and "25 %" in listing
    assert delete_old_job_files() == 1  # the running job's folder is kept
    db.session.commit()
    assert not (jobs_dir(app) / str(old.id)).exists()
    response = client.get(f"/jobs/{old.id}/download")
    assert response.status_code == 302


def test_job_storage_is_sqlite_by_default_and_redis_when_configured(monkeypatch, tmp_path):
    from huey import RedisHuey, SqliteHuey

    from registry import worker as jobs

    monkeypatch.delenv("HUEY_REDIS_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("REGISTRY_INSTANCE_PATH", str(tmp_path))
    default = jobs._make_huey()
    assert isinstance(default, SqliteHuey) and (tmp_path / "huey.sqlite").exists()
    default.storage.close()
    # REDIS_URL, the one setting of every shared count, takes the queue along.
    monkeypatch.setenv("REDIS_URL", "unix:///run/registry/redis.sock")
    shared = jobs._make_huey()
    assert isinstance(shared, RedisHuey)  # connects lazily: no server needed here
    assert shared.storage.pool.connection_kwargs["path"] == "/run/registry/redis.sock"
    monkeypatch.setenv("HUEY_REDIS_URL", "redis://127.0.0.1:6379/3")
    queue_apart = jobs._make_huey()  # the older setting still names a Redis of its own
    assert isinstance(queue_apart, RedisHuey)
    assert queue_apart.storage.pool.connection_kwargs["db"] == 3
