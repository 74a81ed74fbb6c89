"""Figures: /stats over a window, and the queue and outbox at a glance for operating the bot."""
