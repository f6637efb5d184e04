"""Benchmarks: numbers for the closing notes, not pass/fail tests. Run with `make bench`."""
