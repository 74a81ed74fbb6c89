"""Aggregates for /stats and for operating the bot."""
