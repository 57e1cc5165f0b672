"""The background worker: huey's queue and the tasks its consumer runs (background jobs in parts,
the nightly purge, the automatic check-out at closing time). This is a job's boundary, as a
request's end is a view's: it commits a job's progress as it goes, and the purge once. The
consumer starts from `registry.consumer`, which tells this module how to build the app (once per
worker process, on its first task).

Storage: SQLite under instance/ by default, Redis when HUEY_REDIS_URL is set. Tests and
HUEY_IMMEDIATE run tasks in-process, at once (huey's immediate mode).
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path

from collections.abc import Callable

from flask import Flask, current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab
from sqlalchemy import update

from registry import signals
from registry.extensions import db
from registry.models import Job, JobStatus
from registry.services.checkout import close_open_visits
from registry.services.imports import delete_old_uploads
from registry.services.jobs import (HEARTBEAT_SECONDS, JobContext, JobError, delete_job_files,
                                    delete_old_job_files, job_kinds, job_workdir, jobs_dir,
                                    make_private, update_job)
from registry.services.retention import purge_all
from registry.timeutil import utcnow
from registry.transactions import unit_of_work

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


def _make_huey():
    """SqliteHuey in instance/huey.sqlite, or RedisHuey when HUEY_REDIS_URL is set."""
    redis_url = os.environ.get("HUEY_REDIS_URL")
    if redis_url:
        try:
            import redis  # noqa: F401  (RedisHuey needs the client, an optional dependency)
        except ImportError:
            raise RuntimeError("HUEY_REDIS_URL is set but the redis client is missing: "
                               "pip install -e '.[redis]'") from None
        return RedisHuey("registry", url=redis_url)
    instance = Path(os.environ.get("REGISTRY_INSTANCE_PATH", ROOT / "instance"))
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("registry", filename=str(instance / "huey.sqlite"))


huey = _make_huey()
_worker_app: Flask | None = None
_app_factory: Callable[[], Flask] | None = None


def use_app_factory(factory: Callable[[], Flask]) -> None:
    """How a worker process builds its app (the consumer's entry point says)."""
    global _app_factory
    _app_factory = factory


def _queue_job(_app, job_id: int) -> None:
    """Hand a queued job to huey (a receiver of `signals.job_queued`)."""
    run_job_task(job_id)


def init_app(app: Flask) -> None:
    """Tests and HUEY_IMMEDIATE run tasks in-process, at once; queued jobs go to huey."""
    huey.immediate = bool(app.config.get("HUEY_IMMEDIATE") or app.config.get("TESTING"))
    signals.job_queued.connect(_queue_job)


def _app_context():
    """The caller's app context (immediate mode), else this worker process's own app, built
    once after the fork."""
    global _worker_app
    if has_app_context():
        return contextlib.nullcontext()
    if _worker_app is None:
        if _app_factory is None:
            raise RuntimeError("start the consumer from registry.consumer")
        _worker_app = _app_factory()
    return _worker_app.app_context()


@contextlib.contextmanager
def _heartbeat(job_id: int):
    """Beat every HEARTBEAT_SECONDS from a thread while the task runs (not in immediate mode)."""
    if huey.immediate:
        yield
        return
    app = current_app._get_current_object()
    stop = threading.Event()

    def beat():
        with app.app_context():
            while not stop.wait(HEARTBEAT_SECONDS):
                with db.engine.begin() as conn:
                    conn.execute(update(Job).where(Job.id == job_id,
                                                   Job.status == JobStatus.RUNNING)
                                 .values(heartbeat_at=utcnow()))

    thread = threading.Thread(target=beat, daemon=True, name=f"job-{job_id}-heartbeat")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def _fail(job_id: int, exc: BaseException) -> None:
    db.session.rollback()
    if isinstance(exc, JobError):
        error = str(exc)
    else:
        log.exception("job %s failed", job_id)
        error = f"{type(exc).__name__}: {exc}"[:2000]
    update_job(job_id, status=JobStatus.FAILED, error=error, finished_at=utcnow())
    # A failed job's parts hold personal data and nobody can download them: they go at once
    # (a part still being written by the other worker is caught by delete_old_job_files).
    delete_job_files(job_id)


def _finish(job_id: int, path: Path, name: str) -> None:
    make_private(path)
    relative = path.resolve().relative_to(jobs_dir().resolve())
    update_job(job_id, status=JobStatus.DONE, result_path=str(relative), result_name=name,
               finished_at=utcnow(), heartbeat_at=utcnow(), message=None)


def _workdir(job_id: int) -> Path:
    """The job's private folder (0700)."""
    return job_workdir(job_id)


@huey.task()
def run_job_task(job_id: int) -> None:
    """Start a job: run it whole, or cut it into parts for the worker processes."""
    with _app_context():
        job = db.session.get(Job, job_id)
        if job is None or job.status != JobStatus.QUEUED:
            return
        kind = job_kinds().get(job.kind)
        params = dict(job.params or {})
        update_job(job_id, status=JobStatus.RUNNING, started_at=utcnow(), heartbeat_at=utcnow())
        ctx = JobContext(job_id, _workdir(job_id))
        try:
            if kind is None:
                raise JobError(f"unknown job kind {job.kind!r}")
            if kind.split is None:
                with _heartbeat(job_id):
                    path, name = kind.func(ctx, params)
                _finish(job_id, path, name)
                return
            parts = kind.split(params)
            update_job(job_id, parts_total=len(parts), parts_done=0, progress_done=0,
                       progress_total=sum(p.get("units", 1) for p in parts))
            if not parts:
                path, name = kind.merge(ctx, params, [])
                _finish(job_id, path, name)
                return
            for index, part in enumerate(parts):
                run_part_task(job_id, index, part)
        except Exception as exc:  # the job page shows why; the worker keeps running
            _fail(job_id, exc)


@huey.task()
def run_part_task(job_id: int, index: int, part: dict) -> None:
    """Run one part; the worker that completes the last part merges them."""
    with _app_context():
        job = db.session.get(Job, job_id)
        if job is None or job.status != JobStatus.RUNNING:
            return  # failed meanwhile (another part, or the stale check): skip the work
        kind = job_kinds()[job.kind]
        params = dict(job.params or {})
        ctx = JobContext(job_id, _workdir(job_id), part_index=index)
        try:
            with _heartbeat(job_id):
                update_job(job_id, heartbeat_at=utcnow())
                kind.func(ctx, part)
            make_private(ctx.part_path)
            done = db.session.execute(
                update(Job).where(Job.id == job_id)
                .values(parts_done=Job.parts_done + 1,
                        progress_done=Job.progress_done + part.get("units", 1),
                        heartbeat_at=utcnow())
                .returning(Job.parts_done, Job.parts_total)).one()
            db.session.commit()  # the part is done: the other worker must see the count
            if done[0] < done[1]:
                return
            update_job(job_id, message="merging")
            paths = [JobContext(job_id, ctx.workdir, i).part_path for i in range(done[1])]
            with _heartbeat(job_id):
                path, name = kind.merge(ctx, params, paths)
            for p in paths:
                p.unlink(missing_ok=True)
            _finish(job_id, path, name)
        except Exception as exc:
            _fail(job_id, exc)


@unit_of_work
def purge_every_commune() -> list:
    """Purge every commune past its retention period, and the job files and previewed uploads
    past their keep period, as one unit of work."""
    results = purge_all()
    delete_old_job_files()
    delete_old_uploads()
    current_app.logger.info("daily purge: %s", [(r.commune_id, r.checkins_deleted)
                                                 for r in results])
    return results


@huey.periodic_task(crontab(hour="19", minute="30"))
def daily_purge_task() -> None:
    """Every night at 02:30 Vietnamese time (19:30 UTC): delete personal data past retention.

    The purge keeps counts and what open cases hold (services/retention.py).
    """
    with _app_context():
        purge_every_commune()


@unit_of_work
def close_visits_at_closing_time() -> int:
    """Close the visits whose venue has closed, as one unit of work."""
    closed = close_open_visits()
    if closed:
        current_app.logger.info("automatic check-out: %s visits closed", closed)
    return closed


@huey.periodic_task(crontab(minute="*/10"))
def closing_time_task() -> None:
    """Every ten minutes: visits still open after their venue's closing time are closed at that
    time, with the reason "automatic" (a run that finds nothing to close changes nothing)."""
    with _app_context():
        close_visits_at_closing_time()
