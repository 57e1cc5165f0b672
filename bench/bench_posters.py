"""Benchmark: one QR poster PDF per paper size (median of 20), the first poster of a fresh
process (as a web worker starts: wsgi.py warms the printing up; and without that warm-up), and a
batch of 200 posters (time, peak memory).

Run: PYTHONPATH=. $VENV/bin/python -m bench.bench_posters [--batch 200] [--repeat 20]
The baseline, measured in the same run, is WeasyPrint rendering a one-line page with the same
fonts and stylesheets: what any PDF costs here, before our template and QR code.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _peak_rss_kib() -> int:
    """The process's peak resident memory so far (VmHWM), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _reset_peak_rss() -> None:
    """Start a new peak-memory measurement (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError as exc:  # not permitted in some containers: the peak then covers the run
        print(f"(peak memory not reset: {exc})")


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _app(url: str):
    from registry import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                       "PUBLIC_BASE_URL": "https://dangky.trieuson.vn"})


def first_in_fresh_process(url: str, warm: bool) -> None:
    """(Child process) Build the app as a web worker does (wsgi.py: create_app, then the
    printing's warm-up, unless `warm` is off), then time the first real poster; prints JSON."""
    from registry.extensions import db
    from registry.models import CheckinPoint
    from registry.pdf.posters import render_posters, warm_up_posters

    started = time.perf_counter()
    app = _app(url)
    with app.app_context():
        if warm:
            warm_up_posters()
    ready = time.perf_counter()
    with app.app_context(), app.test_request_context():
        point = db.session.get(CheckinPoint, 1)
        start = time.perf_counter()
        render_posters([point], "A4")
        first = time.perf_counter() - start
        start = time.perf_counter()
        render_posters([point], "A4")
        second = time.perf_counter() - start
    print(json.dumps({"start_s": ready - started, "first_ms": first * 1000,
                      "second_ms": second * 1000}))


def _fresh(url: str, warm: bool) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.bench_posters", "--child", url,
                          *(["--warm"] if warm else [])], capture_output=True, text=True,
                         check=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Set up a commune with venues on a temporary SQLite file and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=200, help="posters in the batch")
    parser.add_argument("--repeat", type=int, default=20, help="single renders to time")
    parser.add_argument("--fresh", type=int, default=3,
                        help="fresh processes timed for the first poster, each way")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        first_in_fresh_process(args.child, args.warm)
        return

    from registry.extensions import db
    from registry.pdf import html_to_pdf
    from registry.pdf.posters import render_posters
    from registry.services.communes import categories_for_code, create_commune
    from registry.services.venues import register_venue

    tmp = tempfile.mkdtemp(prefix="bench-posters-")
    url = f"sqlite:///{tmp}/bench.sqlite"
    app = _app(url)
    with app.app_context(), app.test_request_context():
        db.create_all()
        commune = create_commune(15664, hotline="+842373868123")
        category = categories_for_code(commune.id)["market"].id

        class _System:
            id = None

        venues = []
        for i in range(args.batch // 2 + 1):
            venues.append(register_venue(
                commune.id, _System(), point_names=["Cổng chính", "Cổng phụ"],
                name=f"Hộ kinh doanh Nguyễn Văn Bình số {i + 1}", category_id=category,
                address=f"Số {i + 1} đường Lê Lợi, Thôn Đông"))
        db.session.commit()
        points = [p for v in venues for p in v.points][:args.batch]
        # The first poster of fresh processes, warmed up as wsgi.py does and not, alternated.
        fresh = {True: [], False: []}
        for _ in range(args.fresh):
            for warm in (True, False):
                fresh[warm].append(_fresh(url, warm))

        # Warm-up: fonts, stylesheets and templates are loaded once per process.
        html_to_pdf("<p>Xin chào</p>", ("base.css", "posters.css"))
        render_posters(points[:1])

        baseline = _median_ms(lambda: html_to_pdf("<p>Ủy ban nhân dân xã Triệu Sơn</p>",
                                                  ("base.css", "posters.css")), args.repeat)
        print(f"baseline: one-line PDF, same fonts/CSS   median {baseline:7.1f} ms "
              f"({args.repeat} renders)")
        for size in ("A4", "A3", "A5"):
            single = _median_ms(lambda: render_posters(points[:1], size), args.repeat)
            print(f"one {size} poster (QR + text)                median {single:7.1f} ms "
                  f"({args.repeat} renders; aim <= 150 ms; {single / baseline:.1f} x baseline)")
        for warm, label in ((True, "warmed up at start (wsgi.py)"), (False, "no warm-up")):
            firsts = [r["first_ms"] for r in fresh[warm]]
            seconds = [r["second_ms"] for r in fresh[warm]]
            starts = [r["start_s"] for r in fresh[warm]]
            print(f"first A4 poster of a fresh process, {label:<29} median "
                  f"{statistics.median(firsts):7.1f} ms (each: "
                  f"{', '.join(f'{f:.0f}' for f in firsts)} ms); its second "
                  f"{statistics.median(seconds):.1f} ms; process ready in "
                  f"{statistics.median(starts):.2f} s")

        rss_before = _peak_rss_kib()
        _reset_peak_rss()
        start = time.perf_counter()
        data = render_posters(points, "A4")
        elapsed = time.perf_counter() - start
        peak = _peak_rss_kib()
        print(f"batch of {len(points)} A4 posters in one PDF     {elapsed:7.2f} s total, "
              f"{elapsed / len(points) * 1000:.1f} ms/poster, {len(data) / 1e6:.1f} MB PDF")
        print(f"peak resident memory during the batch    {peak / 1024:7.1f} MiB "
              f"(process before the batch: {rss_before / 1024:.1f} MiB)")


if __name__ == "__main__":
    main()
