"""Benchmarks; run them from the project root (see bench/README.md)."""
