"""Benchmarks, run by hand (never part of the tests): `python -m bench.bench_<feature>`."""
