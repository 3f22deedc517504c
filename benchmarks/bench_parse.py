"""Parse, decode and serialize speed against ``urllib.parse.parse_qsl`` on the same strings.

Run: ``python benchmarks/bench_parse.py [--seconds 0.2] [--rounds 7]``. It prints operations per second for
each function over a set of realistic queries, and the ratio of each to ``parse_qsl`` measured in
the same run (lower is better; the targets are parse <= 6x, decode <= 4x). It also prints the
time to import querylang in a fresh interpreter (target < 150 ms). ``read_params`` keeps what
each key it has read says (keys repeat across queries); a fourth line measures parse with that
emptied before every call.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

import querylang
from querylang.text import keys as text_keys

QUERIES = [
    "is_active=true",
    "$limit=2",
    "type[$in]=Text%20Contact",
    "is_active=undefined&$limit=2&$skip=2",
    "send_at[$gte]=2019-01-01T11:00:00Z&send_at[$lte]=2019-01-31T00:00:00Z",
    "campaign_name[$like]=%25New%25&$sort[send_at]=-1&$limit=10",
    "type[$in][]=Text%20Contact&type[$in][]=Email%20Contact&is_active=true&$select[]=id&$select[]=send_at",
    "$or[0][campaign_name][$like]=%25New%25&$or[1][template_name][$ilike]=welcome%25&is_active=false",
    (
        "type[$in][]=Text%20Contact&send_at[$gte]=2019-01-01T11:00:00%2B02:00&send_at[$lt]=2020-01-01"
        "&campaign_name[$like]=%25New%25&is_stopped_on_text_reply=true&completed_at[$ne]="
        "&$sort[send_at]=-1&$sort[id]=1&$limit=25&$skip=50&$load=send_from_user,completing_user"
    ),
    "type%5B%24in%5D%5B0%5D=Text%20Contact&send_at%5B%24gte%5D=2019-01-01T11%3A00%3A00Z&%24limit=10",
]


def once(fn: Callable[[str], object], seconds: float) -> float:
    """Calls of ``fn`` per second over the whole set, repeated for about ``seconds``."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for q in QUERIES:
            fn(q)
        count += len(QUERIES)
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def rates(fns: list[Callable[[str], object]], seconds: float, rounds: int) -> list[float]:
    """The best rate of each function over ``rounds`` rounds that take turns between them.

    Taking turns, every function meets the same spells of load from other work on the machine,
    and the best round of each is the one least disturbed.
    """
    best = [0.0] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            best[i] = max(best[i], once(fn, seconds))
    return best


def _parse_new_keys(text: str) -> object:
    text_keys.KEYS.clear()
    return querylang.parse(text)


def import_time() -> float:
    """Milliseconds to import querylang in a fresh interpreter (best of five)."""
    code = "import time; t = time.perf_counter(); import querylang; print(time.perf_counter() - t)"
    runs = [float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(5)]
    return min(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=0.2, help="time per function per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds, each timing every function once")
    args = parser.parse_args()
    querylang.parse(QUERIES[0])  # build the parser once, as every later call finds it
    parsed = [querylang.parse(q) for q in QUERIES]
    cases: list[tuple[str, Callable[[str], object]]] = [
        ("urllib.parse.parse_qsl (baseline)", parse_qsl),
        ("querylang.parse", querylang.parse),
        ("querylang.decode", querylang.decode),
        # The worst case for parse: every key new, as if none repeated between queries.
        ("querylang.parse (keys never seen)", _parse_new_keys),
    ]
    by_text = dict(zip(QUERIES, parsed, strict=True))
    cases.append(("querylang.serialize", lambda q: querylang.serialize(by_text[q])))
    measured = rates([fn for _, fn in cases], args.seconds, args.rounds)
    base = measured[0]
    print(f"{'function':<36} {'ops/s':>10} {'x baseline':>11}")
    for (name, _), r in zip(cases, measured, strict=True):
        print(f"{name:<36} {r:>10,.0f} {base / r:>10.2f}x")
    print(f"import querylang: {import_time():.0f} ms (target < 150 ms)")


if __name__ == "__main__":
    main()
