"""Roles admins granted, and reporters they blocked."""
