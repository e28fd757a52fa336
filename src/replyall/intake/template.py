"""Open an aiosmtpd connection without redoing, per connection, what is the same for all of them.

aiosmtpd's `SMTP.__init__` rebuilds its command, hook and AUTH tables with
`inspect.getmembers`, `dir()` and `inspect.signature` for every connection, and
formats a log line of its AUTH mechanisms whether or not anyone logs it. With one
connection per message, as MTAs deliver, that was about a fifth of the event loop's
CPU under load (py-spy, docs/benchmarks.md, Intake). Here `SMTP.__init__` runs once,
on a prototype; each connection then starts as a copy of the prototype's attributes,
with every method bound to the prototype re-bound to the new connection, fresh
copies of every container, and the stream state (reader, futures) made new by
asyncio's own `StreamReaderProtocol.__init__`.

The copy takes whatever attributes aiosmtpd sets, so a new aiosmtpd attribute is
carried along without code here; tests/unit/test_connection_template.py compares a
copied connection with one built by `SMTP.__init__` attribute by attribute, so a
change in aiosmtpd that the copy cannot follow fails the tests, not a delivery.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Callable
from typing import Any, TypeVar

from aiosmtpd.smtp import SMTP

P = TypeVar("P", bound=SMTP)


def _rebind(value: Any, old: object, new: object) -> Any:
    """value with every method bound to `old` bound to `new` instead, containers copied."""
    if isinstance(value, types.MethodType):
        return types.MethodType(value.__func__, new) if value.__self__ is old else value
    if isinstance(value, dict):
        copied = type(value).__new__(type(value))  # keeps a defaultdict's class; factory below
        if hasattr(value, "default_factory"):
            copied.default_factory = _rebind(value.default_factory, old, new)
        copied.update((k, _rebind(v, old, new)) for k, v in value.items())
        return copied
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a namedtuple such as _AuthMechAttr
        return type(value)(*(_rebind(v, old, new) for v in value))
    if isinstance(value, (list, tuple, set)):
        return type(value)(_rebind(v, old, new) for v in value)
    return value


class ConnectionTemplate:
    """Builds `cls(*args, **kwargs)` connections: `SMTP.__init__` once, then copies.

    `setup(conn)` runs on every copy, after the copy: it sets the subclass's own
    attributes again, so objects every connection must share (a registry of open
    sessions, say) are the shared ones and not copies of the prototype's.
    """

    def __init__(
        self, cls: type[P], loop: asyncio.AbstractEventLoop, setup: Callable[[P], None], *args: Any, **kwargs: Any
    ) -> None:
        self.cls, self.loop, self.setup = cls, loop, setup
        self.prototype = cls(*args, loop=loop, **kwargs)
        # asyncio's stream state is per connection; StreamReaderProtocol.__init__ makes it new.
        probe = asyncio.StreamReaderProtocol(asyncio.StreamReader(loop=loop), lambda r, w: None, loop=loop)
        self.stream_fields = frozenset(vars(probe))
        # What setup() sets is not copied: it would be overwritten anyway, and a
        # shared registry (the set of open sessions) can be large.
        bare = cls.__new__(cls)
        setup(bare)
        own = vars(bare).keys()
        self.shared = {
            k: v for k, v in vars(self.prototype).items() if k not in self.stream_fields and k not in own
        }

    def __call__(self) -> P:
        conn = self.cls.__new__(self.cls)
        conn.__dict__.update({k: _rebind(v, self.prototype, conn) for k, v in self.shared.items()})
        asyncio.StreamReaderProtocol.__init__(
            conn,
            asyncio.StreamReader(loop=self.loop, limit=self.cls.line_length_limit),
            client_connected_cb=conn._cb_client_connected,
            loop=self.loop,
        )
        self.setup(conn)
        return conn
