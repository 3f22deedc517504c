"""``querylang find --engine duckdb`` against the in-memory CLI, the queries on SQL tables, and ``to_sql``'s time.

Run: ``python benchmarks/bench_sql.py [--n 1000000] [--db-n N] [--repeat 3] [--skip cli,tables,compile]``.
It generates N records with ``examples/make_examples.py`` (as ``bench_find.py`` does) and
writes them as JSON Lines to a temporary folder, then measures, for four queries (an
equality, ``bench_find.py``'s combo, an ``$or``, and the ten latest):

- (a) the whole process ``python -m querylang find QUERY export.jsonl``: in memory (the
  baseline), ``--engine duckdb``, and ``--engine duckdb`` over the same records as Parquet
  (which only DuckDB reads). Each is the best of ``--repeat`` runs, in CPU time (this machine is
  shared: a run that waits for a core is not slower code) and in wall time (DuckDB reads on
  every core); the outputs must be byte for byte the same. Target: ``--engine duckdb`` at least
  3x faster than memory at 1,000,000 lines. Beside them, a floor: a Python process that does
  nothing but import DuckDB's engine (``_duckdb``, as querylang does) and have it read the
  columns the query needs (natively typed, no page, no output): no DuckDB engine's process can
  be faster than that. The children run with their bytecode cached (``PYTHONPYCACHEPREFIX``
  in the temporary folder), as an installed package starts, even where
  ``PYTHONDONTWRITEBYTECODE`` is set.
- (b) ``querylang.sql.find(connection, query)`` on DuckDB, SQLite and PostgreSQL tables made
  by ``create_table`` (with its indexes) and ``load_records`` from the ``--db-n`` records,
  against ``querylang.find`` over the same records in a Python list (the baseline); the
  totals and the pages' ids must agree. PostgreSQL comes from ``tests/support/postgres.py``;
  without it the reason is printed and that engine is skipped.
- (c) ``to_sql`` for each dialect, in microseconds per query (best of several rounds of many
  calls), against ``validate`` of the same text, the part every engine shares. Target: under
  1 ms.

Ratios are to the baseline measured in the same run: for (a) and (b) how many times faster than
the baseline (higher is better), for (c) how many times ``validate``'s time.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench_find import COMBO, SIMPLE, _generator

import querylang
from querylang.memory.find import find as memory_find
from querylang.validate import validate

HERE = Path(__file__).resolve().parent
QUERIES = {
    "eq": SIMPLE,
    "combo": COMBO,
    "or": "$or[0][type]=Call%20Contact&$or[1][send_from_user_id]=99&$or[1][is_active]=true&$sort[id]=1&$limit=10",
    "top-10": "$sort[send_at]=-1&$limit=10",
}
DIALECTS = ("duckdb", "sqlite", "postgres", "spark")
Records = list[dict[str, Any]]


def _child_cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def _cpu() -> float:
    return time.process_time()


# ---- (a) the whole process


# The least any DuckDB engine does: start Python, import duckdb, read the query's columns.
_FLOOR = """
import sys
import _duckdb as duckdb  # the engine without the package's Python API, as querylang imports it
columns = dict(zip(sys.argv[2::2], sys.argv[3::2]))
duckdb.connect().execute(
    "SELECT count(*) FROM read_json(?, format = 'newline_delimited', columns = " + repr(columns) + ")", [sys.argv[1]]
).fetchall()
"""


def _floor_argv(path: Path, query: str) -> list[str]:
    """A process that only reads the columns ``query`` tests or sorts on, typed natively by DuckDB."""
    from querylang.schema import CONTACT_COMMUNICATIONS
    from querylang.sql.dialects import DIALECTS
    from querylang.sql.files import read_fields

    types = DIALECTS["duckdb"].types
    fields = read_fields(validate(query), CONTACT_COMMUNICATIONS)
    columns = [str(a) for f in fields for a in (f.name, types[f.type])]
    return [sys.executable, "-c", _FLOOR, str(path), *columns]


def _child_env(folder: Path) -> dict[str, str]:
    """The children's environment: this source tree, and bytecode cached as an installed package has it.

    Python writes no bytecode under PYTHONDONTWRITEBYTECODE (set on some machines), and then
    compiles every module on every run, which is not how an installed querylang starts.
    """
    env = {**os.environ, "PYTHONPATH": str(HERE.parent), "PYTHONPYCACHEPREFIX": str(folder / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def cli(path: Path, parquet: Path | None, repeat: int) -> None:
    size = path.stat().st_size / 1e6
    print(f"(a) python -m querylang find QUERY FILE, whole process, best of {repeat} (CPU, wall); x = times faster")
    print(f"    over {path.name} ({size:.0f} MB)" + (f" and {parquet.name}" if parquet else ""))
    print("    floor: a Python process that only imports duckdb and has it read the query's columns")
    env = _child_env(path.parent)
    variants: dict[str, list[str]] = {
        "memory": [str(path)],
        "--engine duckdb": [str(path), "--engine", "duckdb"],
    }
    if parquet is not None:
        variants["--engine duckdb, Parquet"] = [str(parquet), "--engine", "duckdb"]
    ratios: list[tuple[float, float, float]] = []  # CPU, wall, the floor's wall
    for name, query in QUERIES.items():
        print(f"  {name}: {query}")
        argvs = {
            variant: [sys.executable, "-m", "querylang", "find", query, *argv, "--no-progress"]
            for variant, argv in variants.items()
        }
        argvs["floor"] = _floor_argv(path, query)
        cpu: dict[str, float] = dict.fromkeys(argvs, float("inf"))
        wall: dict[str, float] = dict.fromkeys(argvs, float("inf"))
        outputs: dict[str, bytes] = {}
        for _ in range(repeat):  # in turn, so that a busy machine slows every variant alike
            for variant, argv in argvs.items():
                before, start = _child_cpu(), time.perf_counter()
                done = subprocess.run(argv, capture_output=True, env=env, check=True)
                wall[variant] = min(wall[variant], time.perf_counter() - start)
                cpu[variant] = min(cpu[variant], _child_cpu() - before)
                assert b"answering in memory" not in done.stderr, done.stderr.decode()
                outputs[variant] = done.stdout
        for variant in argvs:
            assert variant == "floor" or outputs[variant] == outputs["memory"], (
                f"{variant} prints other bytes for {name}"
            )
            base = variant == "memory"
            speed = "  base" if base else f"{cpu['memory'] / cpu[variant]:5.2f}x"
            speed_wall = "  base" if base else f"{wall['memory'] / wall[variant]:5.2f}x"
            print(
                f"    {variant:<26} CPU {cpu[variant] * 1000:8.0f} ms {speed}   "
                f"wall {wall[variant] * 1000:8.0f} ms {speed_wall}"
            )
        ratios.append(
            (
                cpu["memory"] / cpu["--engine duckdb"],
                wall["memory"] / wall["--engine duckdb"],
                wall["memory"] / wall["floor"],
            )
        )
    cpus, walls, floors = zip(*ratios, strict=True)
    print(
        f"  --engine duckdb over JSON Lines: {min(walls):.2f}x to {max(walls):.2f}x faster in wall time, "
        f"{min(cpus):.2f}x to {max(cpus):.2f}x in CPU (target 3x); the floor allows {min(floors):.2f}x to "
        f"{max(floors):.2f}x in wall time"
    )


def write_jsonl(path: Path, records: Iterator[dict[str, Any]]) -> int:
    try:
        import orjson

        dumps: Callable[[Any], bytes] = orjson.dumps
    except ImportError:  # pragma: no cover - orjson is optional
        import json

        def dumps(value: Any) -> bytes:
            return json.dumps(value, ensure_ascii=False).encode()

    count = 0
    with path.open("wb") as out:
        for record in records:
            out.write(dumps(record) + b"\n")
            count += 1
    return count


def write_parquet(path: Path, jsonl: Path) -> bool:
    """The JSON Lines as Parquet with each field's JSON type (numbers, booleans; text, instants as text)."""
    try:
        import duckdb
    except ImportError:
        return False
    from querylang.schema import CONTACT_COMMUNICATIONS, FieldType

    kinds = {FieldType.INTEGER: "BIGINT", FieldType.NUMBER: "DOUBLE", FieldType.BOOLEAN: "BOOLEAN"}
    columns = {f.name: kinds.get(f.type, "VARCHAR") for f in CONTACT_COMMUNICATIONS.fields}
    connection = duckdb.connect()
    connection.execute(
        f"COPY (SELECT * FROM read_json(?, format = 'newline_delimited', columns = {columns})) "
        f"TO '{path}' (FORMAT parquet)",
        [str(jsonl)],
    )
    connection.close()
    return True


