"""Reporting: what reporters file (a guided report or one message), its target and category, and
filing it.
"""
