"""``querylang serve --db`` under load: SQLite and PostgreSQL against the in-memory service, over HTTP.

Run: ``python benchmarks/bench_serve.py [--records 1000000] [--contacts 10000] [--seconds 10]
[--rounds 2] [--clients 8] [--threads 8] [--patch-share 0.1] [--skip postgres,memory] [--fresh]``.

The data: ``--records`` records from ``examples/make_examples.py`` (3% of dates with an offset)
over ``--contacts`` contacts with ids 1..C (the generator gives contact 1 some 70 shares and
every other one share: at 1,000,000 over 10,000, contact 1 has ~7,000 records and the others
~100 each), each owned by one of the users of ``examples/users.json`` in turn, with
``examples/teams.json``. The data folder and the SQLite database ``querylang db load`` makes of
it are cached in ``/tmp/querylang-bench-serve/records-N-contacts-C-schema-V/`` (``--cache``), so
that a rerun starts at once (making them at 1,000,000 takes about a minute); ``--fresh`` makes
them again. Every run serves a copy of the database, so its PATCHes never change the cache.

The servers, each a process of its own with ``--threads`` (8) workers, started one after the
other (each start timed while the others idle):

- sqlite: ``python -m querylang serve --db COPY --port 0 --threads 8``, with a token per owner
  from ``Tokens(db).create``;
- postgres: the same over a throwaway cluster of ``tests/support/postgres.py`` filled by
  ``querylang db load``. That cluster runs with ``fsync=off``; before serving it is switched to
  PostgreSQL's defaults (``fsync``, ``synchronous_commit``, ``full_page_writes`` on) and
  checkpointed, so that its PATCHes are durable. Without PostgreSQL the reason is printed and
  it is skipped;
- memory (the baseline): this script with ``--serve-memory``, that is
  ``CampaignCommunications.from_folder`` on the same waitress server (``server.serve``, the
  access log on stderr as ``querylang serve`` has it), the tokens from a file. At 1,000,000
  records it takes some 20 s and 2.6 GB to start.

The load: this process is the client, ``--clients`` (8) threads each with one kept-alive
``http.client`` connection. After a 2 s warm-up of each server come three phases of
``--seconds`` per server, each cut in ``--rounds`` slices run against the servers in turn (so
that a machine busy with something else slows them alike):

- finds: only finds, each a random contact with its owner's token and one of ``FINDS`` (a
  filter, a sort and ``$limit=10``);
- mixed: finds and ``--patch-share`` (10%) PATCHes;
- patches: only PATCHes.

A PATCH flips ``is_active`` of a record of a sample (each client has records of its own, so
every PATCH is a real write) and must answer 200 with the new value; anything else, and any
find that does not answer 200 with a page, counts as an error. Once a server is stopped
(SIGTERM), every record whose last PATCH was answered is read back from its database:
committed before the answer means there.

The machine has 2 cores: the client (one process, so at most about one core for its threads)
and the server share them, so rates are those of this client on this machine; what compares is
the ratio to the in-memory service, measured the same way in the same run. Printed beside each
phase: the CPU the server process and this process used (100% is one core; PostgreSQL's own
processes are not counted) and the machine's busy time (200% is both cores, whoever used
them), and the server's own time per request from its access log beside the latency the
client saw (the difference is queueing, in the client and in the server).

It prints per server: start-up (process start until the URL is printed, and until the first
find is answered), requests per second, p50/p99 latency and errors per phase and kind, the
resident memory after the load (``VmRSS``; ``VmHWM``, the peak), the read-back and what the
server wrote on stderr besides its access log; then each find's p50/p99 per server, and the
targets of issue 14: on SQLite, find p99 within 2x of the in-memory service's, start-up under
1 s, resident memory under 300 MB at 1,000,000 records, and at least 300 durable PATCHes a
second with no error; PostgreSQL beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import re
import secrets
import selectors
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import querylang

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLES = ROOT / "examples"
FINDS = {
    "text-since": "type[$in][]=Text%20Contact&send_at[$gte]=2019-01-01&$sort[send_at]=-1&$limit=10",
    "completed": "is_active=false&$sort[send_at]=-1&$limit=10",
    "latest": "$sort[send_at]=-1&$limit=10",
    "buyer-like": "campaign_name[$like]=%25Buyer%25&$sort[send_at]=1&$limit=10",
    "email-call": "type[$in][]=Email%20Contact&type[$in][]=Call%20Contact&$sort[completed_at]=-1&$limit=10",
}
SAMPLE = 32_768
"""Records the PATCHes flip, spread over the load order."""
STARTS = {"sqlite": 60.0, "postgres": 60.0, "memory": 900.0}
"""Seconds a server may take to print its URL."""
TARGET_P99_RATIO, TARGET_START, TARGET_RSS_MB, TARGET_PATCHES = 2.0, 1.0, 300.0, 300.0


# ---------------------------------------------------------------- the data


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def prepare(root: Path, n: int, contacts: int, *, fresh: bool) -> tuple[Path, str]:
    """The cached folder ``data/`` and database ``records.sqlite`` for ``n`` records; made when missing."""
    from querylang.service.database import SCHEMA_VERSION

    place = root / f"records-{n}-contacts-{contacts}-schema-{SCHEMA_VERSION}"
    if fresh:
        shutil.rmtree(place, ignore_errors=True)
    if (place / "records.sqlite").is_file() and (place / "data" / "contacts.json").is_file():
        return place, "reused"
    root.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f"{place.name}.partial-", dir=root))
    try:
        start = time.perf_counter()
        write_folder(partial / "data", n, contacts)
        written = time.perf_counter() - start
        start = time.perf_counter()
        db_load(str(partial / "records.sqlite"), partial / "data")
        with contextlib.closing(sqlite3.connect(partial / "records.sqlite")) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the copies need the file alone
        loaded = time.perf_counter() - start
        shutil.rmtree(place, ignore_errors=True)
        partial.rename(place)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return place, f"made: folder written in {written:.1f} s, querylang db load in {loaded:.1f} s"


def write_folder(folder: Path, n: int, contacts: int) -> None:
    """``campaign-communications.jsonl``, ``contacts.json`` and the examples' users and teams."""
    from bench_find import _generator
    from bench_sql import write_jsonl

    folder.mkdir(parents=True)
    ids = tuple(range(1, contacts + 1))
    write_jsonl(folder / "campaign-communications.jsonl", _generator()(n, offset_fraction=0.03, contact_ids=ids))
    listed: list[dict[str, Any]] = json.loads((EXAMPLES / "users.json").read_text(encoding="utf-8"))
    users = sorted(int(u["id"]) for u in listed)
    rows: list[dict[str, object]] = [
        {"id": c, "owner_user_id": users[c % len(users)], "assigned_user_id": None, "shared_with_user_ids": []}
        for c in ids
    ]
    (folder / "contacts.json").write_text(json.dumps(rows), encoding="utf-8")
    for name in ("users.json", "teams.json"):
        shutil.copyfile(EXAMPLES / name, folder / name)


