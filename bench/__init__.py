"""Benchmarks: `make bench` runs them all against one embedded broker."""
