"""One storage for the files kept between requests (job outputs and parts, previewed uploads):
the instance folder on one machine, the shared database for several servers. Both backends on
both databases: files written and read a chunk at a time, private, expiring, and with the
database backend a file written by one server is read by another with its own instance folder.
"""
from __future__ import annotations

import io
import os
import stat
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from registry import create_app, signals
from registry.extensions import db
from registry.models import Job, JobStatus, Role, StoredFile, StoredFileChunk, Venue
from registry.services import imports as import_service
from registry.services.jobs import KEEP_FILES_FOR, JobKind, delete_old_job_files, enqueue
from registry.storage import CHUNK_SIZE, StorageError, storage
from registry.timeutil import utcnow
from conftest import PASSWORD, _test_config

BACKENDS = ["local", "database"]
VENUE_CSV = ("Tên địa điểm,Loại địa điểm,Địa chỉ,Thôn/Tổ dân phố,Người phụ trách,"
             "Điện thoại,Điểm khai báo,Ghi chú\n"
             "Quán phở Hùng,Hộ kinh doanh,Số 5,,Nguyễn Văn Hùng,0912345678,Cửa,\n")


@pytest.fixture(params=BACKENDS)
def file_storage(request, app):
    """The app with one storage backend or the other."""
    app.config["FILE_STORAGE"] = request.param
    return request.param


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _random_file(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


def test_a_file_goes_in_and_comes_out_a_chunk_at_a_time(app, file_storage, tmp_path):
    source = tmp_path / "cards.pdf"
    data = _random_file(source, 2 * CHUNK_SIZE + 12345)
    store = storage()
    info = store.put_file("jobs/7/the-kiem-soat.pdf", source)
    db.session.commit()
    assert info.size == len(data) and store.info("jobs/7/the-kiem-soat.pdf").size == len(data)
    chunks = list(store.stream("jobs/7/the-kiem-soat.pdf"))
    assert [len(c) for c in chunks] == [CHUNK_SIZE, CHUNK_SIZE, 12345]
    assert b"".join(chunks) == data
    fetched = store.fetch("jobs/7/the-kiem-soat.pdf", tmp_path / "copy.pdf")
    assert fetched.read_bytes() == data and _mode(fetched) == 0o600
    # Listing by prefix, replacing, deleting one file and a whole folder.
    store.put_bytes("jobs/7/part-00000.pdf", b"%PDF part")
    store.put_bytes("jobs/70/part-00000.pdf", b"%PDF other job")
    store.put_bytes("jobs/7/part-00000.pdf", b"%PDF part again")
    assert store.read_bytes("jobs/7/part-00000.pdf") == b"%PDF part again"
    assert [i.key for i in store.list("jobs/7/")] == ["jobs/7/part-00000.pdf",
                                                      "jobs/7/the-kiem-soat.pdf"]
    assert store.delete("jobs/7/part-00000.pdf") and not store.delete("jobs/7/part-00000.pdf")
    assert store.delete_prefix("jobs/7/") == 1
    db.session.commit()
    assert store.info("jobs/7/the-kiem-soat.pdf") is None
    assert [i.key for i in store.list("jobs/")] == ["jobs/70/part-00000.pdf"]
    assert store.read_bytes("jobs/7/the-kiem-soat.pdf") is None


def test_a_stream_opens_nothing_until_read_and_closes_when_dropped(app, file_storage, tmp_path):
    store = storage()
    store.put_bytes("jobs/8/a.pdf", b"x" * (3 * CHUNK_SIZE))
    db.session.commit()
    unread = store.stream("jobs/8/a.pdf")  # a response nobody reads: nothing is open
    del unread
    partly = store.stream("jobs/8/a.pdf")
    assert len(next(partly)) == CHUNK_SIZE
    partly.close()  # the client went away after one chunk (ResourceWarnings are errors here)


def test_a_key_is_a_plain_relative_path(app, file_storage):
    for key in ("../secret_key", "/etc/passwd", "jobs/../../x", "jobs//x", "jobs/.hidden", "",
                "jobs/a b.pdf"):
        with pytest.raises(StorageError):
            storage().put_bytes(key, b"x")
    assert not (Path(app.instance_path).parent / "secret_key").exists()


def test_local_files_are_private_whatever_the_umask(app, tmp_path):
    app.config["FILE_STORAGE"] = "local"
    old_umask = os.umask(0o022)
    try:
        storage().put_bytes("uploads/venues-1-abc.csv", b"a,b\n")
        source = tmp_path / "part.pdf"
        _random_file(source, 1000)
        storage().put_file("jobs/3/part-00000.pdf", source)
    finally:
        os.umask(old_umask)
    instance = Path(app.instance_path)
    assert _mode(instance / "uploads") == 0o700 and _mode(instance / "jobs" / "3") == 0o700
    assert _mode(instance / "uploads" / "venues-1-abc.csv") == 0o600
    assert _mode(instance / "jobs" / "3" / "part-00000.pdf") == 0o600


def test_the_database_keeps_files_in_chunks_and_never_holds_one_whole(app, tmp_path):
    app.config["FILE_STORAGE"] = "database"
    source = tmp_path / "big.pdf"
    data = _random_file(source, 12 * CHUNK_SIZE)
    tracemalloc.start()
    try:
        storage().put_file("jobs/9/big.pdf", source)
        db.session.commit()
        received = 0
        for chunk in storage().stream("jobs/9/big.pdf"):
            received += len(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == len(data)
    assert peak < 4 * CHUNK_SIZE, peak  # a few chunks at a time, not the 12 MB file
    assert db.session.scalar(select(func.count()).select_from(StoredFileChunk)) == 12
    assert not (Path(app.instance_path) / "jobs").exists()  # nothing on this machine's disk
    storage().delete("jobs/9/big.pdf")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(StoredFileChunk)) == 0


@pytest.fixture
def second_server(app, backend, tmp_path):
    """Another server of the same deployment: its own app and instance folder, the same
    database and settings."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    other = create_app(_test_config(url, tmp_path))
    other.instance_path = str(tmp_path / "instance-b")
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def _login(client, user):
    response = client.post("/auth/login", data={"username": user.username,
                                                "password": PASSWORD})
    assert response.status_code == 302


def _preview(client) -> str:
    page = client.post("/venues/import", data={"file": (io.BytesIO(VENUE_CSV.encode()),
                                                        "dia-diem.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    return page.split('name="token" value="', 1)[1].split('"', 1)[0]


def _previewed_here_confirmed_there(app, second_server, make_user, storage: str):
    """A venue import previewed on `app` and confirmed on `second_server`, both logged in as
    the same clerk, with `storage` as both servers' FILE_STORAGE; the confirmation's answer."""
    app.config["FILE_STORAGE"] = second_server.config["FILE_STORAGE"] = storage
    user = make_user(Role.CLERK)
    first, second = app.test_client(), second_server.test_client()
    _login(first, user)
    _login(second, user)
    token = _preview(first)
    return second.post("/venues/import/confirm", data={"token": token}, follow_redirects=True)


def test_a_preview_on_one_server_is_confirmed_on_another(app, commune, make_user,
                                                         second_server):
    response = _previewed_here_confirmed_there(app, second_server, make_user, "database")
    assert response.status_code == 200
    assert db.session.scalar(select(Venue.name)) == "Quán phở Hùng"
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0  # used up


def test_with_local_files_the_other_server_cannot_see_the_preview(app, commune, make_user,
                                                                  second_server):
    """Why a deployment of several servers needs the shared storage."""
    response = _previewed_here_confirmed_there(app, second_server, make_user, "local")
    assert "Bản xem trước đã hết hạn" in response.get_data(as_text=True)
    assert db.session.scalar(select(Venue.id)) is None


def _big_part(ctx, part):
    ctx.part_path.write_bytes(part["fill"].encode() * (CHUNK_SIZE + 100))


def _join(ctx, params, paths):
    path = ctx.workdir / "cac-phan.pdf"
    with path.open("wb") as out:
        for p in paths:
            out.write(p.read_bytes())
    return path, "các-phần.pdf"


def _big_kind(_app):
    return JobKind("test_big", _big_part, merge=_join,
                   split=lambda params: [{"fill": "a", "units": 1}, {"fill": "b", "units": 1}])


def test_a_job_printed_through_one_server_is_downloaded_through_another(
        app, commune, make_user, second_server, file_storage):
    second_server.config["FILE_STORAGE"] = file_storage
    user = make_user(Role.CLERK)
    with signals.job_kinds.connected_to(_big_kind):
        job = enqueue("test_big", {}, user, "Hai phần")
    assert job.status == JobStatus.DONE
    client = second_server.test_client()
    _login(client, user)
    response = client.get(f"/jobs/{job.id}/download", buffered=False)
    if file_storage == "local":  # the other machine's instance folder does not have it
        assert response.status_code == 302
        return
    assert response.status_code == 200 and response.is_streamed
    assert response.content_length == 2 * (CHUNK_SIZE + 100)
    assert "filename*=UTF-8''c%C3%A1c-ph%E1%BA%A7n.pdf" in response.headers["Content-Disposition"]
    chunks = list(response.response)
    response.close()
    assert len(chunks) == 3 and max(len(c) for c in chunks) <= CHUNK_SIZE
    body = b"".join(chunks)
    assert body == b"a" * (CHUNK_SIZE + 100) + b"b" * (CHUNK_SIZE + 100)
    # The parts went when they were merged: only the finished file is kept.
    assert [i.key for i in storage().list("jobs/")] == [f"jobs/{job.id}/cac-phan.pdf"]


def test_a_failed_job_leaves_nothing_in_the_shared_storage(app, commune, make_user):
    app.config["FILE_STORAGE"] = "database"

    def half_broken(ctx, part):
        ctx.part_path.write_bytes(b"%PDF Nguyen Van An")
        if part["index"] == 1:
            raise RuntimeError("the printer font is missing")

    def kind(_app):
        return JobKind("test_half", half_broken, merge=_join,
                       split=lambda params: [{"index": 0}, {"index": 1}])

    with signals.job_kinds.connected_to(kind):
        job = enqueue("test_half", {}, make_user(Role.CLERK), "Hỏng")
    assert job.status == JobStatus.FAILED
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_shared_files_expire_like_local_ones(app, commune, make_user):
    app.config["FILE_STORAGE"] = "database"
    user = make_user(Role.CLERK)
    jobs = []
    for days in (KEEP_FILES_FOR.days + 1, 1):
        job = Job(commune_id=commune.id, user_id=user.id, kind="resident_cards", title="Thẻ",
                  status=JobStatus.DONE, finished_at=utcnow() - timedelta(days=days))
        db.session.add(job)
        db.session.flush()
        storage().put_bytes(f"jobs/{job.id}/the.pdf", b"%PDF names")
        job.result_path = f"{job.id}/the.pdf"
        jobs.append(job)
    storage().put_bytes("jobs/999999/part-00000.pdf", b"%PDF orphan")
    token = import_service.stash_upload("venues", user.id, "v.csv", b"a,b\n")
    fresh = import_service.stash_upload("venues", user.id, "w.csv", b"c,d\n")
    db.session.commit()
    stashed = import_service.stashed_upload("venues", user.id, token)
    db.session.execute(update(StoredFile).where(StoredFile.key == stashed.key).values(
        created_at=utcnow() - import_service.STASH_KEEP - timedelta(minutes=1)))
    assert import_service.stashed_upload("venues", user.id, token) is None  # expired on sight
    assert import_service.stashed_upload("venues", user.id, fresh).read_bytes() == b"c,d\n"
    assert delete_old_job_files() == 2  # the old job's and the orphan's
    db.session.commit()
    assert [i.key for i in storage().list("jobs/")] == [f"jobs/{jobs[1].id}/the.pdf"]
    assert jobs[0].result_path is None
    old = import_service.stashed_upload("venues", user.id, fresh)
    db.session.execute(update(StoredFile).where(StoredFile.key == old.key).values(
        created_at=utcnow() - import_service.STASH_KEEP - timedelta(minutes=1)))
    assert import_service.delete_old_uploads() == 1
    assert storage().list("uploads/") == []
