"""Operational endpoints: health, Prometheus metrics and the system metrics summary."""
