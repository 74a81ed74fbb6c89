"""Confirmed violators, the cases that confirm them, and their append-only metadata timeline."""
