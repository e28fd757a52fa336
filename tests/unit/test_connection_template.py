"""A connection copied from the template is the connection aiosmtpd's own __init__ would build.

If an aiosmtpd upgrade adds or changes what SMTP.__init__ sets in a way the copy
cannot follow, these tests fail; deliveries never see a half-built connection.
"""

from __future__ import annotations

import asyncio
import types
from typing import Any

import pytest

from replyall.clock import SystemClock
from replyall.config import Settings
from replyall.intake.smtp import Gate, IntakeHandler, IntakeSMTP

KWARGS = dict(data_size_limit=1000, enable_SMTPUTF8=True, decode_data=False, hostname="mx.test", ident="x", timeout=9)


@pytest.fixture
def built():
    """(template, copy A, copy B, a connection built by IntakeSMTP.__init__), same arguments."""
    loop = asyncio.new_event_loop()
    settings = Settings.model_validate({
        "web": {"secret_key": "k" * 32},
        "archives": [{"slug": "net", "name": "Net", "address": ["net@archive.test"]}],
    })
    handler = IntakeHandler(settings, {"net": 1}, committer=None, clock=SystemClock())  # type: ignore[arg-type]
    gate, sessions = Gate(10, 10, lambda: 0.0), set()
    template = IntakeSMTP.factory(handler, gate=gate, sessions=sessions, loop=loop, **KWARGS)
    direct = IntakeSMTP(handler, gate=gate, sessions=sessions, loop=loop, **KWARGS)
    yield template, template(), template(), direct
    loop.close()


def _same(copied: Any, direct: Any, conn: object, reference: object) -> bool:
    """Equal, where a method bound to one connection matches the same method bound to the other."""
    if isinstance(copied, types.MethodType):
        owner_ok = copied.__self__ is conn if direct.__self__ is reference else copied.__self__ is direct.__self__
        return copied.__func__ is direct.__func__ and owner_ok
    if isinstance(copied, dict):
        return (
            type(copied) is type(direct) and copied.keys() == direct.keys()
            and all(_same(copied[k], direct[k], conn, reference) for k in copied)
        )
    if isinstance(copied, (list, tuple, set)):
        return type(copied) is type(direct) and len(copied) == len(direct) and all(
            _same(a, b, conn, reference) for a, b in zip(copied, direct)
        )
    if callable(copied) and getattr(copied, "__name__", "") == "<lambda>":  # the defaultdict factory
        return copied() == direct()
    return copied == direct


def _refers_to(value: Any, target: object) -> bool:
    if value is target:
        return True
    if isinstance(value, types.MethodType):
        return value.__self__ is target
    if isinstance(value, dict):
        return any(_refers_to(v, target) for v in value.values())
    if isinstance(value, (list, tuple, set)):
        return any(_refers_to(v, target) for v in value)
    return False


def test_a_copy_has_every_attribute_of_a_built_connection(built):
    template, copy, _, direct = built
    assert vars(copy).keys() == vars(direct).keys()
    for name, value in vars(copy).items():
        if name in template.stream_fields:  # asyncio's own per-connection state, made new
            assert type(value) is type(vars(direct)[name]), name
        else:
            assert _same(value, vars(direct)[name], copy, direct), name


def test_methods_are_bound_to_the_new_connection_not_the_prototype(built):
    template, copy, _, _ = built
    for name, value in vars(copy).items():
        assert not _refers_to(value, template.prototype), name
    assert copy._smtp_methods["DATA"].__self__ is copy
    assert all(m.method.__self__ is copy for m in copy._auth_methods.values() if m.is_builtin)


def test_copies_share_only_what_every_connection_must_share(built):
    _, a, b, direct = built
    assert a._sessions is b._sessions is direct._sessions and a._gate is b._gate
    assert a.event_handler is b.event_handler
    for name, value in vars(a).items():
        if isinstance(value, (dict, list, set)) and name != "_sessions":
            assert value is not vars(b)[name], f"{name} shared between connections"
    assert a._strong_reader is not b._strong_reader and a._closed is not b._closed


def test_per_connection_limits_stay_per_connection(built):
    _, a, b, _ = built
    a.command_size_limits["MAIL"] = 99
    assert b.command_size_limits["MAIL"] == IntakeSMTP.command_size_limit
