"""querylang.compile's cache of query texts: what it keeps, and how much memory that can hold."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

import querylang
from querylang.memory import compile as compile_module
from querylang.memory.compile import CACHE_BYTES, CACHED_TEXT_MAX, CLOSURES_ABOVE, Compiled, _Cache, _footprint
from querylang.schema import CONTACT_COMMUNICATIONS
from querylang.validate import validate

MiB = 2**20
RECORDS = [
    {"id": 1, "send_at": "2020-01-01T00:00:00Z", "campaign_name": "ab", "is_active": True, "type": "Text Contact"},
    {"id": 2, "send_at": datetime(2021, 1, 1, tzinfo=UTC), "campaign_name": "b", "is_active": "false"},
]


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    compile_module._CACHE.clear()
    yield
    compile_module._CACHE.clear()


@contextmanager
def _traced() -> Iterator[Callable[[], int]]:
    """The memory allocated since entering and still held (after a collection)."""
    gc.collect()
    tracemalloc.start()
    try:

        def held() -> int:
            gc.collect()
            return tracemalloc.get_traced_memory()[0]

        yield held
    finally:
        tracemalloc.stop()


def _use(compiled: Compiled) -> None:
    """Build everything a cached query can come to hold: both scans, the predicate, the key."""
    querylang.find(RECORDS, compiled)
    querylang.find(iter(RECORDS), compiled)
    compiled.predicate(RECORDS[0])
    if compiled.sort_key is not None:
        compiled.sort_key(RECORDS[0])


def _fill(unit: Callable[[int], str], size: int, start: int = 0) -> str:
    """Parameters ``unit(start)``, ``unit(start + 1)``, ... joined by ``&``, up to ``size`` characters."""
    parts: list[str] = []
    length = -1
    i = start
    while length + 1 + len(unit(i)) <= size and len(parts) < 999:
        parts.append(unit(i))
        length += 1 + len(parts[-1])
        i += 1
    return "&".join(parts)


# Shapes that make the most code or closures per character of text.
SHAPES: dict[str, Callable[[int], str]] = {
    "or-id": lambda i: f"$or[{i % 999}][id]={i}",
    "and-id": lambda i: f"$and[{i % 999}][id][$ne]={i}",
    "or-date": lambda i: f"$or[{i % 999}][send_at][$gte]=2019-01-01T00:00:{i % 60:02d}Z",
    "or-like": lambda i: f"$or[{i % 999}][campaign_name][$ilike]=%25_a{i}",
    "in": lambda i: f"id[$in][]={i}",
}


def test_two_hundred_distinct_16_kib_queries_add_less_than_50_mib() -> None:
    # Issue 11, item 2: each distinct ~250 KB query held ~39 MiB in a cache of 256 entries.
    texts = []
    for n in range(200):
        if n % 50 == 0:
            texts.append(_fill(SHAPES["or-id"], 16 * 1024, start=n * 1000))  # 999 branches
        elif n % 50 == 25:
            texts.append(_fill(SHAPES["or-like"], 16 * 1024, start=n * 1000))
        elif n % 2:
            texts.append("&".join(f"template_name[$in][]={n}-{i}-" + "b" * 1000 for i in range(16)))
        else:
            texts.append(f"campaign_name[$like]=%25{n}" + "a" * (16 * 1024 - 30) + "%25")
    querylang.find(RECORDS, "id=1")
    compile_module._CACHE.clear()
    with _traced() as held:
        for text in texts:
            assert len(text) > CACHED_TEXT_MAX
            _use(querylang.compile(text))
            assert held() < 50 * MiB  # fail fast: before issue 11 the first 999-branch $or alone held more
    assert len(compile_module._CACHE) == 0


def test_a_short_text_is_compiled_once_a_long_one_each_time() -> None:
    short = "id=1&$sort[send_at]=-1"
    long = "campaign_name[$like]=" + "a" * CACHED_TEXT_MAX
    assert querylang.compile(short) is querylang.compile(short)
    assert querylang.compile(long) is not querylang.compile(long)
    assert querylang.compile(short, CONTACT_COMMUNICATIONS) is querylang.compile(short)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPES.keys())
@pytest.mark.parametrize("size", ["threshold", "4 KiB"])
def test_the_footprint_bounds_what_a_cached_query_holds(shape: str, size: str) -> None:
    unit = SHAPES[shape]
    if size == "threshold":  # the largest query that still gets generated code
        text = "&".join(unit(i) for i in range(CLOSURES_ABOVE)) + "&$sort[send_at]=-1&$sort[id]=1"
    else:
        text = _fill(unit, CACHED_TEXT_MAX)
    validate(text, CONTACT_COMMUNICATIONS)  # warm text/params' own key cache, which is not this one
    _use(querylang.compile("id=1"))
    with _traced() as held:
        compiled = querylang.compile(text)
        _use(compiled)
        measured = held()
    assert measured <= _footprint(text, compiled), (compiled.engine, measured)


def test_the_cache_holds_at_most_its_budget() -> None:
    querylang.find(RECORDS, "id=1")
    heavy = [SHAPES["or-id"], SHAPES["and-id"], SHAPES["or-like"]]  # ~1 MiB of footprint each
    with _traced() as held:
        for n in range(60):
            _use(querylang.compile(_fill(heavy[n % len(heavy)], CACHED_TEXT_MAX, start=n * 1000)))
        assert compile_module._CACHE.bytes <= CACHE_BYTES
        assert held() < CACHE_BYTES + 4 * MiB
    assert 0 < len(compile_module._CACHE) < 60


def test_the_cache_drops_the_least_recently_used() -> None:
    cache = _Cache(budget=100, entries=3)
    compiled = {name: querylang.compile(f"id={n}") for n, name in enumerate("abcde")}
    schema = CONTACT_COMMUNICATIONS
    for name in "abc":
        cache.put((name, schema), compiled[name], 10)
    assert cache.get(("a", schema)) is compiled["a"]  # a is now the most recent
    cache.put(("d", schema), compiled["d"], 10)  # four entries: b goes
    assert [cache.get((name, schema)) is not None for name in "abcd"] == [True, False, True, True]
    cache.put(("e", schema), compiled["e"], 85)  # 115 bytes: c, then a go
    assert [cache.get((name, schema)) is not None for name in "acde"] == [False, False, True, True]
    assert cache.bytes == 95
    cache.put(("big", schema), compiled["a"], 101)  # over the whole budget: not kept
    assert cache.get(("big", schema)) is None and cache.bytes == 95
