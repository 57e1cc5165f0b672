"""The background worker: huey's queue and the tasks its consumer runs (background jobs in parts,
the nightly purge, the job sweep, the automatic check-out at closing time, the hourly roll-up of
closed days). This is a job's boundary, as a request's end is a view's: it commits a job's
progress as it goes, and the purge once. The consumer starts from `registry.consumer`, which
tells this module how to build the app (once per worker process, on its first task).

Queue: SQLite under the instance folder by default (one machine), Redis when REDIS_URL is set
(HUEY_REDIS_URL, if set, names another Redis for the queue alone), so the consumers of several
machines share one queue. Tests and HUEY_IMMEDIATE run tasks in-process, at once (huey's
immediate mode).

Periodic tasks (`periodic`): every consumer's scheduler queues them, so with two consumers each
would run twice; a row in `scheduled_runs`, unique per task and slot of its schedule, lets the
first consumer to claim a slot run it and the others skip it. Schedules are crontab fields in
UTC, from the environment (PURGE_SCHEDULE, JOB_SWEEP_SCHEDULE) since the consumer reads them
before any app exists.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from registry import signals
from registry.extensions import db
from registry.models import Commune, Job, JobStatus, ScheduledRun
from registry.services import tallies
from registry.services.checkout import close_open_visits
from registry.services.imports import delete_old_uploads
from registry.services.jobs import (HEARTBEAT_SECONDS, JobContext, JobError, delete_job_files,
                                    delete_old_job_files, delete_parts, expire_stale_jobs,
                                    fetch_parts, job_kinds, scratch_dir, store_job_file,
                                    update_job)
from registry.services.retention import purge_all
from registry.timeutil import utcnow
from registry.transactions import unit_of_work

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


def _make_huey():
    """RedisHuey when HUEY_REDIS_URL or REDIS_URL is set, else SqliteHuey in
    instance/huey.sqlite (one machine only)."""
    redis_url = os.environ.get("HUEY_REDIS_URL") or os.environ.get("REDIS_URL")
    if redis_url:
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
    # A failed job's parts hold personal data and nobody can download them: they go at once
    # (a part still being written by the other worker is caught by delete_old_job_files), in the
    # same commit as the failure.
    delete_job_files(job_id)
    update_job(job_id, status=JobStatus.FAILED, error=error, finished_at=utcnow())


def _finish(job_id: int, path: Path, name: str) -> None:
    """Keep the finished file in the storage and mark the job done, in one commit."""
    relative = store_job_file(job_id, path)
    update_job(job_id, status=JobStatus.DONE, result_path=relative, result_name=name,
               finished_at=utcnow(), heartbeat_at=utcnow(), message=None)


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
        try:
            if kind is None:
                raise JobError(f"unknown job kind {job.kind!r}")
            if kind.split is None:
                with scratch_dir(job_id) as workdir, _heartbeat(job_id):
                    path, name = kind.func(JobContext(job_id, workdir), params)
                    _finish(job_id, path, name)
                return
            parts = kind.split(params)
            update_job(job_id, parts_total=len(parts), parts_done=0, progress_done=0,
                       progress_total=sum(p.get("units", 1) for p in parts))
            if not parts:
                with scratch_dir(job_id) as workdir:
                    path, name = kind.merge(JobContext(job_id, workdir), params, [])
                    _finish(job_id, path, name)
                return
            for index, part in enumerate(parts):
                run_part_task(job_id, index, part)
        except Exception as exc:  # the job page shows why; the worker keeps running
            _fail(job_id, exc)


def _load_libc():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


_LIBC = _load_libc()


@contextlib.contextmanager
def _memory_given_back():
    """Give the heap a task freed back to the system when it ends: glibc keeps freed memory
    for the process to reuse, so a worker waiting for its next part (or idle) would go on
    holding the high-water mark of its last one, while the job's memory is the sum over all
    its processes (10,000 cards in ≤ 300 MB, `bench.bench_cards`)."""
    try:
        yield
    finally:
        gc.collect()
        trim = getattr(_LIBC, "malloc_trim", None)
        if trim is not None:
            trim(0)


@huey.task()
def run_part_task(job_id: int, index: int, part: dict) -> None:
    """Run one part and put it into the storage; the worker that completes the last part
    (on whichever machine) fetches them all and merges them."""
    with _app_context(), _memory_given_back():
        job = db.session.get(Job, job_id)
        if job is None or job.status != JobStatus.RUNNING:
            return  # failed meanwhile (another part, or the stale check): skip the work
        kind = job_kinds()[job.kind]
        params = dict(job.params or {})
        try:
            with scratch_dir(job_id) as workdir:
                ctx = JobContext(job_id, workdir, part_index=index)
                with _heartbeat(job_id):
                    update_job(job_id, heartbeat_at=utcnow())
                    kind.func(ctx, part)
                store_job_file(job_id, ctx.part_path)
                done = db.session.execute(
                    update(Job).where(Job.id == job_id)
                    .values(parts_done=Job.parts_done + 1,
                            progress_done=Job.progress_done + part.get("units", 1),
                            heartbeat_at=utcnow())
                    .returning(Job.parts_done, Job.parts_total)).one()
                # The part and its count in one commit: the worker that sees the last count
                # finds every part in the storage.
                db.session.commit()
                if done[0] < done[1]:
                    return
                update_job(job_id, message="merging")
                with _heartbeat(job_id):
                    paths = fetch_parts(ctx, done[1])
                    path, name = kind.merge(ctx, params, paths)
                delete_parts(job_id, done[1])
                _finish(job_id, path, name)
        except Exception as exc:
            _fail(job_id, exc)


# How far back a late task looks for the slot it was queued for (a queue busy for hours).
SLOT_HORIZON = timedelta(days=2)
# Claims older than this are deleted by the sweep (they only tell who ran what, lately).
KEEP_RUNS_FOR = timedelta(days=30)


def schedule(fields: str):
    """huey's crontab from five fields (minute hour day month weekday, in UTC)."""
    parts = fields.split()
    if len(parts) != 5:
        raise ValueError(f"a schedule has five crontab fields, not {fields!r}")
    return crontab(*parts, strict=True)


