"""Benchmarks (`make bench`): not part of `make test`. Results go to BENCHMARKS.md."""
