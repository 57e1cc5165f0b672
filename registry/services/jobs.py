"""Background jobs as the registry keeps them: the `jobs` rows users watch, the kinds features
offer, queueing, stale jobs, and the files jobs leave.

A feature offers a kind by connecting, in its `init_app`, a receiver of `signals.job_kinds` that
returns a `JobKind`:

    JobKind("resident_cards", render_part, split=split_cards, merge=merge_parts)

and a view starts one with `enqueue(kind, params, user, title)`; the worker (`registry.worker`,
started by `bin/serve` with two processes) runs it. A kind without `split` runs as one task:
`func(ctx, params) -> (path, download_name)`. A kind with `split` is cut into parts that huey hands
to both worker processes (`func(ctx, part_params)` writes `ctx.part_path`); the worker finishing
the last part calls `merge(ctx, params, part_paths) -> (path, download_name)`.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from flask import Flask, current_app
from sqlalchemy import func, select, update

from registry import signals
from registry.extensions import db
from registry.models import Commune, Job, JobStatus
from registry.timeutil import utcnow
from registry.transactions import commit_early

# A running job writes a heartbeat this often; one silent for STALE_AFTER while the workers are
# idle (or for HARD_STALE_AFTER in any case) is failed: its worker died or was restarted.
HEARTBEAT_SECONDS = 10
STALE_AFTER = timedelta(seconds=120)
HARD_STALE_AFTER = timedelta(minutes=30)
# Job files hold personal data (cards carry names and photos' places, posters a venue's
# manager): a finished or failed job's folder is deleted after this long, and never later than
# the commune's retention period. Only the job's owner can read them (folders 0700, files 0600).
KEEP_FILES_FOR = timedelta(days=7)
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


class JobError(Exception):
    """A failure to explain to the user as is (the message is already translated)."""


@dataclass(frozen=True)
class JobKind:
    """How to run one kind of job (see the module docstring)."""

    kind: str
    func: Callable
    split: Callable | None = None
    merge: Callable | None = None

    def __post_init__(self):
        if (self.split is None) != (self.merge is None):
            raise ValueError("split and merge go together")


def job_kinds() -> dict[str, JobKind]:
    """The kinds the features offer (receivers of `signals.job_kinds`), by name."""
    return {kind.kind: kind for kind in signals.collect(signals.job_kinds,
                                                         current_app._get_current_object())}


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
        update_job(self.job_id, **values)


def private_dir(path: Path) -> Path:
    """Make `path` (and its parents) a folder only the registry's own user can open."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    if path.stat().st_mode & 0o777 != PRIVATE_DIR:
        path.chmod(PRIVATE_DIR)
    return path


def make_private(path: Path) -> None:
    """A file only the registry's own user can read (as backups are)."""
    if path.is_file():
        os.chmod(path, PRIVATE_FILE)


def jobs_dir(app: Flask | None = None) -> Path:
    """instance/jobs: one private folder per job holding its parts and its finished file."""
    app = app or current_app
    return private_dir(Path(app.instance_path) / "jobs")


def job_workdir(job_id: int) -> Path:
    """The private folder of one job."""
    return private_dir(jobs_dir() / str(job_id))


def job_file(job: Job) -> Path | None:
    """The finished file of a done job, if it is still there."""
    if job.status != JobStatus.DONE or not job.result_path:
        return None
    path = (jobs_dir() / job.result_path).resolve()
    if jobs_dir().resolve() not in path.parents or not path.is_file():
        return None
    return path


def update_job(job_id: int, **values) -> None:
    """Write a job's progress or outcome where the page polling it sees it at once."""
    db.session.execute(update(Job).where(Job.id == job_id).values(**values))
    commit_early()


def enqueue(kind: str, params: dict, user, title: str) -> Job:
    """Create the job row and hand it to the worker (`signals.job_queued`).

    The row is committed first: the worker, in another process, must see it. In immediate
    mode (tests) the job has run when this returns.
    """
    if kind not in job_kinds():
        raise KeyError(kind)
    job = Job(commune_id=user.commune_id, user_id=user.id, kind=kind, title=title[:200],
              params=params, status=JobStatus.QUEUED, heartbeat_at=utcnow())
    db.session.add(job)
    delete_old_job_files()
    commit_early()
    signals.job_queued.send(current_app._get_current_object(), job_id=job.id)
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


def delete_job_files(job: Job | int) -> None:
    """Remove a job's folder (its parts and finished file)."""
    job_id = job if isinstance(job, int) else job.id
    shutil.rmtree(jobs_dir() / str(job_id), ignore_errors=True)


def keep_period(commune: Commune | None) -> timedelta:
    """How long a finished job's files are kept: KEEP_FILES_FOR, shortened to the commune's
    retention period when that is shorter."""
    if commune is None or not commune.retention_days:
        return KEEP_FILES_FOR
    return min(KEEP_FILES_FOR, timedelta(days=commune.retention_days))


def delete_old_job_files(now: datetime | None = None) -> int:
    """Delete the folders of jobs finished (done or failed) longer ago than their keep period,
    and folders no job owns; returns how many folders went.

    Walks the folders on disk rather than the jobs table, so a part file a failed job left
    behind, or the folder of a job whose row is gone, is found too.
    """
    now = now or utcnow()
    folders = {int(p.name): p for p in jobs_dir().iterdir() if p.is_dir() and p.name.isdigit()}
    if not folders:
        return 0
    jobs = {job.id: job for job in db.session.scalars(select(Job).where(
        Job.id.in_(list(folders))))}
    communes = {c.id: c for c in db.session.scalars(select(Commune).where(
        Commune.id.in_({j.commune_id for j in jobs.values()})))}
    deleted = 0
    for job_id, folder in folders.items():
        job = jobs.get(job_id)
        if job is not None:
            if not job.is_finished:
                continue  # still running or queued: the stale check fails it first
            if (job.finished_at or job.created_at) > now - keep_period(
                    communes.get(job.commune_id)):
                continue
            job.result_path = None
        shutil.rmtree(folder, ignore_errors=True)
        deleted += 1
    db.session.flush()
    return deleted
