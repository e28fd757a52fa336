"""What administrators do to an archive: moderation, erasure, thread repair, each with an audit entry.

Functions here take a session and never commit: the web route's `db.write` owns the
transaction, so each admin action is all-or-nothing.
"""
