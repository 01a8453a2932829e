"""Benchmarks of convsvc, each figure a ratio to a baseline measured in the same run (bench/README.md)."""
