"""Benchmark: 10,000 resident cards into one PDF, against the naive single WeasyPrint document.

    PYTHONPATH=. .venv/bin/python -m bench.bench_cards [--cards 10000] [--naive 200,400]
    PYTHONPATH=. .venv/bin/python -m bench.bench_cards --cards 3000 --naive 300,1000  # scaled
                                                         # down, extrapolated to --target

The measured way is what the "resident_cards" background job does: the cards are cut into parts
of CARDS_PER_PART (split_card_job), two worker processes render the parts (render_card_part; in
production these are huey's two worker processes) and pypdf joins them (merge_card_parts).
The naive way renders all cards as one WeasyPrint document in one process; it is run on smaller
counts in the same run and extrapolated linearly to the full count (time and memory both grow
with the count). Memory is the peak of the summed RSS of every process of the run, sampled.
"""
from __future__ import annotations

import argparse
import os
import resource
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
    """Samples the summed PSS of this process and its children every 50 ms."""

    def __init__(self):
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(_pss_mb(p) for p in _tree(os.getpid())))
            self._stop.wait(0.05)

    def __enter__(self):
        self.peak = sum(_pss_mb(p) for p in _tree(os.getpid()))
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


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


def _render_part(workdir: str, index: int, part: dict) -> int:
    from registry.pdf.cards import render_card_part
    from registry.services.jobs import JobContext

    render_card_part(JobContext(0, Path(workdir), part_index=index), part)
    return part["units"]


def _naive(db_url: str, instance: str, card_ids: list[int]) -> tuple[float, float, float]:
    """All cards in one WeasyPrint document, in a fresh process: (wall s, CPU s, peak MB)."""
    from registry.extensions import db
    from registry.models import Commune
    from registry.pdf.cards import render_cards_pdf
    from registry.services.residents.cards import load_cards

    _init_worker(db_url, instance)
    cards = load_cards(card_ids)
    commune = db.session.get(Commune, cards[0].commune_id)
    start, cpu = time.perf_counter(), time.process_time()
    render_cards_pdf(commune, cards)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10000)
    parser.add_argument("--naive", default="200,400", help="card counts for the naive way")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--target", type=int, default=10000,
                        help="extrapolate the measured figures to this many cards")
    args = parser.parse_args()
    naive_counts = [int(n) for n in args.naive.split(",")]

    from registry.pdf.cards import CARDS_PER_PART, merge_card_parts, split_card_job
    from registry.services.jobs import JobContext

    tmp = tempfile.mkdtemp(prefix="bench-cards-")
    db_url = f"sqlite:///{tmp}/bench.sqlite"
    ctx = get_context("fork")
    print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores shared with other users)")
    t = time.perf_counter()
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        card_ids = pool.submit(_seed_in_child, db_url, tmp, args.cards).result()
    print(f"seeded {len(card_ids)} residents with cards in {time.perf_counter() - t:.1f} s")

    parts = split_card_job({"card_ids": card_ids})
    workdir = Path(tmp) / "job"
    workdir.mkdir()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with PeakMemory() as memory:
        start = time.perf_counter()
        with ProcessPoolExecutor(args.workers, mp_context=ctx, initializer=_init_worker,
                                 initargs=(db_url, tmp)) as pool:
            done = sum(pool.map(_render_part, [str(workdir)] * len(parts),
                                range(len(parts)), parts))
        rendered = time.perf_counter() - start
        merge_cpu = time.process_time()
        paths = [JobContext(0, workdir, i).part_path for i in range(len(parts))]
        path, _name = merge_card_parts(JobContext(0, workdir), {"card_ids": card_ids}, paths)
        merge_cpu = time.process_time() - merge_cpu
        total = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    render_cpu = (children.ru_utime - children_before.ru_utime
                  + children.ru_stime - children_before.ru_stime)
    size = path.stat().st_size / 1e6
    print(f"parts of {CARDS_PER_PART} cards, {args.workers} processes: {done} cards, "
          f"{len(parts)} parts, {(done + 9) // 10} A4 sheets, {size:.1f} MB")
    print(f"  measured: render {rendered:.1f} s + merge {total - rendered:.1f} s = {total:.1f} s "
          f"wall ({1000 * total / done:.1f} ms per card); peak memory (all processes, PSS) "
          f"{memory.peak:.0f} MB")
    idle = render_cpu / args.workers + merge_cpu
    print(f"  CPU: render {render_cpu:.1f} s ({1000 * render_cpu / done:.1f} ms per card) + "
          f"merge {merge_cpu:.1f} s; on {args.workers} otherwise idle cores: about {idle:.0f} s")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.target != done:
        scale = args.target / done
        print(f"  extrapolated to {args.target} cards (time grows with the count; memory is "
              f"per part, flat): about {total * scale:.0f} s wall as measured, "
              f"{idle * scale:.0f} s on idle cores; peak memory about {memory.peak:.0f} MB plus "
              f"the merge (+{size * (scale - 1):.0f} MB of output)")

    naive = []
    for count in naive_counts:
        with ProcessPoolExecutor(1, mp_context=ctx) as pool:
            wall, cpu, peak = pool.submit(_naive, db_url, tmp, card_ids[:count]).result()
        naive.append((count, cpu, peak))
        print(f"naive, one WeasyPrint document: {count} cards in {wall:.1f} s wall, {cpu:.1f} s "
              f"CPU ({1000 * cpu / count:.1f} ms per card); peak memory {peak:.0f} MB")
    (c1, _cpu1, m1), (c2, cpu2, m2) = naive[0], naive[-1]
    per_card_mb = (m2 - m1) / (c2 - c1) if c2 != c1 else m2 / c2
    naive_seconds = cpu2 / c2 * args.target  # one process: CPU time is its wall time when idle
    print(f"naive extrapolated to {args.target} cards (one process): {naive_seconds:.0f} s, "
          f"{m2 + per_card_mb * (args.target - c2):.0f} MB (+{per_card_mb:.2f} MB per card)")
    print(f"speed-up on idle cores: {naive_seconds / (idle * args.target / done):.1f}x")


if __name__ == "__main__":
    main()
