"""Background jobs (long PDFs): status, progress, error and the finished file, as users see them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.models.base import LabelledEnum, enum_type
from registry.timeutil import utcnow


class JobStatus(LabelledEnum):
    """queued → running → done | failed."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(db.Model):
    """One request for long work, run by the huey consumer; the row is what the job page shows."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(
        enum_type(JobStatus),
        default=JobStatus.QUEUED, index=True)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    # Parallel jobs are split into parts run by different worker processes.
    parts_total: Mapped[int] = mapped_column(Integer, default=0)
    parts_done: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    # Relative to instance/jobs/; the finished file is kept for download.
    result_path: Mapped[str | None] = mapped_column(String(255))
    result_name: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Written by the worker while it works; a running job whose heartbeat stops is failed.
    heartbeat_at: Mapped[datetime | None]

    user = relationship("User")

    @property
    def percent(self) -> int:
        """Progress in whole percent (100 once done)."""
        if self.status == JobStatus.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(99, int(100 * self.progress_done / self.progress_total))

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status.value}>"


class ScheduledRun(db.Model):
    """One run of a periodic task (the nightly purge, the job sweep) for one slot of its
    schedule. Every job consumer's scheduler queues each periodic task; the unique key lets
    only the first to claim a slot run it, however many consumers there are."""

    __tablename__ = "scheduled_runs"
    __table_args__ = (UniqueConstraint("task", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(80))
    # The minute of the schedule this run is for (UTC), not the minute it started.
    slot: Mapped[datetime] = mapped_column(index=True)
    # Which consumer ran it (host and process), for the administrator reading the log.
    runner: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<ScheduledRun {self.task} {self.slot:%Y-%m-%d %H:%M} {self.runner}>"