# ---- (b) SQL tables


@contextlib.contextmanager
def engines(records: Records, folder: Path, *, postgres: bool) -> Iterator[dict[str, Any]]:
    """Connections to tables made by create_table and filled by load_records, by engine."""
    from querylang.sql import create_table, load_records

    connections: dict[str, Any] = {}
    stops: list[Callable[[], None]] = []

    def fill(name: str, connection: Any) -> None:
        start = time.perf_counter()
        for statement in create_table(dialect=name):
            connection.execute(statement)
        load_records(connection, records, name)
        connection.commit()
        print(f"    {name}: {len(records):,} records loaded in {time.perf_counter() - start:.1f} s")
        connections[name] = connection

    try:
        try:
            import duckdb

            fill("duckdb", duckdb.connect())
        except ImportError:
            print("    duckdb: skipped (pip install 'querylang[duckdb]')")
        fill("sqlite", sqlite3.connect(folder / "records.sqlite"))
        if postgres:
            cluster = _postgres()
            if cluster is not None:
                import psycopg

                stops.append(cluster.stop)
                fill("postgres", psycopg.connect(cluster.dsn()))
        yield connections
    finally:
        for connection in connections.values():
            connection.close()
        for stop in stops:
            stop()


def _postgres() -> Any:
    sys.path.insert(0, str(HERE.parent / "tests"))
    try:
        import psycopg  # noqa: F401
        from support import Unavailable, postgres  # type: ignore[import-not-found, unused-ignore]
    except ImportError as error:
        print(f"    postgres: skipped ({error})")
        return None
    try:
        return postgres.start()
    except Unavailable as error:
        print(f"    postgres: skipped ({str(error).splitlines()[0]})")
        return None


