"""Tableside: an open-source operating system for restaurants."""

__version__ = "0.1.0"
