"""Helpers shared by several test packages (import as `support.<module>`)."""
