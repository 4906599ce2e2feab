"""Benchmarks that measure the service on generated and sample data (not shipped as a package)."""
