"""Benchmarks that print figures (see the README)."""
