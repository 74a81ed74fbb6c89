"""The moderators' console: its init data check, sessions, replay records and viewers."""
