"""Intake: the SMTP listener and the importer, both ending in store_raw()."""
