"""Files of personal data on the server: job output (finished or failed, parts included) and
previewed uploads are readable by the registry's user only and deleted after their keep
period, never outliving the retention period."""
from __future__ import annotations

import io
import os
import stat
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from registry import signals
from registry.extensions import db
from registry.models import Job, JobStatus, Role
from registry.services import imports as import_service
from registry.services.jobs import (KEEP_FILES_FOR, JobKind, delete_old_job_files, enqueue,
                                    jobs_dir)
from registry.timeutil import utcnow


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _names_part(ctx, part):
    ctx.part_path.write_bytes(b"%PDF part: Nguyen Van An, Tran Thi Binh")
    if part["index"] == 1:
        raise RuntimeError("the printer font is missing")


def _merge(ctx, params, paths):
    path = ctx.workdir / "all.pdf"
    path.write_bytes(b"".join(p.read_bytes() for p in paths))
    return path, "all.pdf"


def _kind(fail: bool):
    def receiver(_app):
        parts = [{"index": 0, "units": 1}, {"index": 1 if fail else 2, "units": 1}]
        return JobKind("test_names", _names_part, split=lambda params: parts, merge=_merge)

    return receiver


def test_a_failed_job_leaves_no_part_files(app, make_user):
    user = make_user(Role.CLERK)
    receiver = _kind(fail=True)
    with signals.job_kinds.connected_to(receiver):
        job = enqueue("test_names", {}, user, "Thẻ")
    assert job.status == JobStatus.FAILED
    assert not (jobs_dir(app) / str(job.id)).exists()


def test_job_files_are_private(app, make_user):
    user = make_user(Role.CLERK)
    receiver = _kind(fail=False)
    old_umask = os.umask(0o022)  # the usual umask: files would be readable by everyone
    try:
        with signals.job_kinds.connected_to(receiver):
            job = enqueue("test_names", {}, user, "Thẻ")
    finally:
        os.umask(old_umask)
    assert job.status == JobStatus.DONE
    folder = jobs_dir(app) / str(job.id)
    assert _mode(jobs_dir(app)) == 0o700 and _mode(folder) == 0o700
    assert _mode(folder / "all.pdf") == 0o600


def _job(commune, user, status, finished_days_ago):
    job = Job(commune_id=commune.id, user_id=user.id, kind="resident_cards", title="Thẻ",
              status=status, finished_at=utcnow() - timedelta(days=finished_days_ago)
              if finished_days_ago is not None else None, heartbeat_at=utcnow())
    db.session.add(job)
    db.session.flush()
    folder = jobs_dir() / str(job.id)
    folder.mkdir()
    (folder / "part-00000.pdf").write_bytes(b"%PDF names")
    if status == JobStatus.DONE:
        (folder / "the.pdf").write_bytes(b"%PDF names")
        job.result_path = f"{job.id}/the.pdf"
    return job


def test_old_job_files_go_whether_done_or_failed_and_never_outlive_retention(
        app, commune, make_user):
    user = make_user(Role.CLERK)
    keep_days = KEEP_FILES_FOR.days
    done_old = _job(commune, user, JobStatus.DONE, keep_days + 1)
    failed_old = _job(commune, user, JobStatus.FAILED, keep_days + 1)  # its part file stayed
    done_new = _job(commune, user, JobStatus.DONE, 1)
    running = _job(commune, user, JobStatus.RUNNING, None)
    orphan = jobs_dir() / "999999"
    orphan.mkdir()
    (orphan / "part-00003.pdf").write_bytes(b"%PDF")
    db.session.commit()
    assert delete_old_job_files() == 3
    db.session.commit()
    gone = [done_old, failed_old]
    assert [(jobs_dir() / str(j.id)).exists() for j in gone] == [False, False]
    assert not orphan.exists() and done_old.result_path is None
    assert (jobs_dir() / str(done_new.id)).exists() and (jobs_dir() / str(running.id)).exists()
    # A commune keeping personal data 1 day: a 2-day-old file goes although 7 days are the rule.
    commune.retention_days = 1
    done_2days = _job(commune, user, JobStatus.DONE, 2)
    db.session.commit()
    assert delete_old_job_files() == 2  # the 1-day-old and the 2-day-old
    assert not (jobs_dir() / str(done_2days.id)).exists()
    assert not (jobs_dir() / str(done_new.id)).exists()


def test_the_nightly_purge_sweeps_job_files_and_uploads(app, commune, make_user, monkeypatch):
    from registry import worker

    user = make_user(Role.CLERK)
    old = _job(commune, user, JobStatus.FAILED, KEEP_FILES_FOR.days + 1)
    db.session.commit()
    token = import_service.stash_upload("venues", user.id, "v.csv", b"a,b\n")
    stashed = Path(app.instance_path) / import_service.stashed_upload("venues", user.id,
                                                                      token).key
    past = time.time() - import_service.STASH_KEEP.total_seconds() - 60
    os.utime(stashed, (past, past))
    worker.purge_every_commune()
    assert not (jobs_dir() / str(old.id)).exists() and not stashed.exists()


def test_previewed_uploads_are_private_and_expire(app, client, auth, make_user):
    user = make_user(Role.CLERK)
    auth.login(user)
    csv_text = ("Tên địa điểm,Loại địa điểm,Địa chỉ,Thôn/Tổ dân phố,Người phụ trách,"
                "Điện thoại,Điểm khai báo,Ghi chú\n"
                "Quán phở Hùng,Hộ kinh doanh,Số 5,,Nguyễn Văn Hùng,0912345678,Cửa,\n")
    page = client.post("/venues/import", data={"file": (io.BytesIO(csv_text.encode()),
                                                        "v.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    token = page.split('name="token" value="', 1)[1].split('"', 1)[0]
    path = Path(app.instance_path) / import_service.stashed_upload("venues", user.id, token).key
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    past = time.time() - import_service.STASH_KEEP.total_seconds() - 60
    os.utime(path, (past, past))
    response = client.post("/venues/import/confirm", data={"token": token},
                           follow_redirects=True)
    assert "Bản xem trước đã hết hạn" in response.get_data(as_text=True)
    assert not path.exists()
    assert db.session.scalar(select(Job.id)) is None  # nothing else was started
