"""Benchmark: 10,000 resident cards through the real background job, beside the naive single
WeasyPrint document in the same run.

    PYTHONPATH=. .venv/bin/python -m bench.bench_cards [--cards 10000] [--naive 200,400]

The measured way is the job as a clerk starts it: the card job is queued (`services.jobs.
enqueue`, as the print page does) to huey's real consumer started with two worker processes
(`huey_consumer registry.consumer.huey --workers 2 --worker-type process`, as bin/serve and the
systemd unit start it, queue in SQLite); the consumer cuts it into parts, both workers stamp
them and the worker finishing the last part joins them. Wall time runs from the queueing to the
job's row saying done; memory is the peak of the summed PSS of the consumer and its workers,
sampled every 50 ms. A small job runs first, so the workers have built their app, as in a
consumer that has been running. The finished PDF is then read back: pages, the first and last
sheet's codes decoded from the rasterised page with their size in mm, fonts embedded.

The naive way lays all cards out as one WeasyPrint document in one process
(`cards.laid_out_cards_pdf`, the way every card was printed before); it is run on smaller counts
in the same run and extrapolated linearly to the full count (time and memory grow with it).
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

_app = None


def _pss_mb(pid: int) -> float:
    """Proportional set size: pages shared after fork() are split, so sums are not inflated."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # the process ended between listing and reading: it holds no memory now
        return 0.0
    return 0.0


def _tree(pid: int) -> list[int]:
    """pid and all its descendants (Linux /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


class PeakMemory:
    """Samples the summed PSS of a process (this one by default) and its children every
    50 ms."""

    def __init__(self, root: int | None = None):
        self.root = root or os.getpid()
        self.peak = 0.0
        self.at_peak: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            each = {p: _pss_mb(p) for p in _tree(self.root)}
            if sum(each.values()) > self.peak:
                self.peak, self.at_peak = sum(each.values()), each
            self._stop.wait(0.05)

    def __enter__(self):
        self.peak = sum(_pss_mb(p) for p in _tree(self.root))
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _process_name(pid: int, consumer: int) -> str:
    """The consumer, one of its job workers, or a helper process of multiprocessing."""
    if pid == consumer:
        return "consumer"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            words = cmdline.read().split(b"\0")
    except OSError:
        return "ended"
    return "helper" if any(b"resource_tracker" in w or b"forkserver" in w for w in words) \
        else "worker"


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by the processes of the tree at `pid`."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _make_app(db_url: str, instance: str):
    from registry import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench",
                      "PUBLIC_BASE_URL": "https://registry.example.vn"})
    app.instance_path = instance
    return app


def _init_worker(db_url: str, instance: str) -> None:
    """Each worker process builds its app once, as a huey worker does."""
    global _app
    _app = _make_app(db_url, instance)
    _app.app_context().push()


def _naive(db_url: str, instance: str, card_ids: list[int]) -> tuple[float, float, float]:
    """All cards in one WeasyPrint document, in a fresh process: (wall s, CPU s, peak MB)."""
    from registry.extensions import db
    from registry.models import Commune
    from flask_babel import force_locale

    from registry.pdf.cards import _card_view, balanced_lines, laid_out_cards_pdf
    from registry.services.residents.cards import load_cards

    _init_worker(db_url, instance)
    cards = load_cards(card_ids)
    commune = db.session.get(Commune, cards[0].commune_id)
    start, cpu = time.perf_counter(), time.process_time()
    with _app.test_request_context(), force_locale("vi"):
        laid_out_cards_pdf(commune, [_card_view(c) for c in cards], single=False,
                           title_lines=balanced_lines("THẺ KIỂM SOÁT DỊCH BỆNH"))
    return (time.perf_counter() - start, time.process_time() - cpu,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _seed_in_child(db_url: str, instance: str, count: int) -> list[int]:
    """Seed in a throw-away process, so the measured processes start small."""
    from registry.extensions import db

    app = _make_app(db_url, instance)
    with app.app_context():
        db.create_all()
        return _seed(count)[0]


def _seed(count: int) -> tuple[list[int], int]:
    from sqlalchemy import select

    from registry.extensions import db
    from registry.models import ResidentCard, Role
    from registry.services.communes import add_village, create_commune
    from registry.demo import demo_person
    from registry.services.residents.cards import issue_missing_cards
    from registry.services.users import create_user
    from registry.models import Resident
    from registry.text import fold
    import random

    rng = random.Random(5)
    commune = create_commune(15664, hotline="+842373868123")
    villages = [add_village(commune, f"Thôn {i}") for i in range(1, 11)]
    clerk = create_user(commune.id, username="bench", full_name="Bench", role=Role.CLERK,
                        password="bench-password")
    for i in range(count):
        name, phone = demo_person(rng)
        db.session.add(Resident(commune_id=commune.id, full_name=name, search_name=fold(name),
                                birth_year=rng.randint(1940, 2015), sex="male", phone=phone,
                                village_id=villages[i % 10].id))
    db.session.flush()
    issue_missing_cards(commune.id, clerk, list(db.session.scalars(select(Resident.id))))
    db.session.commit()
    return list(db.session.scalars(select(ResidentCard.id).order_by(ResidentCard.id))), \
        commune.id


def _consumer(env: dict, log_path: Path) -> subprocess.Popen:
    """huey's consumer with two worker processes, as bin/serve starts it."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "huey.bin.huey_consumer", "registry.consumer.huey",
             "--workers", "2", "--worker-type", "process", "--delay", "0.05",
             "--max-delay", "0.2"], env=env, stdout=log, stderr=subprocess.STDOUT)