def db_load(url: str, folder: Path) -> None:
    """``querylang db load``, as a user makes a database."""
    argv = [sys.executable, "-m", "querylang", "db", "load", "--db", url, "--data", str(folder)]
    done = subprocess.run(argv, capture_output=True, text=True, env=_env(), check=False)
    if done.returncode != 0:
        raise SystemExit(f"querylang db load failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def owners_of(folder: Path) -> dict[int, int]:
    """Contact id -> its owner's user id, from the folder's ``contacts.json``."""
    rows = json.loads((folder / "contacts.json").read_text(encoding="utf-8"))
    return {int(c["id"]): int(c["owner_user_id"]) for c in rows}


def sample(database: Path, n: int, size: int = SAMPLE) -> list[tuple[int, int, bool]]:
    """``(id, contact_id, is_active)`` of records spread over the load order, as the cache holds them."""
    step = max(1, n // size)
    with contextlib.closing(sqlite3.connect(database)) as connection:
        rows = connection.execute(
            'SELECT id, contact_id, is_active FROM campaign_communications WHERE "_ordinal" % ? = 0 '
            'ORDER BY "_ordinal"',
            (step,),
        ).fetchall()
    return [(int(i), int(c), bool(a)) for i, c, a in rows]


# ---------------------------------------------------------------- the load


@dataclass
class Tracked:
    """A record a client flips, with the ``is_active`` it was last answered with."""

    id: int
    contact: int
    active: bool


class Workload:
    """What the clients ask: the contacts and their owners' tokens, and each client's records to PATCH."""

    def __init__(
        self, records: Sequence[tuple[int, int, bool]], clients: int, owners: dict[int, int], tokens: dict[int, str]
    ) -> None:
        self.parts = [[Tracked(*r) for r in records[i::clients]] for i in range(clients)]
        self.contacts = sorted(owners)
        self.owners = owners
        self.tokens = tokens
        self.answered: dict[int, bool] = {}  # record id -> is_active its last answered PATCH set
        self.unknown: set[int] = set()  # records whose last PATCH failed: their state is not known

    def auth(self, contact: int) -> dict[str, str]:
        """The header of the contact's owner's token."""
        return {"Authorization": f"Bearer {self.tokens[self.owners[contact]]}"}


class Client:
    """One kept-alive HTTP/1.1 connection; a failed request opens a new one."""

    def __init__(self, url: str) -> None:
        where = urlsplit(url)
        self.host, self.port = where.hostname or "127.0.0.1", where.port or 80
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def send(self, method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> tuple[int, bytes]:
        """The status and body; status 0 and the exception's text when the connection failed."""
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
            return 0, f"{type(error).__name__}: {error}".encode()

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


@dataclass
class Sample:
    """One request as the client saw it."""

    kind: str  # "find" or "patch"
    label: str  # the find's name, or "patch"
    ms: float
    error: str | None


def find_once(client: Client, work: Workload, rng: random.Random) -> Sample:
    contact = work.contacts[int(rng.random() * len(work.contacts))]
    label, query = rng.choice(FIND_ITEMS)
    start = time.perf_counter()
    status, body = client.send("GET", f"/contacts/{contact}/campaign-communications?{query}", work.auth(contact))
    ms = (time.perf_counter() - start) * 1000
    ok = status == 200 and b'"data"' in body
    return Sample("find", label, ms, None if ok else f"GET {label} contact {contact}: {status} {body[:300]!r}")


def patch_once(client: Client, work: Workload, part: list[Tracked], rng: random.Random) -> Sample:
    record = part[int(rng.random() * len(part))]
    want = not record.active
    body = b'{"is_active": true}' if want else b'{"is_active": false}'
    headers = {**work.auth(record.contact), "Content-Type": "application/json"}
    path = f"/contacts/{record.contact}/campaign-communications/{record.id}"
    start = time.perf_counter()
    status, data = client.send("PATCH", path, headers, body)
    ms = (time.perf_counter() - start) * 1000
    if status == 200 and json.loads(data).get("is_active") is want:
        record.active = want
        work.answered[record.id] = want
        work.unknown.discard(record.id)
        return Sample("patch", "patch", ms, None)
    work.answered.pop(record.id, None)
    work.unknown.add(record.id)
    return Sample("patch", "patch", ms, f"PATCH {record.id}: {status} {data[:300]!r}")


FIND_ITEMS = list(FINDS.items())


@dataclass
class Phase:
    """The requests of one phase, its length and the CPU spent."""

    name: str
    seconds: float
    samples: list[Sample]
    server_cpu: float
    client_cpu: float
    machine_cpu: float  # every core's busy time (both cores busy: 2 s a second)
    server_ms: dict[str, list[float]]  # "GET"/"PATCH" -> the server's own times, from its access log

    def add(self, other: Phase) -> None:
        """Count another slice of the same phase in this one."""
        self.seconds += other.seconds
        self.samples += other.samples
        self.server_cpu += other.server_cpu
        self.client_cpu += other.client_cpu
        self.machine_cpu += other.machine_cpu
        for method, times in other.server_ms.items():
            self.server_ms[method] = sorted(self.server_ms.get(method, []) + times)


def run_phase(name: str, server: Server, work: Workload, *, seconds: float, patch_share: float, seed: int) -> Phase:
    """``len(work.parts)`` client threads asking for ``seconds``, started together."""
    clients = len(work.parts)
    barrier = threading.Barrier(clients + 1)
    results: list[list[Sample]] = [[] for _ in range(clients)]

    def ask(index: int) -> None:
        client = Client(server.url)
        rng = random.Random(seed * 1000 + index)
        part, out = work.parts[index], results[index]
        try:
            barrier.wait()
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                if part and rng.random() < patch_share:
                    out.append(patch_once(client, work, part, rng))
                else:
                    out.append(find_once(client, work, rng))
        finally:
            client.close()

    threads = [threading.Thread(target=ask, args=(i,), name=f"client-{i}") for i in range(clients)]
    for thread in threads:
        thread.start()
    log_from = server.log.stat().st_size
    server_cpu, client_cpu, machine_cpu = cpu_seconds(server.process.pid), time.process_time(), busy_seconds()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    server_cpu = cpu_seconds(server.process.pid) - server_cpu
    client_cpu = time.process_time() - client_cpu
    machine_cpu = busy_seconds() - machine_cpu
    samples = [s for out in results for s in out]
    return Phase(name, elapsed, samples, server_cpu, client_cpu, machine_cpu, access_times(server.log, log_from))


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile of sorted values; NaN for none."""
    if not values:
        return math.nan
    return values[max(0, math.ceil(p * len(values)) - 1)]


# ---------------------------------------------------------------- the servers


@dataclass
class Server:
    """A server process, its URL and stderr (the access log), and how long it took to start."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    url_seconds: float = 0.0
    first_seconds: float = 0.0


def start_server(argv: list[str], log: Path, timeout: float, first: Callable[[str], None]) -> Server:
    """Start a server that prints its URL on its first line; time that, and ``first(url)`` answered."""
    begin = time.perf_counter()
    with log.open("wb") as err:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env=_env())
    try:
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                raise RuntimeError(f"no URL after {timeout:.0f} s")
        line = process.stdout.readline().decode().strip()
        if not line.startswith("http"):
            raise RuntimeError(f"the server ended ({process.poll()}) before printing its URL")
        server = Server(process, line, log, url_seconds=time.perf_counter() - begin)
        first(line)
        server.first_seconds = time.perf_counter() - begin
        return server
    except BaseException as error:
        stop(process)
        tail = log.read_text(errors="replace").strip()[-2000:]
        raise RuntimeError(f"{' '.join(argv[:6])}...: {error}\n{tail}") from None


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server by its pid, SIGKILL if it has not ended after 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far, from ``/proc/<pid>/stat``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    """CPU time every core spent on anything but idling (and waiting for the disk) so far, from ``/proc/stat``."""
    try:
        ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return math.nan
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def memory_mb(pid: int) -> tuple[float, float]:
    """``VmRSS`` and ``VmHWM`` (the peak) of a process, in MB (10^6 bytes)."""
    found = {"VmRSS": math.nan, "VmHWM": math.nan}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in found:
                found[key] = int(value.split()[0]) * 1024 / 1e6
    return found["VmRSS"], found["VmHWM"]


def access_times(log: Path, offset: int) -> dict[str, list[float]]:
    """The ``ms`` of the access-log lines written from ``offset`` on, by method, sorted."""
    times: dict[str, list[float]] = {}
    with log.open("rb") as lines:
        lines.seek(offset)
        for line in lines:
            if line.startswith(b'{"method"'):
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    times.setdefault(str(entry["method"]), []).append(float(entry["ms"]))
    for values in times.values():
        values.sort()
    return times


def log_notes(log: Path) -> list[str]:
    """What the server wrote besides access-log lines of status < 500: 5xx answers, and other lines by count.

    Digits are masked to group lines (waitress warns ``Task queue depth is 2`` whenever a request
    waits for a worker thread).
    """
    failed, other = 0, Counter[str]()
    first: dict[str, str] = {}
    with log.open("rb") as lines:
        for raw in lines:
            line = raw.decode(errors="replace").rstrip()
            if line.startswith('{"method"'):
                with contextlib.suppress(ValueError):
                    failed += int(json.loads(line)["status"]) >= 500
                continue
            key = re.sub(r"[0-9]+", "N", line)[:200]
            other[key] += 1
            first.setdefault(key, line[:300])
    notes = [f"{failed} answers of status 5xx in the access log"] if failed else []
    for key, count in other.most_common(6):
        notes.append(f"{count:>6} x {first[key]!r} (or alike) on stderr")
    if len(other) > 6:
        notes.append(f"{sum(other.values()) - sum(c for _, c in other.most_common(6))} other lines on stderr")
    return notes


# ---------------------------------------------------------------- one server under load


@dataclass
class Result:
    """One server's measures."""

    name: str
    server: Server
    work: Workload
    phases: list[Phase] = field(default_factory=list)
    rss_mb: float = math.nan
    peak_mb: float = math.nan
    durable: tuple[int, int, int] | None = None  # (read back, not as answered, state unknown)
    notes: list[str] = field(default_factory=list)

    def stats(self, phase: str, kind: str, label: str | None = None) -> tuple[int, int, float, float, float]:
        """``(requests, errors, per second, p50, p99)`` of one kind (and find) in a phase."""
        for p in self.phases:
            if p.name == phase:
                chosen = [s for s in p.samples if s.kind == kind and (label is None or s.label == label)]
                ms = sorted(s.ms for s in chosen)
                errors = sum(s.error is not None for s in chosen)
                return len(chosen), errors, len(chosen) / p.seconds, percentile(ms, 0.5), percentile(ms, 0.99)
        return 0, 0, math.nan, math.nan, math.nan

    def add(self, phase: Phase) -> None:
        """Count a slice of a phase."""
        for p in self.phases:
            if p.name == phase.name:
                p.add(phase)
                return
        self.phases.append(phase)

    def errors(self) -> int:
        """Failed requests in every phase."""
        return sum(s.error is not None for p in self.phases for s in p.samples)


def launch(name: str, argv: list[str], log: Path, work: Workload) -> Result:
    """Start a server and time its start: until its URL is printed, and until the first find is answered."""
    contact = work.contacts[1 % len(work.contacts)]  # a contact of typical size (contact 1 is the big one)
    first_query = f"/contacts/{contact}/campaign-communications?{FIND_ITEMS[0][1]}"

    def first(url: str) -> None:
        client = Client(url)
        status, body = client.send("GET", first_query, work.auth(contact))
        client.close()
        if status != 200:
            raise RuntimeError(f"the first find answered {status}: {body[:300]!r}")

    server = start_server(argv, log, STARTS[name], first)
    print(
        f"  start-up: URL printed after {server.url_seconds:.2f} s, first find answered after "
        f"{server.first_seconds:.2f} s ({server.url}, pid {server.process.pid})"
    )
    return Result(name, server, work)


PHASES = ("finds", "mixed", "patches")


def load(results: dict[str, Result], args: argparse.Namespace) -> None:
    """A warm-up, then each phase in ``--rounds`` slices, the servers in turn within each round."""
    for result in results.values():
        run_phase("warm-up", result.server, result.work, seconds=2.0, patch_share=args.patch_share, seed=99)
    shares = {"finds": 0.0, "mixed": args.patch_share, "patches": 1.0}
    for seed, phase in enumerate(PHASES):
        for round in range(args.rounds):
            for result in results.values():
                part = run_phase(
                    phase,
                    result.server,
                    result.work,
                    seconds=args.seconds / args.rounds,
                    patch_share=shares[phase],
                    seed=seed * 100 + round,
                )
                result.add(part)


def read_back(url: str, work: Workload) -> tuple[int, int, int]:
    """Each record's ``is_active`` in the database against its last answered PATCH."""
    from querylang.service.database import Database

    db = Database(url)
    wrong = 0
    try:
        ids = sorted(work.answered)
        for at in range(0, len(ids), 500):
            chunk = ids[at : at + 500]
            marks = ", ".join([db.mark] * len(chunk))
            rows = db.execute(f"SELECT id, is_active FROM campaign_communications WHERE id IN ({marks})", chunk)
            wrong += sum(bool(active) is not work.answered[int(i)] for i, active in rows)
            wrong += len(chunk) - len(rows)
    finally:
        db.close()
    return len(work.answered), wrong, len(work.unknown)


def make_tokens(url: str, users: set[int]) -> dict[int, str]:
    from querylang.service.auth import Tokens
    from querylang.service.database import Database

    db = Database(url)
    try:
        tokens = Tokens(db)
        return {user: tokens.create(user)[1] for user in sorted(users)}
    finally:
        db.close()


def show(result: Result) -> None:
    print(
        f"  {'phase':<8} {'kind':<6} {'requests':>9} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
        f"   {'server p50/p99 ms':>17}   {'CPU server':>10} {'client':>6} {'machine':>7}"
    )
    for p in result.phases:
        kinds = [k for k in ("find", "patch") if any(s.kind == k for s in p.samples)]
        for n, kind in enumerate(kinds):
            count, errors, rate, p50, p99 = result.stats(p.name, kind)
            own = p.server_ms.get("GET" if kind == "find" else "PATCH", [])
            cpu = f"   {p.server_cpu / p.seconds:>10.0%} {p.client_cpu / p.seconds:>6.0%}" if n == 0 else ""
            cpu += f" {p.machine_cpu / p.seconds:>7.0%}" if n == 0 else ""
            head = f"  {p.name if n == 0 else '':<8} {kind:<6} {count:>9,} {errors:>6} {rate:>8.1f}"
            print(f"{head} {p50:>8.2f} {p99:>8.2f}   {percentile(own, 0.5):>8.2f}/{percentile(own, 0.99):<8.2f}{cpu}")
    print(f"  resident memory after the load: {result.rss_mb:.0f} MB (peak {result.peak_mb:.0f} MB)")
    if result.durable is not None:
        show_durable(result.durable)
    shown = [s.error for p in result.phases for s in p.samples if s.error][:5]
    for error in shown:
        print(f"  error: {error}")
    for note in result.notes:
        print(f"  server: {note}")


def show_durable(durable: tuple[int, int, int]) -> None:
    checked, wrong, unknown = durable
    verdict = "all as last answered" if not wrong else f"{wrong} NOT as last answered"
    extra = f"; {unknown} left out, their last PATCH failed" if unknown else ""
    print(f"  read back after the server stopped: {checked:,} patched records, {verdict}{extra}")


# ---------------------------------------------------------------- PostgreSQL


@contextlib.contextmanager
def postgres_database(folder: Path) -> Iterator[str | None]:
    """A throwaway cluster with the folder loaded by ``querylang db load``, durable settings on; None without."""
    from bench_sql import _postgres

    cluster = _postgres()
    if cluster is None:
        yield None
        return
    try:
        cluster.create_database("bench_serve")
        url = str(cluster.dsn("bench_serve"))
        start = time.perf_counter()
        db_load(url, folder)
        print(f"  querylang db load: {time.perf_counter() - start:.1f} s")
        import psycopg

        with psycopg.connect(cluster.dsn(), autocommit=True) as connection:
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                connection.execute(f"ALTER SYSTEM SET {setting} = on")
            connection.execute("SELECT pg_reload_conf()")
        deadline, found = time.monotonic() + 10, None
        while time.monotonic() < deadline:
            with psycopg.connect(url) as connection:
                row = connection.execute("SELECT current_setting('fsync'), current_setting('synchronous_commit')")
                found = row.fetchone()
            if found == ("on", "on"):
                break
            time.sleep(0.1)
        # The load ran with fsync off: flush it now, as a cluster durable all along would have,
        # so that the serving phases do not pay for it.
        start = time.perf_counter()
        with psycopg.connect(cluster.dsn(), autocommit=True) as connection:
            connection.execute("CHECKPOINT")
        shown = f"{found[0]}, {found[1]}" if found else "?"
        print(f"  fsync, synchronous_commit: {shown}; CHECKPOINT in {time.perf_counter() - start:.1f} s")
        yield url
    finally:
        cluster.stop()


def analyzed(url: str, since: datetime) -> str:
    """When PostgreSQL last analyzed the records' table, against ``since`` (``querylang db load`` does not).

    Until then its plans have no statistics, and a find sorted on ``send_at`` may walk that
    index backwards over the whole table instead of reading the contact's records.
    """
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT last_analyze, last_autoanalyze, last_autovacuum FROM pg_stat_user_tables "
            "WHERE relname = 'campaign_communications'"
        ).fetchone()
    if row is None or (row[0] is None and row[1] is None):
        return "not analyzed before the end (no statistics for its plans all along)"
    when: datetime = row[0] or row[1]
    at = (when - since).total_seconds()
    told = f"{at:.0f} s into the load phases" if at >= 0 else f"{-at:.0f} s before the load phases"
    vacuumed = f"; autovacuum ran at {row[2]:%H:%M:%S}" if row[2] is not None else ""
    return f"analyzed by {'ANALYZE' if row[0] else 'autovacuum'} {told} ({when:%H:%M:%S} UTC){vacuumed}"


# ---------------------------------------------------------------- the in-memory server


def serve_memory(folder: str, tokens_file: str, threads: int) -> None:
    """What ``--serve-memory`` runs: the folder in memory on ``querylang serve``'s server, its URL first."""
    import logging

    from querylang.service import CampaignCommunications
    from querylang.service.http import ACCESS_LOG
    from querylang.service.server import serve

    users = {str(token): int(user) for token, user in json.loads(Path(tokens_file).read_text()).items()}
    ACCESS_LOG.addHandler(logging.StreamHandler(sys.stderr))
    ACCESS_LOG.setLevel(logging.INFO)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # as querylang serve has it
    service = CampaignCommunications.from_folder(folder)
    serve(service, tokens=users.get, port=0, threads=threads, on_ready=lambda url: print(url, flush=True))


# ---------------------------------------------------------------- the summary


def summary(results: dict[str, Result], n: int) -> None:
    print("\nfinds, by query (finds phase): p50 / p99 ms")
    names = list(results)
    print(f"  {'query':<11}" + "".join(f" {name:>19}" for name in names))
    for label in FINDS:
        cells = []
        for name in names:
            _, _, _, p50, p99 = results[name].stats("finds", "find", label)
            cells.append(f" {p50:>9.2f} /{p99:>7.2f}")
        print(f"  {label:<11}" + "".join(cells))
    print(f"  ({', '.join(f'{k}: {v}' for k, v in FINDS.items())})")
    memory = results.get("memory")
    print("\ntargets (issue 14), on SQLite:")
    for name in ("sqlite", "postgres"):
        result = results.get(name)
        if result is None:
            continue
        if name == "postgres":
            print("PostgreSQL beside it (not a target):")
        lines: list[tuple[bool | None, str]] = []
        for phase in ("finds", "mixed"):
            p99 = result.stats(phase, "find")[4]
            if memory is not None:
                base = memory.stats(phase, "find")[4]
                ratio = p99 / base
                text = (
                    f"find p99 within {TARGET_P99_RATIO:g}x of memory's ({phase} phase): "
                    f"{p99:.2f} ms against {base:.2f} ms, {ratio:.2f}x"
                )
                lines.append((ratio <= TARGET_P99_RATIO, text))
            else:
                lines.append((None, f"find p99 ({phase} phase): {p99:.2f} ms; memory skipped, no ratio"))
        start = result.server.first_seconds
        lines.append((start < TARGET_START, f"start-up under {TARGET_START:g} s: {start:.2f} s to the first answer"))
        at = "" if n >= 1_000_000 else f" (at {n:,} records; the target is at 1,000,000)"
        rss = f"resident memory under {TARGET_RSS_MB:g} MB: {result.rss_mb:.0f} MB{at}"
        lines.append((result.rss_mb < TARGET_RSS_MB, rss))
        rate = result.stats("patches", "patch")[2]
        total_errors = result.errors()
        wrong = result.durable[1] if result.durable else 0
        text = (
            f"at least {TARGET_PATCHES:g} durable PATCHes/s with no error: {rate:.0f}/s (patches phase), "
            f"{total_errors} errors in all phases, {wrong} records not read back as answered"
        )
        lines.append((rate >= TARGET_PATCHES and total_errors == 0 and wrong == 0, text))
        for met, text in lines:
            mark = "" if met is None else ("met" if met else "NOT MET")
            print(f"  {mark:<8} {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=1_000_000, help="records (default 1,000,000)")
    parser.add_argument("--contacts", type=int, default=10_000, help="contacts (default 10,000)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per phase (default 10)")
    parser.add_argument("--clients", type=int, default=8, help="client threads, one connection each (default 8)")
    parser.add_argument("--threads", type=int, default=8, help="the servers' worker threads (default 8)")
    parser.add_argument("--rounds", type=int, default=2, help="slices of each phase, servers in turn (default 2)")
    parser.add_argument("--patch-share", type=float, default=0.1, help="PATCHes in the mixed phase (default 0.1)")
    parser.add_argument("--skip", default="", help="servers to leave out: sqlite, postgres, memory (commas)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/querylang-bench-serve"), help="the data's cache")
    parser.add_argument("--fresh", action="store_true", help="make the cached folder and database again")
    parser.add_argument("--serve-memory", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--tokens-file", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_memory:
        serve_memory(args.serve_memory, args.tokens_file, args.threads)
        return
    skip = set(filter(None, args.skip.split(",")))
    print(f"querylang {querylang.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    start = time.perf_counter()
    place, how = prepare(args.cache, args.records, args.contacts, fresh=args.fresh)
    folder, pristine = place / "data", place / "records.sqlite"
    owners = owners_of(folder)
    records = sample(pristine, args.records)
    print(
        f"data: {args.records:,} records over {len(owners):,} contacts, {len(set(owners.values()))} owners; "
        f"{place} ({how}; database {pristine.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.1f} s"
    )
    print(
        f"load: {args.clients} client threads in this process (http.client, a kept-alive connection each), "
        f"servers with --threads {args.threads}; {args.seconds:g} s per phase: finds, mixed "
        f"({args.patch_share:.0%} PATCHes), patches; {len(records):,} records to PATCH"
    )
    print(
        "  latency as the client saw it; server p50/p99: the app's own time from the access log; CPU: the "
        "server process's and this process's over the phase (100% = one core), and the machine's (both: 200%)"
    )
    print(f"  load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    results: dict[str, Result] = {}
    users = set(owners.values())
    databases: dict[str, str] = {}  # the URLs to read the PATCHes back from
    with tempfile.TemporaryDirectory(prefix="querylang-bench-serve-") as tmp, contextlib.ExitStack() as stack:
        run = Path(tmp)
        serve = [sys.executable, "-m", "querylang", "serve", "--port", "0", "--threads", str(args.threads), "--db"]
        if "sqlite" not in skip:
            print("\nsqlite: querylang serve --db COPY (a copy of the cached database; WAL, synchronous=NORMAL)")
            databases["sqlite"] = str(run / "records.sqlite")
            shutil.copyfile(pristine, databases["sqlite"])
            work = Workload(records, args.clients, owners, make_tokens(databases["sqlite"], users))
            results["sqlite"] = launch("sqlite", [*serve, databases["sqlite"]], run / "sqlite.log", work)
            stack.callback(stop, results["sqlite"].server.process)
        if "postgres" not in skip:
            print("\npostgres: querylang serve --db postgresql://... (a throwaway cluster)")
            url = stack.enter_context(postgres_database(folder))
            if url is not None:
                databases["postgres"] = url
                work = Workload(records, args.clients, owners, make_tokens(url, users))
                results["postgres"] = launch("postgres", [*serve, url], run / "postgres.log", work)
                stack.callback(stop, results["postgres"].server.process)
        if "memory" not in skip:
            print("\nmemory: CampaignCommunications.from_folder on the same server (this script --serve-memory)")
            tokens = {user: secrets.token_urlsafe(32) for user in sorted(users)}
            tokens_file = run / "tokens.json"
            tokens_file.write_text(json.dumps({token: user for user, token in tokens.items()}))
            work = Workload(records, args.clients, owners, tokens)
            argv = [sys.executable, str(Path(__file__).resolve()), "--serve-memory", str(folder)]
            argv += ["--tokens-file", str(tokens_file), "--threads", str(args.threads)]
            results["memory"] = launch("memory", argv, run / "memory.log", work)
            stack.callback(stop, results["memory"].server.process)
        if not results:
            return
        slices = f"{args.rounds} slices of {args.seconds / args.rounds:g} s" if args.rounds > 1 else "one slice"
        print(f"\nunder load: each phase in {slices} per server, the servers in turn ({', '.join(results)})")
        since = datetime.now(UTC)
        load(results, args)
        for result in results.values():
            result.rss_mb, result.peak_mb = memory_mb(result.server.process.pid)
        for name, result in results.items():
            stop(result.server.process)
            result.notes = log_notes(result.server.log)
            if name in databases:
                result.durable = read_back(databases[name], result.work)
            print(f"\n{name}")
            show(result)
            if name == "postgres":
                print(f"  the records' table: {analyzed(databases[name], since)}")
    if results:
        summary(results, args.records)


if __name__ == "__main__":
    main()
