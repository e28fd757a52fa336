"""replyall: a clean, threaded, searchable archive for reply-all email storms."""

__version__ = "0.1.0"
