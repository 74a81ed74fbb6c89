"""Report bot: wiring, settings, CLI and entry point."""