def schedule_slot(validate: Callable[[datetime], bool], now: datetime) -> datetime | None:
    """The latest minute at or before `now` that the schedule names: the run a task queued by
    any consumer's scheduler belongs to, even if a busy queue started it late."""
    minute = now.replace(second=0, microsecond=0)
    for _step in range(int(SLOT_HORIZON.total_seconds() // 60)):
        if validate(minute):
            return minute
        minute -= timedelta(minutes=1)
    return None


def runner_name() -> str:
    """This consumer process, as the claim records it."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def claim_slot(task: str, slot: datetime) -> ScheduledRun | None:
    """Claim one slot of a periodic task for this consumer: the run, or None when another
    consumer claimed it first (the unique key on task and slot decides, on both databases)."""
    run = ScheduledRun(task=task, slot=slot, runner=runner_name(), started_at=utcnow())
    db.session.add(run)
    try:
        db.session.commit()  # the claim must be seen by the other consumers at once
    except IntegrityError:
        db.session.rollback()
        return None
    return run


def run_once_per_slot(task: str, validate, work: Callable[[], object],
                      now: datetime | None = None) -> bool:
    """Run `work` if this consumer claims the current slot of `task`; whether it ran."""
    slot = schedule_slot(validate, now or utcnow())
    if slot is None:
        log.warning("periodic %s: no slot of its schedule in the last %s", task, SLOT_HORIZON)
        return False
    run = claim_slot(task, slot)
    if run is None:
        log.info("periodic %s slot %s: skipped, claimed by another consumer", task,
                 slot.isoformat())
        return False
    log.info("periodic %s slot %s: running on %s", task, slot.isoformat(), run.runner)
    work()
    run.finished_at = utcnow()
    db.session.commit()
    return True


def periodic(name: str, fields: str):
    """Decorator: a periodic huey task named `name`, on the crontab `fields` (UTC), that runs
    once per slot however many consumers queue it. The decorated function runs in the app
    context and commits its own work (a `unit_of_work`)."""
    validate = schedule(fields)

    def decorate(work: Callable[[], object]):
        def task() -> None:
            with _app_context():
                run_once_per_slot(name, validate, work)

        task.__name__ = task.__qualname__ = name
        task.__doc__ = work.__doc__
        return huey.periodic_task(validate, name=name)(task)

    return decorate


# Every night at 02:30 Vietnamese time (19:30 UTC).
PURGE_SCHEDULE = os.environ.get("PURGE_SCHEDULE", "30 19 * * *")
# Stale jobs failed, job files and previewed uploads past their keep period deleted.
JOB_SWEEP_SCHEDULE = os.environ.get("JOB_SWEEP_SCHEDULE", "*/15 * * * *")
# Visits still open after their venue's closing time are closed.
CLOSING_TIME_SCHEDULE = os.environ.get("CLOSING_TIME_SCHEDULE", "*/10 * * * *")


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


@periodic("daily_purge", PURGE_SCHEDULE)
def daily_purge_task() -> None:
    """Every night: delete personal data past retention.

    The purge keeps counts and what open cases hold (services/retention.py).
    """
    purge_every_commune()


@unit_of_work
def sweep_jobs() -> tuple[int, int, int]:
    """Fail the jobs whose worker is gone, delete the job files and previewed uploads past
    their keep period, and old claims; (jobs failed, job folders, uploads deleted)."""
    failed = expire_stale_jobs()
    folders = delete_old_job_files()
    uploads = delete_old_uploads()
    db.session.execute(delete(ScheduledRun).where(
        ScheduledRun.started_at < utcnow() - KEEP_RUNS_FOR))
    return failed, folders, uploads


@periodic("job_sweep", JOB_SWEEP_SCHEDULE)
def job_sweep_task() -> None:
    """Every quarter of an hour: the 2-hour life of a previewed upload and the jobs of a
    worker that died hold without waiting for the night."""
    sweep_jobs()


@unit_of_work
def close_visits_at_closing_time() -> int:
    """Close the visits whose venue has closed, as one unit of work."""
    closed = close_open_visits()
    if closed:
        current_app.logger.info("automatic check-out: %s visits closed", closed)
    return closed


@periodic("closing_time", CLOSING_TIME_SCHEDULE)
def closing_time_task() -> None:
    """Every ten minutes: visits still open after their venue's closing time are closed at that
    time, with the reason "automatic" (a run that finds nothing to close changes nothing)."""
    close_visits_at_closing_time()


# The days before today are rolled up into the dashboard's daily tallies.
CLOSE_DAYS_SCHEDULE = os.environ.get("CLOSE_DAYS_SCHEDULE", "7 * * * *")


@unit_of_work
def close_tally_step(commune_id: int):
    """One step of rolling up closed days (services/tallies.close_step), as one unit of work."""
    return tallies.close_step(commune_id)


@periodic("close_days", CLOSE_DAYS_SCHEDULE)
def close_days_task() -> None:
    """Every hour: roll the days before today into the daily tallies the dashboard reads (the
    first run after an upgrade rolls up the whole history, a month per step)."""
    for commune_id in db.session.scalars(select(Commune.id)).all():
        step = close_tally_step(commune_id)
        while step is not None:  # one step per unit of work, until no closed day is left
            step = close_tally_step(commune_id)
