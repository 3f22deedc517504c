"""What compiling a query costs in memory, for the largest queries the reference server answers.

Issue 11, item 3: within the existing limits (1000 parameters, 16 KiB over HTTP) no query may
cost more than ~10 MiB to compile: parse, validate, compile and the first find over a few
records. Time is measured by ``benchmarks/bench_compile.py``, not here (shared machines).
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

import pytest

import querylang
from querylang.memory import compile as compile_module

MiB = 2**20
HTTP_QUERY_MAX = 16 * 1024
RECORDS = [
    {"id": 1, "send_at": "2020-01-01T00:00:00Z", "campaign_name": "a" * 300, "template_name": "b"},
    {"id": 2, "send_at": "2021-01-01T00:00:00Z", "campaign_name": "ab_" * 100, "is_active": "false"},
]


def _fill(unit: Callable[[int], str], size: int = HTTP_QUERY_MAX) -> str:
    """``unit(0)&unit(1)&...``, as many as fit in ``size`` characters and 999 parameters."""
    parts: list[str] = []
    length = -1
    while len(parts) < 999 and length + 1 + len(unit(len(parts))) <= size:
        parts.append(unit(len(parts)))
        length += 1 + len(parts[-1])
    return "&".join(parts)


FIELDS = querylang.CONTACT_COMMUNICATIONS.field_names
WORST = {
    "or-999-branches": _fill(lambda i: f"$or[{i}][id]={i}"),
    "or-of-dates": _fill(lambda i: f"$or[{i}][send_at][$gte]=2019-01-01T00:00:{i % 60:02d}Z"),
    "or-of-ilikes": _fill(lambda i: f"$or[{i}][campaign_name][$ilike]=%25_a{i}"),
    "and-of-conditions": _fill(lambda i: f"$and[{i}][id][$ne]={i}"),
    "in-1000-values": _fill(lambda i: f"id[$in][]={i}"),
    "like-of-percents-and-underscores": "campaign_name[$like]=" + ("%25_a" * 4000)[: HTTP_QUERY_MAX - 21],
    "ilike-of-percents-and-underscores": "campaign_name[$ilike]=" + ("_%25a" * 4000)[: HTTP_QUERY_MAX - 22],
    "like-of-escapes": "template_name[$like]=" + ("%5C%25%5C_" * 2000)[: HTTP_QUERY_MAX - 21],
    "every-sort-key": "&".join(f"$sort[{name}]={(-1) ** i}" for i, name in enumerate(FIELDS)),
    "sort-keys-and-32-conditions": _fill(lambda i: f"$or[{i}][send_at][$lt]=2030-01-01", 1200)
    + "&"
    + "&".join(f"$sort[{name}]=1" for name in FIELDS),
}


@pytest.mark.parametrize("text", WORST.values(), ids=WORST.keys())
def test_compiling_the_largest_queries_takes_less_than_10_mib(text: str) -> None:
    assert len(text) <= HTTP_QUERY_MAX
    querylang.find(RECORDS, "id=1")  # the parser itself, once per process
    compile_module._CACHE.clear()
    gc.collect()
    tracemalloc.start()
    try:
        compiled = querylang.compile(text)
        querylang.find(RECORDS, compiled)
        querylang.find(iter(RECORDS), compiled)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        compile_module._CACHE.clear()
    assert peak < 10 * MiB
