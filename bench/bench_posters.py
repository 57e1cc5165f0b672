"""Benchmark: one QR poster PDF (median of 20) and a batch of 200 posters (time, peak memory).

Run: PYTHONPATH=. $VENV/bin/python -m bench.bench_posters [--batch 200] [--repeat 20]
The baseline, measured in the same run, is WeasyPrint rendering a one-line page with the same
fonts and stylesheets: what any PDF costs here, before our template and QR code.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


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


def main() -> None:
    """Set up a commune with venues on a temporary SQLite file and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=200, help="posters in the batch")
    parser.add_argument("--repeat", type=int, default=20, help="single renders to time")
    args = parser.parse_args()

    from registry import create_app
    from registry.extensions import db
    from registry.pdf import html_to_pdf
    from registry.pdf.posters import render_posters
    from registry.services.communes import categories_for_code, create_commune
    from registry.services.venues import register_venue

    tmp = tempfile.mkdtemp(prefix="bench-posters-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
                      "SECRET_KEY": "bench", "PUBLIC_BASE_URL": "https://dangky.trieuson.vn"})
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

        # Warm-up: fonts, stylesheets and templates are loaded once per process.
        html_to_pdf("<p>Xin chào</p>", ("base.css", "posters.css"))
        render_posters(points[:1])

        baseline = _median_ms(lambda: html_to_pdf("<p>Ủy ban nhân dân xã Triệu Sơn</p>",
                                                  ("base.css", "posters.css")), args.repeat)
        single = _median_ms(lambda: render_posters(points[:1], "A4"), args.repeat)
        print(f"baseline: one-line PDF, same fonts/CSS   median {baseline:7.1f} ms "
              f"({args.repeat} renders)")
        print(f"one A4 poster (QR + text)                median {single:7.1f} ms "
              f"({args.repeat} renders; aim <= 300 ms)")

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
