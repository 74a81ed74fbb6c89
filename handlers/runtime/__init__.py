"""The handlers' runtime: the typed context and services, the access gate and its table, the review
chat's budget and per-message locks, menus, metrics, Telegram health, log pseudonyms.
"""
