"""Benchmarks: speed goals measured side by side, results in reports/benchmarks/."""