def tables(records: Records, folder: Path, repeat: int, *, postgres: bool) -> None:
    from querylang.sql import find

    print(f"(b) querylang.sql.find on tables with indexes, best of {repeat} (wall); x = times faster than memory")
    print("    memory: querylang.find over the same records in a Python list")
    with engines(records, folder, postgres=postgres) as connections:
        for name, query in QUERIES.items():
            print(f"  {name}: {query}")
            base_time, expected = best(lambda query=query: memory_find(records, query), repeat)  # type: ignore[misc]
            print(f"    {'memory':<10} {base_time * 1000:9.1f} ms   base")
            for engine, connection in connections.items():
                seconds, page = best(lambda c=connection, q=query: find(c, q), repeat)  # type: ignore[misc]
                assert isinstance(page, dict) and isinstance(expected, dict)
                assert page["total"] == expected["total"], f"{engine} and memory disagree on the total of {name}"
                ids = [r["id"] for r in page["data"]]
                assert ids == [r["id"] for r in expected["data"]], f"{engine} and memory disagree on {name}"
                print(f"    {engine:<10} {seconds * 1000:9.1f} ms {base_time / seconds:7.1f}x")


def best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """The least wall time of ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


# ---- (c) compile time


def compile_times(rounds: int = 5, calls: int = 200) -> None:
    from querylang.sql import to_sql

    print(f"(c) to_sql per query, µs (CPU, best of {rounds} rounds of {calls} calls); x = times validate's")
    worst = 0.0
    for name, query in QUERIES.items():
        base = _per_call(lambda query=query: validate(query), rounds, calls)  # type: ignore[misc]
        cells = [f"validate {base:6.0f}"]
        for dialect in DIALECTS:
            to_sql(query, dialect=dialect)  # sqlglot's first use of a dialect imports it
            took = _per_call(lambda q=query, d=dialect: to_sql(q, dialect=d), rounds, calls)  # type: ignore[misc]
            worst = max(worst, took)
            cells.append(f"{dialect} {took:5.0f} {took / base:4.1f}x")
        print(f"  {name:<7} " + "   ".join(cells))
    print(f"  slowest: {worst:.0f} µs (target under 1000 µs)")


def _per_call(fn: Callable[[], object], rounds: int, calls: int) -> float:
    times = []
    for _ in range(rounds):
        start = _cpu()
        for _ in range(calls):
            fn()
        times.append((_cpu() - start) / calls)
    return min(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=1_000_000, help="lines of the JSON Lines file (default 1,000,000)")
    parser.add_argument("--db-n", type=int, default=None, help="records in the SQL tables (default: --n)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each variant; the best counts")
    parser.add_argument("--skip", default="", help="parts to leave out: cli, tables, postgres, compile (commas)")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    generate = _generator()
    print(f"querylang {querylang.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "cli" not in skip:
            path = folder / "export.jsonl"
            start = time.perf_counter()
            write_jsonl(path, generate(args.n, offset_fraction=0.03))
            parquet = folder / "export.parquet"
            have = write_parquet(parquet, path)
            print(f"{args.n:,} records written in {time.perf_counter() - start:.1f} s")
            cli(path, parquet if have else None, args.repeat)
            path.unlink()
        if "tables" not in skip:
            n = args.db_n or args.n
            records = list(generate(n, offset_fraction=0.03))
            tables(records, folder, args.repeat, postgres="postgres" not in skip)
            del records
    if "compile" not in skip:
        compile_times()


if __name__ == "__main__":
    main()
