"""Confirmed violators and their append-only metadata timeline."""