def _run_job(app, card_ids: list[int], timeout: float = 900) -> tuple[float, str]:
    """Queue a card job as the print page does and wait for it: (seconds, result file)."""
    from sqlalchemy import select

    from registry.extensions import db
    from registry.models import Job, JobStatus, User
    from registry.services.jobs import enqueue

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "bench"))
        start = time.perf_counter()
        job_id = enqueue("resident_cards", {"card_ids": card_ids}, user, "bench").id
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            db.session.rollback()  # a fresh snapshot of the row each time
            status, result, error = db.session.execute(
                select(Job.status, Job.result_path, Job.error).where(Job.id == job_id)).one()
            if status in (JobStatus.DONE, JobStatus.FAILED):
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - start
    if status != JobStatus.DONE:
        raise SystemExit(f"the card job did not finish: {status} {error}")
    return seconds, result


def _read_back(pdf_path: Path) -> str:
    """Pages, the codes of the first and last sheet (decoded, measured), embedded fonts."""
    import pypdfium2
    import zxingcpp
    from pypdf import PdfReader

    reader = PdfReader(str(pdf_path))
    pages = len(reader.pages)
    fonts, embedded = set(), True
    for index in (0, pages - 1):
        for font in (reader.pages[index]["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            descriptor = descriptor.get_object()
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
            embedded &= any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    doc = pypdfium2.PdfDocument(str(pdf_path))
    dpi, codes, smallest = 200, 0, 1e9
    for index in (0, pages - 1):
        image = doc[index].render(scale=dpi / 72).to_pil().convert("L")
        for found in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
            if "/the/" in found.text:
                codes += 1
                p = found.position
                smallest = min(smallest, (p.top_right.x - p.top_left.x) * 25.4 / dpi)
    doc.close()
    return (f"{pages} pages; first and last sheet: {codes} codes decoded, the smallest "
            f"{smallest:.1f} mm wide; fonts {sorted(fonts)} all embedded: {embedded}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10000)
    parser.add_argument("--naive", default="200,400", help="card counts for the naive way")
    args = parser.parse_args()
    naive_counts = [int(n) for n in args.naive.split(",")]

    tmp = tempfile.mkdtemp(prefix="bench-cards-")
    db_url = f"sqlite:///{tmp}/bench.sqlite"
    # The consumer and this process share the database, the instance folder (queue, job
    # files) and the settings, through the environment, as on a deployment.
    env = dict(os.environ, DATABASE_URL=db_url, REGISTRY_INSTANCE_PATH=tmp,
               SECRET_KEY="bench", PUBLIC_BASE_URL="https://registry.example.vn")
    env.pop("REDIS_URL", None)
    env.pop("HUEY_REDIS_URL", None)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REGISTRY_INSTANCE_PATH")})
    ctx = get_context("fork")
    print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores shared with other users)")
    t = time.perf_counter()
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        card_ids = pool.submit(_seed_in_child, db_url, tmp, args.cards).result()
    print(f"seeded {len(card_ids)} residents with cards in {time.perf_counter() - t:.1f} s")

    from registry.pdf.cards import CARDS_PER_PART

    app = _make_app(db_url, tmp)
    consumer = _consumer(env, Path(tmp) / "consumer.log")
    try:
        warm, _result = _run_job(app, card_ids[:20])
        print(f"warm-up job of 20 cards (the workers build their app): {warm:.1f} s; then, "
              "idle, per process (MB): " + ", ".join(
                  f"{_process_name(pid, consumer.pid)} {_pss_mb(pid):.0f}"
                  for pid in sorted(_tree(consumer.pid))))
        cpu_before = _tree_cpu(consumer.pid)
        with PeakMemory(consumer.pid) as memory:
            seconds, result = _run_job(app, card_ids)
        cpu = _tree_cpu(consumer.pid) - cpu_before
        at_peak = ", ".join(f"{_process_name(pid, consumer.pid)} {mb:.0f}"
                            for pid, mb in sorted(memory.at_peak.items()))
    finally:
        consumer.terminate()
        consumer.wait(timeout=60)
    path = Path(tmp) / "jobs" / result
    size = path.stat().st_size / 1e6
    parts = (len(card_ids) + CARDS_PER_PART - 1) // CARDS_PER_PART
    print(f"the job, huey consumer with 2 worker processes: {len(card_ids)} cards in {parts} "
          f"parts of {CARDS_PER_PART}, {(len(card_ids) + 9) // 10} A4 sheets, {size:.1f} MB")
    print(f"  measured: {seconds:.1f} s wall from queueing to done "
          f"({1000 * seconds / len(card_ids):.2f} ms per card); CPU of the workers "
          f"{cpu:.1f} s; peak memory of the consumer and its workers (PSS) {memory.peak:.0f} MB")
    print(f"  at the peak, per process (MB): {at_peak}")
    print(f"  read back: {_read_back(path)}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")

    naive = []
    for count in naive_counts:
        with ProcessPoolExecutor(1, mp_context=ctx) as pool:
            wall, cpu, peak = pool.submit(_naive, db_url, tmp, card_ids[:count]).result()
        naive.append((count, cpu, peak))
        print(f"naive, one WeasyPrint document: {count} cards in {wall:.1f} s wall, {cpu:.1f} s "
              f"CPU ({1000 * cpu / count:.1f} ms per card); peak memory {peak:.0f} MB")
    (c1, _cpu1, m1), (c2, cpu2, m2) = naive[0], naive[-1]
    per_card_mb = (m2 - m1) / (c2 - c1) if c2 != c1 else m2 / c2
    naive_seconds = cpu2 / c2 * len(card_ids)  # one process: its CPU time is its wall time
    print(f"naive extrapolated to {len(card_ids)} cards (one process): {naive_seconds:.0f} s, "
          f"{m2 + per_card_mb * (len(card_ids) - c2):.0f} MB (+{per_card_mb:.2f} MB per card)")
    print(f"the job against the naive way: {naive_seconds / seconds:.1f}x faster")


if __name__ == "__main__":
    main()
