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

Where the files are: a job works in a private scratch folder of the worker's machine
(`ctx.workdir`, deleted when the step ends); each part and the finished file go to the storage
(`registry.storage`: the instance folder, or the database all servers share) under
`jobs/<job id>/`, so the worker merging the parts and the web server answering the download
may be on other machines than the one that rendered a part.
"""
from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from flask import Flask, current_app
from sqlalchemy import func, select, update

from registry import signals
from registry.extensions import db
from registry.models import Commune, Job, JobStatus
from registry.storage import StorageError, StoredInfo, check_key, storage
from registry.timeutil import utcnow
from registry.transactions import commit_early

# A running job writes a heartbeat this often; one silent for STALE_AFTER while the workers are
# idle (or for HARD_STALE_AFTER in any case) is failed: its worker died or was restarted.
HEARTBEAT_SECONDS = 10
STALE_AFTER = timedelta(seconds=120)
HARD_STALE_AFTER = timedelta(minutes=30)
# Job files hold personal data (cards carry names and photos' places, posters a venue's
# manager): a finished or failed job's folder is deleted after this long, and never later than
# the commune's retention period. Only the registry's own user can read them (folders 0700,
# files 0600 in the instance folder; the registry's role in the database).
KEEP_FILES_FOR = timedelta(days=7)
PRIVATE_DIR = 0o700
# The storage keys of job files start so: jobs/<job id>/<file name>.
JOBS_AREA = "jobs/"


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


def jobs_dir(app: Flask | None = None) -> Path:
    """instance/jobs: where the local storage keeps one private folder per job."""
    app = app or current_app
    return private_dir(Path(app.instance_path) / "jobs")


@contextlib.contextmanager
def scratch_dir(job_id: int):
    """A private folder (0700) on this machine for one step of a job, deleted when the step
    ends, crashed or not (under systemd, PrivateTmp= also clears what a killed worker left)."""
    with tempfile.TemporaryDirectory(prefix=f"registry-job-{job_id}-") as folder:
        yield Path(folder)


def job_key(job_id: int, name: str) -> str:
    """The storage key of a job's file."""
    return f"{JOBS_AREA}{job_id}/{name}"


def store_job_file(job_id: int, path: Path) -> str:
    """Put a part or the finished file into the storage; its path under `jobs/`."""
    storage().put_file(job_key(job_id, path.name), path)
    return f"{job_id}/{path.name}"


def fetch_parts(ctx: JobContext, count: int) -> list[Path]:
    """The job's parts as local files for the merge: in place on the local storage, else
    copied (a chunk at a time) into the merging worker's scratch folder."""
    store = storage()
    paths = []
    for index in range(count):
        wanted = JobContext(ctx.job_id, ctx.workdir, index).part_path
        key = job_key(ctx.job_id, wanted.name)
        local = store.local_path(key)
        if local is None:
            if store.info(key) is None:
                raise JobError(f"part {index} of job {ctx.job_id} is missing")
            local = store.fetch(key, wanted)
        paths.append(local)
    return paths


def delete_parts(job_id: int, count: int) -> None:
    """The parts, once merged into the finished file."""
    store = storage()
    for index in range(count):
        store.delete(job_key(job_id, JobContext(job_id, Path("."), index).part_path.name))


def job_file(job: Job) -> StoredInfo | None:
    """The finished file of a done job, if it is still kept."""
    if job.status != JobStatus.DONE or not job.result_path:
        return None
    try:
        key = check_key(JOBS_AREA + job.result_path)
    except StorageError:
        return None
    return storage().info(key)


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
    """Remove a job's files (its parts and finished file)."""
    job_id = job if isinstance(job, int) else job.id
    storage().delete_prefix(f"{JOBS_AREA}{job_id}/")


def keep_period(commune: Commune | None) -> timedelta:
    """How long a finished job's files are kept: KEEP_FILES_FOR, shortened to the commune's
    retention period when that is shorter."""
    if commune is None or not commune.retention_days:
        return KEEP_FILES_FOR
    return min(KEEP_FILES_FOR, timedelta(days=commune.retention_days))


def delete_old_job_files(now: datetime | None = None) -> int:
    """Delete the files of jobs finished (done or failed) longer ago than their keep period,
    and files no job owns; returns how many jobs' folders went.

    Walks the files in the storage rather than the jobs table, so a part file a failed job left
    behind, or the files of a job whose row is gone, are found too.
    """
    now = now or utcnow()
    store = storage()
    folders: set[int] = set()
    for info in store.list(JOBS_AREA):
        folder, _slash, rest = info.key[len(JOBS_AREA):].partition("/")
        if folder.isdigit() and rest:
            folders.add(int(folder))
    if not folders:
        return 0
    jobs = {job.id: job for job in db.session.scalars(select(Job).where(
        Job.id.in_(list(folders))))}
    communes = {c.id: c for c in db.session.scalars(select(Commune).where(
        Commune.id.in_({j.commune_id for j in jobs.values()})))}
    deleted = 0
    for job_id in sorted(folders):
        job = jobs.get(job_id)
        if job is not None:
            if not job.is_finished:
                continue  # still running or queued: the stale check fails it first
            if (job.finished_at or job.created_at) > now - keep_period(
                    communes.get(job.commune_id)):
                continue
            job.result_path = None
        delete_job_files(job_id)
        deleted += 1
    db.session.flush()
    return deleted
