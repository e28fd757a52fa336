"""web.fragments.FragmentCache: least recently used first out, bounded by the characters it holds."""

from __future__ import annotations

from markupsafe import Markup

from replyall.web.fragments import FragmentCache


def test_evicts_least_recently_used_until_under_the_bound():
    cache = FragmentCache(max_chars=30)
    for name in "abc":
        cache.put((name,), Markup(name * 10), 10)
    assert cache.get(("a",)) == "a" * 10  # now most recently used
    cache.put(("d",), Markup("d" * 10), 10)
    assert cache.get(("b",)) is None and cache.get(("a",)) is not None
    assert len(cache) == 3 and cache.chars == 30


def test_replacing_a_key_counts_it_once_and_oversized_fragments_are_not_kept():
    cache = FragmentCache(max_chars=30)
    cache.put(("a",), Markup("x"), 10)
    cache.put(("a",), Markup("y"), 12)
    assert cache.chars == 12 and cache.get(("a",)) == "y"
    cache.put(("huge",), Markup("z" * 31), 31)
    assert cache.get(("huge",)) is None and cache.get(("a",)) == "y"
