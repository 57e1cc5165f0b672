"""Background jobs on huey: a `jobs` table users watch, kinds registered by features, heartbeats.

A feature registers a kind once, at import:

    register_job("resident_cards", render_part, split=split_cards, merge=merge_parts)

and a view starts one with `enqueue(kind, params, user, title)`. The huey consumer (started by
`bin/serve` with two worker processes) runs it. A kind without `split` runs as one task:
`func(ctx, params) -> (path, download_name)`. A kind with `split` is cut into parts that huey hands
to both worker processes (`func(ctx, part_params)` writes `ctx.part_path`); the worker finishing
the last part calls `merge(ctx, params, part_paths) -> (path, download_name)`.

Storage: SQLite under instance/ by default, Redis when HUEY_REDIS_URL is set. Tests and
HUEY_IMMEDIATE run tasks in-process (huey's immediate mode).
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Callable

from flask import Flask, current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab
from sqlalchemy import func, select, update

from registry.extensions import db
from registry.models import Job, JobStatus
from registry.timeutil import utcnow

log = logging.getLogger(__name__)

# A running job writes a heartbeat this often; one silent for STALE_AFTER while the workers are
# idle (or for HARD_STALE_AFTER in any case) is failed: its worker died or was restarted.
HEARTBEAT_SECONDS = 10
STALE_AFTER = timedelta(seconds=120)
HARD_STALE_AFTER = timedelta(minutes=30)
# Finished files hold personal data (cards carry names): they are deleted after this long.
KEEP_FILES_FOR = timedelta(days=7)

ROOT = Path(__file__).resolve().parent.parent


def _make_huey():
    """SqliteHuey in instance/huey.sqlite, or RedisHuey when HUEY_REDIS_URL is set."""
    redis_url = os.environ.get("HUEY_REDIS_URL")
    if redis_url:
        try:
            import redis  # noqa: F401  (RedisHuey needs the client)
        except ImportError:
            raise RuntimeError("HUEY_REDIS_URL is set but the redis client is missing: "
                               "pip install -e '.[redis]'") from None
        return RedisHuey("registry", url=redis_url)
    instance = Path(os.environ.get("REGISTRY_INSTANCE_PATH", ROOT / "instance"))
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("registry", filename=str(instance / "huey.sqlite"))


huey = _make_huey()


class JobError(Exception):
    """A failure to explain to the user as is (the message is already translated)."""


@dataclass(frozen=True)
class JobKind:
    """How to run one kind of job."""

    kind: str
    func: Callable
    split: Callable | None = None
    merge: Callable | None = None


_KINDS: dict[str, JobKind] = {}


def register_job(kind: str, func: Callable, *, split: Callable | None = None,
                 merge: Callable | None = None) -> None:
    """Make `kind` runnable; with `split`, also give `merge` (see the module docstring)."""
    if (split is None) != (merge is None):
        raise ValueError("split and merge go together")
    _KINDS[kind] = JobKind(kind, func, split, merge)


def job_kinds() -> tuple[str, ...]:
    """The registered kinds (for tests and the docs)."""
    return tuple(_KINDS)


@dataclass
class JobContext:
    """What a running job may use: its folder, its parameters, and progress reports."""

    job_id: int
    workdir: Path
    part_index: int | None = None

    @property
    def part_path(self) -> Path:
        """Where a part writes its output."""
        return self.workdir / f"part-{self.part_index:05d}.pdf"

    def report(self, done: int | None = None, total: int | None = None,
               message: str | None = None) -> None:
        """Set the progress of a single-task job (parts report through their units)."""
        values = {"heartbeat_at": utcnow()}
        if done is not None:
            values["progress_done"] = done
        if total is not None:
            values["progress_total"] = total
        if message is not None:
            values["message"] = message[:255]
        _update(self.job_id, **values)


def jobs_dir(app: Flask | None = None) -> Path:
    """instance/jobs: one folder per job holding its parts and its finished file."""
    app = app or current_app
    path = Path(app.instance_path) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_file(job: Job) -> Path | None:
    """The finished file of a done job, if it is still there."""
    if job.status != JobStatus.DONE or not job.result_path:
        return None
    path = (jobs_dir() / job.result_path).resolve()
    if jobs_dir().resolve() not in path.parents or not path.is_file():
        return None
    return path


def merge_pdf_parts(ctx: JobContext, paths: list[Path], filename: str) -> Path:
    """Join part PDFs page by page (pypdf) into the job's folder, without laying them out
    again; the common `merge` step of PDF jobs."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for path in paths:
        writer.append(str(path))
    target = ctx.workdir / filename
    with target.open("wb") as out:
        writer.write(out)
    writer.close()
    return target


def init_app(app: Flask) -> None:
    """Tests and HUEY_IMMEDIATE run tasks in-process, at once (huey's immediate mode)."""
    huey.immediate = bool(app.config.get("HUEY_IMMEDIATE") or app.config.get("TESTING"))


