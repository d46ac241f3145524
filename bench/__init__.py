"""`make bench`: benchmarks and the data generators they share with the tests. Not installed with the package; run from
the repository root (`python -m bench`, or one part alone: `python -m bench.timeline`, `python -m bench.checks`)."""
