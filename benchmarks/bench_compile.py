"""What the largest queries cost to compile: CPU time and peak memory, against ordinary ones.

Run: ``python benchmarks/bench_compile.py [--rounds 5] [--records 20000] [--no-engines]``.

Part 1 times the worst cases within the reference server's limits (1000 parameters, 16 KiB
of query string) through the whole of ``querylang.compile(text)`` (read, validate, compile)
and the first ``find`` over a few records (whose scan is compiled when first used): a
999-branch ``$or``, 1000 ``$in`` values, ``$and`` of as many conditions as fit, 16 KiB
``$like``/``$ilike`` patterns full of ``%`` and ``_``, every sort key. Each is the best CPU time
of ``--rounds`` rounds (the cache emptied before each), with the peak memory of one more run
under tracemalloc, and the ratio to the same work on an ordinary 5-condition query, measured
in the same run. The targets: under ~50 ms and ~10 MiB each. Then a ``$like`` value through the
library (above the HTTP limit) at 64 KiB and 1 MiB: the cost grows linearly (16 times the
text, about 16 times the time and memory).

Part 2 measures where generated code stops paying (``compile.CLOSURES_ABOVE``): for queries
of n tests, the compile time of each engine, their time per record over ``--records``
generated records, and after how many records the generated code has paid its compile time
back.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import querylang
from querylang.memory import compile as compile_module
from querylang.memory.compile import CLOSURES_ABOVE, Compiled, _compile
from querylang.schema import CONTACT_COMMUNICATIONS

HERE = Path(__file__).resolve().parent
HTTP_QUERY_MAX = 16 * 1024
TARGET_MS = 50.0
TARGET_MIB = 10.0
FIELDS = CONTACT_COMMUNICATIONS.field_names
FEW_RECORDS = [
    {"id": 1, "send_at": "2020-01-01T00:00:00Z", "campaign_name": "New Buyer Campaign", "is_active": True},
    {"id": 2, "send_at": "2021-06-01T00:00:00+02:00", "campaign_name": "a_" * 200, "is_active": "false"},
    {"id": 3, "campaign_name": "Zeta", "type": "Text Contact", "template_name": "Welcome"},
]
ORDINARY = (
    "is_active=false&type[$in][]=Text%20Contact&type[$in][]=Email%20Contact"
    "&send_at[$gte]=2019-01-01T00:00:00-07:00&send_at[$lt]=2024-01-01T00:00:00Z"
    "&campaign_name[$like]=%25Buyer%25&$sort[send_at]=-1&$limit=10"
)


def fill(unit: Callable[[int], str], size: int = HTTP_QUERY_MAX) -> str:
    """``unit(0)&unit(1)&...``: as many parameters as fit in ``size`` characters, at most 999."""
    parts: list[str] = []
    length = -1
    while len(parts) < 999 and length + 1 + len(unit(len(parts))) <= size:
        parts.append(unit(len(parts)))
        length += 1 + len(parts[-1])
    return "&".join(parts)


def like(op: str, size: int, chunk: str = "%25_a") -> str:
    """A pattern condition of ``size`` characters of text, full of ``%`` and ``_``."""
    head = f"campaign_name[{op}]="
    return head + (chunk * (size // len(chunk) + 1))[: size - len(head)]


WORST = {
    "$or of 999 branches": fill(lambda i: f"$or[{i}][id]={i}"),
    "$or of date ranges": fill(lambda i: f"$or[{i}][send_at][$gte]=2019-01-01T00:00:{i % 60:02d}Z"),
    "$or of $ilike patterns": fill(lambda i: f"$or[{i}][campaign_name][$ilike]=%25_a{i}"),
    "$and of conditions": fill(lambda i: f"$and[{i}][id][$ne]={i}"),
    "$in of 1000 values": fill(lambda i: f"id[$in][]={i}"),
    "$like, 16 KiB of % and _": like("$like", HTTP_QUERY_MAX),
    "$ilike, 16 KiB of % and _": like("$ilike", HTTP_QUERY_MAX, "_%25a"),
    "$like ending in a lone \\": like("$like", HTTP_QUERY_MAX - 3, "%25a") + "%5C",
    "every sort key, 32 tests": fill(lambda i: f"$or[{i}][send_at][$lt]=2030-01-01", 1200)
    + "&"
    + "&".join(f"$sort[{name}]={(-1) ** i}" for i, name in enumerate(FIELDS)),
}


def compile_and_find(text: str) -> Compiled:
    """The whole cost of a new query: compile(text) and the first find (list and generator)."""
    compile_module._CACHE.clear()
    compiled = querylang.compile(text)
    try:
        querylang.find(FEW_RECORDS, compiled)
        querylang.find(iter(FEW_RECORDS), compiled)
    except querylang.QueryError:  # the lone backslash stops on a record, as PostgreSQL does
        pass
    return compiled


def best_cpu(fn: Callable[[], object], rounds: int) -> float:
    """The least CPU seconds of ``rounds`` calls (CPU time, so that a busy machine blurs less)."""
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def peak_mib(fn: Callable[[], object]) -> float:
    """The peak memory allocated by one call, in MiB (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def worst_cases(rounds: int) -> None:
    querylang.find(FEW_RECORDS, "id=1")  # the parser itself is built once per process
    base_s = best_cpu(lambda: compile_and_find(ORDINARY), rounds)
    base_mib = peak_mib(lambda: compile_and_find(ORDINARY))
    print(f"baseline: an ordinary 5-condition query ({len(ORDINARY)} characters)")
    print(f"  compile + first find: {base_s * 1000:.2f} ms, peak {base_mib:.2f} MiB")
    print(f"worst cases within the HTTP limits (targets: {TARGET_MS:.0f} ms, {TARGET_MIB:.0f} MiB)")
    header = f"  {'query':<28} {'chars':>6} {'engine':>9} {'ms':>7} {'x base':>7} {'MiB':>6} {'x qsl':>7}  ok"
    print(header)
    for name, text in WORST.items():
        assert len(text) <= HTTP_QUERY_MAX, name
        seconds = best_cpu(lambda text=text: compile_and_find(text), rounds)  # type: ignore[misc]
        mib = peak_mib(lambda text=text: compile_and_find(text))  # type: ignore[misc]
        qsl = best_cpu(lambda text=text: parse_qsl(text), rounds)  # type: ignore[misc]
        engine = compile_and_find(text).engine
        ok = "yes" if seconds * 1000 <= TARGET_MS and mib <= TARGET_MIB else "NO"
        print(
            f"  {name:<28} {len(text):>6} {engine:>9} {seconds * 1000:>7.1f} {seconds / base_s:>6.1f}x"
            f" {mib:>6.2f} {seconds / qsl:>6.0f}x  {ok}"
        )
    print("a $like value through the library, above the HTTP limit: linear growth")
    sizes = {"64 KiB": 64 * 1024, "1 MiB": 2**20}
    measured = {}
    for label, size in sizes.items():
        text = like("$like", size)
        seconds = best_cpu(lambda text=text: compile_and_find(text), max(1, rounds // 2))  # type: ignore[misc]
        mib = peak_mib(lambda text=text: compile_and_find(text))  # type: ignore[misc]
        measured[label] = (seconds, mib)
        print(f"  {label:<8} {seconds * 1000:>8.0f} ms  peak {mib:>6.1f} MiB")
    (small_s, small_mib), (large_s, large_mib) = measured["64 KiB"], measured["1 MiB"]
    print(f"  1 MiB / 64 KiB: {large_s / small_s:.1f}x the time, {large_mib / small_mib:.1f}x the memory (linear: 16x)")


# ---------------------------------------------------------------- part 2: the two engines

SHAPES: dict[str, Callable[[int], str]] = {
    "$or[i][id]=i": lambda n: "&".join(f"$or[{i}][id]={i}" for i in range(n)),
    "$or[i][send_at][$gte]": lambda n: "&".join(f"$or[{i}][send_at][$gte]=2019-01-{1 + i % 28:02d}" for i in range(n)),
    "$and[i][id][$ne]=i": lambda n: "&".join(f"$and[{i}][id][$ne]={i}" for i in range(n)),
}


def _records(n: int) -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("make_examples", HERE.parent / "examples" / "make_examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generate: Callable[..., Iterator[dict[str, Any]]] = module.generate_records
    return list(generate(n))


def engines(rounds: int, n_records: int) -> None:
    records = _records(n_records)
    schema = CONTACT_COMMUNICATIONS
    print(f"generated code against closures (CLOSURES_ABOVE = {CLOSURES_ABOVE}); per record over {n_records:,} records")
    columns = f"{'compile ms: gen':>15} {'clo':>6} {'us/record: gen':>15} {'clo':>6} {'pays after':>11}"
    print(f"  {'shape':<22} {'tests':>5} {columns}")
    for name, make in SHAPES.items():
        for n in (8, 16, 32, 64, 128, 256):
            text = make(n)
            row: dict[str, tuple[float, float]] = {}
            for engine in ("generated", "closures"):

                def build(text: str = text, engine: Any = engine) -> Compiled:
                    compiled = _compile(text, schema, engine=engine)
                    querylang.find(FEW_RECORDS, compiled)
                    return compiled

                compile_s = best_cpu(build, rounds)
                compiled = build()
                scan_s = best_cpu(lambda c=compiled: c.window(records, 0, 10), max(1, rounds // 2))  # type: ignore[misc]
                row[engine] = compile_s, scan_s / len(records)
            (gen_c, gen_r), (clo_c, clo_r) = row["generated"], row["closures"]
            pays = f"{(gen_c - clo_c) / (clo_r - gen_r):>11,.0f}" if clo_r > gen_r else f"{'always':>11}"
            print(
                f"  {name:<22} {n:>5} {gen_c * 1000:>15.2f} {clo_c * 1000:>6.2f}"
                f" {gen_r * 1e6:>15.2f} {clo_r * 1e6:>6.2f} {pays} records"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each measurement; the best counts")
    parser.add_argument("--records", type=int, default=20_000, help="records for the time per record (part 2)")
    parser.add_argument("--no-engines", action="store_true", help="skip part 2")
    args = parser.parse_args()
    print(f"querylang {querylang.__version__}, Python {sys.version.split()[0]}")
    worst_cases(args.rounds)
    if not args.no_engines:
        engines(args.rounds, args.records)


if __name__ == "__main__":
    main()
