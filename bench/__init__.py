"""Benchmarks: run one with `python -m bench.bench_<feature>`; never part of the test run."""
