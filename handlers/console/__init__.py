"""The moderators' console: its HTTP endpoints and the page it serves (docs/console.md)."""
