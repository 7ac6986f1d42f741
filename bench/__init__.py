"""Benchmarks (run as scripts; results go to docs/benchmarks.md)."""
