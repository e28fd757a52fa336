"""The thread page's messages as HTML, each message's fragment remembered by everything it is made from.

HyperKitty caches thread fragments and invalidates them when mail arrives or a
moderator acts; a missed invalidation there shows stale or withdrawn text. Here
nothing is invalidated because nothing can go stale: a fragment's key is the
message row exactly as this request read it from the database (every column the
page shows: text, flags, hash, reason), its attachment rows, and every per-page
input of the rendering (indent, first in the list, subject line shown, heading
level, addresses hidden, admin links). Hiding, redacting, erasing, re-threading or
re-importing a message changes its row, so the next page misses and renders afresh;
the old fragment is never looked up again and ages out of the LRU.

Permissions are not the cache's business and cannot leak through it: the route has
already decided this reader may see the thread, and a hit only ever returns the
rendering of a row that this very request loaded. What differs between readers of
the same row (obfuscated addresses for anonymous readers of a public archive, admin
links) is part of the key. The app-wide inputs (date format and zone, URL layout,
templates) are fixed for an app, and the cache lives on the app.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from markupsafe import Markup

from replyall.web.present import MAX_DEPTH
from replyall.web.shown import Presenter

#: Upper bound on the characters held (fragments plus the row text in their keys). A
#: typical message costs about 4,000 (2,200 of HTML, the rest its row), so this keeps
#: about 5,000 messages: the busiest threads, in 20 to 80 MB depending on the script.
MAX_CHARS = 20_000_000


class FragmentCache:
    """A thread-safe LRU of rendered fragments, bounded by the characters it holds."""

    def __init__(self, max_chars: int = MAX_CHARS) -> None:
        self.max_chars = max_chars
        self.chars = 0
        self._items: OrderedDict[tuple, tuple[Markup, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: tuple) -> Markup | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: tuple, html: Markup, cost: int) -> None:
        if cost > self.max_chars:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.chars -= old[1]
            self._items[key] = (html, cost)
            self.chars += cost
            while self.chars > self.max_chars:
                _, (_, dropped) = self._items.popitem(last=False)
                self.chars -= dropped


def cache_of(app) -> FragmentCache:
    cache = getattr(app.state, "fragment_cache", None)
    if cache is None:
        cache = app.state.fragment_cache = FragmentCache()
    return cache


def _cost(row: tuple, html: str) -> int:
    return len(html) + sum(len(v) for v in row if isinstance(v, str))


def messages_html(request, presenter: Presenter, placed: list[tuple], attachments: dict[int, list],
                  level: int = 3) -> Markup:
    """The HTML of (row, depth) pairs in page order: cached fragments, rendering only the misses.

    Rows must be plain rows (tuples of column values, as queries.thread_rows returns), so
    that the row itself can be the key.
    """
    cache = cache_of(request.app)
    macro = request.app.state.templates.env.get_template("_partials/message.html").module.messages
    page = (level, presenter.view.hide, presenter.admin, presenter.always_original)
    out = []
    for position, (row, depth) in enumerate(placed):
        values = tuple(row)
        atts = attachments.get(row.id, ())
        first = position == 0
        key = (values, tuple(tuple(a) for a in atts), min(depth, MAX_DEPTH), first,
               presenter.renamed(row.subject), page)
        html = cache.get(key)
        if html is None:
            html = macro([presenter.one(row, depth, atts, first=first)], level)
            cache.put(key, html, _cost(values, html))
        out.append(html)
    return Markup("").join(out)
