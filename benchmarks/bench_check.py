"""How fast the check routes answer: ``/_querylang/check`` and ``/_querylang/sql/{dialect}`` over real HTTP.

Run: ``python benchmarks/bench_check.py [--requests 300]``. It serves ``examples/`` with
``querylang serve``'s server on a free loopback port and asks, one request at a time over one
kept-alive connection (``http.client``), for typical queries (the README's, an invalid one, a
nested ``$or``):

- ``GET /_querylang/check?<query>`` and ``GET /_querylang/sql/postgres?<query>``;
- the baseline: ``GET /contacts/76/campaign-communications?<query>``, the endpoint's own find
  over the same server (``querylang serve --data examples``: the demo's SQLite database, with a
  token), which every playground keystroke asks too.

It prints the median and the 99th percentile in milliseconds, and the ratio of each median to
the baseline's measured in the same run. Target (issue 15): "a few milliseconds" for typical
queries, that is a median under 5 ms on this 2-core machine.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit

from querylang.service.server import create_server, demo

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
QUERIES = {
    "readme": "type[$in][]=Text%20Contact&send_at[$gte]=2019-01-01T11:00:00Z&campaign_name[$like]=%25New%25"
    "&$sort[send_at]=-1&$limit=10",
    "invalid": "sendat[$gte]=2019&$limit=abc&is_active=maybe",
    "or": "$or[0][is_active]=true&$or[1][type][$in][]=Email%20Contact&$or[1][send_at][$lt]=2020-01-01"
    "&$sort[id]=1&$limit=5",
}


def _timed(connection: http.client.HTTPConnection, path: str, count: int, headers: dict[str, str]) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        times.append((time.perf_counter() - start) * 1000)
        if response.status not in (200, 400):
            raise SystemExit(f"{path}: HTTP {response.status}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per route and query")
    args = parser.parse_args()
    with demo(EXAMPLES) as (service, tokens, issued), create_server(service, tokens=tokens.user_for, port=0) as server:
        server.start()
        where = urlsplit(server.url)
        connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=30)
        authorized = {"Authorization": f"Bearer {issued[3]}"}
        print(f"{args.requests} requests each, one connection, examples/ ({server.url})")
        print(f"{'query':<8} {'route':<24} {'p50 ms':>8} {'p99 ms':>8} {'x find':>8}")
        for name, query in QUERIES.items():
            routes = {
                "find (baseline)": f"/contacts/76/campaign-communications?{query}",
                "/_querylang/check": f"/_querylang/check?{query}",
                "/_querylang/sql/postgres": f"/_querylang/sql/postgres?{query}",
            }
            for path in routes.values():  # warm up: caches, imports
                _timed(connection, path, 5, authorized)
            medians: dict[str, float] = {}
            for label, path in routes.items():
                times = sorted(_timed(connection, path, args.requests, authorized))
                medians[label] = statistics.median(times)
                p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
                ratio = medians[label] / medians["find (baseline)"]
                print(f"{name:<8} {label:<24} {medians[label]:>8.2f} {p99:>8.2f} {ratio:>8.2f}")
        connection.close()


if __name__ == "__main__":
    main()
