"""Benchmarks, run by hand (never part of the tests): `python -m bench.bench_<feature>`."""
"""Benchmarks: run as modules, never part of the test run."""
"""Benchmarks: run one with `python -m bench.bench_<feature>`; never part of the test run."""