def enqueue(kind: str, params: dict, user, title: str) -> Job:
    """Create the job row and hand it to huey.

    Unlike other services this commits: the worker, in another process, must see the row.
    In immediate mode the job has run when this returns.
    """
    if kind not in _KINDS:
        raise KeyError(kind)
    job = Job(commune_id=user.commune_id, user_id=user.id, kind=kind, title=title[:200],
              params=params, status=JobStatus.QUEUED, heartbeat_at=utcnow())
    db.session.add(job)
    delete_old_job_files()
    db.session.commit()
    run_job_task(job.id)
    if huey.immediate:
        db.session.refresh(job)
    return job


def expire_stale_jobs(commune_id: int | None = None) -> int:
    """Fail queued or running jobs whose worker has stopped; returns how many were failed.

    A job waiting behind another job's parts does not beat, so it counts as stale only when no
    job at all has beaten lately (the workers are gone), or after HARD_STALE_AFTER.
    """
    now = utcnow()
    open_states = (JobStatus.QUEUED, JobStatus.RUNNING)
    stmt = select(Job).where(Job.status.in_(open_states), Job.heartbeat_at < now - STALE_AFTER)
    if commune_id is not None:
        stmt = stmt.where(Job.commune_id == commune_id)
    candidates = db.session.scalars(stmt).all()
    if not candidates:
        return 0
    latest = db.session.scalar(select(func.max(Job.heartbeat_at))
                               .where(Job.status.in_(open_states)))
    workers_busy = latest is not None and latest >= now - STALE_AFTER
    failed = 0
    for job in candidates:
        if workers_busy and job.heartbeat_at >= now - HARD_STALE_AFTER:
            continue
        job.status = JobStatus.FAILED
        job.finished_at = now
        job.error = ("worker_lost" if job.started_at else "worker_missing")
        failed += 1
    db.session.flush()
    return failed


# --- running (in the worker) ----------------------------------------------------------------

_worker_app: Flask | None = None


def _app_context():
    """The caller's app context (immediate mode), else this worker process's own app."""
    global _worker_app
    if has_app_context():
        return contextlib.nullcontext()
    if _worker_app is None:
        from registry import create_app  # the worker builds the app once, after the fork

        _worker_app = create_app()
    return _worker_app.app_context()


def _update(job_id: int, **values) -> None:
    db.session.execute(update(Job).where(Job.id == job_id).values(**values))
    db.session.commit()


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
    _update(job_id, status=JobStatus.FAILED, error=error, finished_at=utcnow())


def _finish(job_id: int, path: Path, name: str) -> None:
    relative = path.resolve().relative_to(jobs_dir().resolve())
    _update(job_id, status=JobStatus.DONE, result_path=str(relative), result_name=name,
            finished_at=utcnow(), heartbeat_at=utcnow(), message=None)


def _workdir(job_id: int) -> Path:
    path = jobs_dir() / str(job_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


@huey.task()
def run_job_task(job_id: int) -> None:
    """Start a job: run it whole, or cut it into parts for the worker processes."""
    with _app_context():
        job = db.session.get(Job, job_id)
        if job is None or job.status != JobStatus.QUEUED:
            return
        kind = _KINDS.get(job.kind)
        params = dict(job.params or {})
        _update(job_id, status=JobStatus.RUNNING, started_at=utcnow(), heartbeat_at=utcnow())
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
            _update(job_id, parts_total=len(parts), parts_done=0, progress_done=0,
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
        kind = _KINDS[job.kind]
        params = dict(job.params or {})
        ctx = JobContext(job_id, _workdir(job_id), part_index=index)
        try:
            with _heartbeat(job_id):
                _update(job_id, heartbeat_at=utcnow())
                kind.func(ctx, part)
            done = db.session.execute(
                update(Job).where(Job.id == job_id)
                .values(parts_done=Job.parts_done + 1,
                        progress_done=Job.progress_done + part.get("units", 1),
                        heartbeat_at=utcnow())
                .returning(Job.parts_done, Job.parts_total)).one()
            db.session.commit()
            if done[0] < done[1]:
                return
            _update(job_id, message="merging")
            paths = [JobContext(job_id, ctx.workdir, i).part_path for i in range(done[1])]
            with _heartbeat(job_id):
                path, name = kind.merge(ctx, params, paths)
            for p in paths:
                p.unlink(missing_ok=True)
            _finish(job_id, path, name)
        except Exception as exc:
            _fail(job_id, exc)


def delete_job_files(job: Job) -> None:
    """Remove a job's folder (its parts and finished file)."""
    shutil.rmtree(jobs_dir() / str(job.id), ignore_errors=True)


def delete_old_job_files() -> int:
    """Delete the files of jobs finished more than KEEP_FILES_FOR ago; returns how many."""
    old = db.session.scalars(select(Job).where(Job.finished_at < utcnow() - KEEP_FILES_FOR,
                                               Job.result_path.is_not(None))).all()
    for job in old:
        delete_job_files(job)
        job.result_path = None
    db.session.flush()
    return len(old)


# --- scheduled work ---------------------------------------------------------------------------

@huey.periodic_task(crontab(hour="19", minute="30"))
def daily_purge_task() -> None:
    """Every night at 02:30 Vietnamese time (19:30 UTC): delete personal data past retention.

    The purge keeps counts and what open cases hold (services/retention.py).
    """
    from registry.services.retention import run_daily_purge

    with _app_context():
        run_daily_purge()
