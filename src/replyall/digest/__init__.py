"""Daily summary email per archive: subscribing, building, rendering and sending exactly once."""

#: Header every summary we send carries (value: the archive slug). A summary that comes
#: back to an archive address (a subscriber's "reply all", a forward rule) is recognised
#: by it and never archived: see pipeline/classify.py.
DIGEST_HEADER = "X-Replyall-Digest"
