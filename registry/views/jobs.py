"""Background jobs as users see them: a progress page that survives reloads, and the download."""
from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import (Blueprint, Response, abort, flash, g, jsonify, redirect, render_template,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from registry import worker
from registry.extensions import db
from registry.models import Job, JobStatus, Role
from registry.services import jobs
from registry.services.audit import record_event
from registry.storage import storage

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _load_job(job_id: int) -> Job:
    """The job, if it is the user's own, or an admin's of the same commune; else 404."""
    job = db.session.get(Job, job_id)
    if job is None or job.commune_id != current_user.commune_id:
        abort(404)
    if job.user_id != current_user.id and current_user.role != Role.ADMIN:
        abort(404)
    if not job.is_finished and jobs.expire_stale_jobs(job.commune_id):
        db.session.refresh(job)
    return job


def error_text(job: Job) -> str:
    """Why a job failed, in words."""
    if job.error == "worker_lost":
        return _("The background worker stopped (it crashed or was restarted) before the job "
                 "finished. Start the job again.")
    if job.error == "worker_missing":
        return _("No background worker took the job: the job service is not running. Ask the "
                 "administrator to start it (make run), then start the job again.")
    return job.error or _("Unknown error.")


def status_text(job: Job) -> str:
    """The job's state in words."""
    if job.status == JobStatus.QUEUED:
        return _("Waiting for a free worker…")
    if job.status == JobStatus.RUNNING:
        if job.message == "merging":
            return _("Joining the pages into one file…")
        return _("%(done)s of %(total)s done", done=job.progress_done, total=job.progress_total)
    if job.status == JobStatus.DONE:
        return _("Finished.")
    return _("Failed.")


def job_state(job: Job) -> dict:
    """What the progress endpoint returns and the page shows."""
    return {"id": job.id, "status": job.status.value, "percent": job.percent,
            "done": job.progress_done, "total": job.progress_total, "text": status_text(job),
            "error": error_text(job) if job.status == JobStatus.FAILED else None,
            "download_url": url_for("jobs.download", job_id=job.id)
            if job.status == JobStatus.DONE else None}


@bp.get("/")
@login_required
def index():
    """The user's recent jobs."""
    jobs.expire_stale_jobs(current_user.commune_id)
    rows = db.session.scalars(select(Job).where(Job.user_id == current_user.id)
                              .order_by(Job.created_at.desc(), Job.id.desc()).limit(50)).all()
    return render_template("jobs/index.html", jobs=rows, status_text=status_text,
                           error_text=error_text)


@bp.get("/<int:job_id>")
@login_required
def detail(job_id: int):
    """The progress page: a bar updated by static/js/job.js, a meta refresh without JS."""
    job = _load_job(job_id)
    return render_template("jobs/detail.html", job=job, state=job_state(job))


@bp.get("/<int:job_id>/progress")
@login_required
def progress(job_id: int):
    """The job's progress as JSON (polled by the page)."""
    g.no_store = True
    return jsonify(job_state(_load_job(job_id)))


def attachment(name: str) -> dict:
    """Content-Disposition parameters for a download name, non-ASCII names included (RFC 6266:
    an ASCII fallback and the UTF-8 name), as Flask's send_file writes them."""
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        return {"filename": simple, "filename*": "UTF-8''" + quote(name, safe="!#$&+-.^_`|~")}
    return {"filename": name}


@bp.get("/<int:job_id>/download")
@login_required
def download(job_id: int):
    """The finished file, streamed from the storage a chunk at a time (whichever server or
    worker wrote it); nothing is opened before the first chunk is sent."""
    job = _load_job(job_id)
    stored = jobs.job_file(job)
    if stored is None:
        flash(_("The file is no longer kept (files are deleted after 7 days). Start the job "
                "again."), "warning")
        return redirect(url_for("jobs.detail", job_id=job.id))
    record_event("download", job, details={"kind": job.kind})
    response = Response(storage().stream(stored.key), mimetype="application/pdf",
                        direct_passthrough=True)
    response.content_length = stored.size
    response.headers.set("Content-Disposition", "attachment",
                         **attachment(job.result_name or stored.key.rsplit("/", 1)[1]))
    return response


def init_app(app) -> None:
    """The job pages, and the worker that runs queued jobs."""
    app.register_blueprint(bp)
    worker.init_app(app)
