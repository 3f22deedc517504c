"""Durability of PATCH over HTTP, on SQLite and on PostgreSQL: concurrent writers on two servers, and a killed server.

Both tests run ``querylang serve --db URL`` as real processes over a database loaded with
``examples/`` and talk to them over loopback with ``http.client``, as users allowed to use
contact 76 (each with a bearer token of their own):

- ``test_concurrent_patches_on_two_servers_are_atomic_and_none_is_lost``: two servers on the
  same database, 8 client threads, each alternating ``{"is_active": false}`` and
  ``{"is_active": true}`` PATCHes, half on one hot record and half on a pool of other records,
  with GETs of single records and of pages in between. No answer may be other than 200, no
  record read may be one no PATCH stored (a torn record, a mix of two PATCHes), and the final
  state of every record must be the one the PATCH that committed last stored (see
  ``_check_final`` for how "last" is decided without seeing the database's commit order).
  Last, each record's whole history must be linearizable (``_linearizable``): some order of
  its requests, each placed between its send and its answer, explains every answer by the
  service's rules and ends in the final state. That catches lost, doubled and stale writes
  that the final state alone hides.
- ``test_patches_acknowledged_before_a_kill_survive_it``: one server, a few threads streaming
  PATCHes, the server SIGKILLed mid-stream, a new server started on the same database; every
  acknowledged PATCH must be there, a PATCH in flight at the kill may or may not be, and no
  record may be half written. Afterwards every record can still be patched (no lock outlived
  the killed process).

Contact 76 is owned by user 99; in ``examples/`` five users may use it (its owner, the members
of the owner's team, its assigned user, the users it is shared with). The databases here load a
copy of ``examples/`` in which contact 76 is also shared with more of the example users, so that
each of the 8 threads acts as a different user (``_data`` makes the copy, ``_allowed_users``
computes the set from it). The criteria below never assume that a ``completing_user_id`` names
one thread all the same.

The pools hold only records that are consistent in the example data (``is_active`` true exactly
when ``completing_user_id`` and ``completed_at`` are both null): 24 of contact 76's records are
not (say, inactive with a ``completed_at`` and no ``completing_user_id``), and a PATCH that
changes nothing keeps such a record as it is, so they would blur the check for torn records.

Each engine takes about 6-10 s for both tests on a two-core machine (the servers' start included).
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support import environment, postgres, tail

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CONTACT = 76
ROUTE = f"/contacts/{CONTACT}/campaign-communications"
HOT = 540654
"""The record every concurrent thread patches on every other request (consistent in the example data)."""

THREADS = 8
PATCHES_PER_THREAD = 200
POOL = 32
"""How many other records the concurrent threads patch at random: few enough that threads meet on them."""

CRASH_THREADS = 4
CRASH_RECORDS_PER_THREAD = 8
START_TIMEOUT = 60.0
HTTP_TIMEOUT = 60.0
_STATE_FIELDS = ("is_active", "completing_user_id", "completed_at")
"""The fields a PATCH sets; no other may change."""

Record = dict[str, Any]


# ---------------------------------------------------------------- the database and the servers


@dataclass
class Place:
    """A database loaded with ``examples/`` and a temp folder for the servers' output."""

    engine: str
    url: str
    folder: Path
    users: list[int]

    def tokens(self, users: list[int]) -> list[str]:
        """A new token for each user of ``users`` (a user named twice gets two tokens)."""
        from querylang.service.auth import Tokens
        from querylang.service.database import Database

        db = Database(self.url)
        try:
            made = Tokens(db)
            return [made.create(user)[1] for user in users]
        finally:
            db.close()


def _data(folder: Path) -> Path:
    """A copy of ``examples/`` where contact 76 is shared with enough users for one per thread."""
    data = folder / "data"
    data.mkdir()
    for name in ("campaign-communications.jsonl", "users.json", "teams.json"):
        (data / name).write_bytes((EXAMPLES / name).read_bytes())
    contacts = json.loads((EXAMPLES / "contacts.json").read_text(encoding="utf-8"))
    everyone = sorted(u["id"] for u in json.loads((EXAMPLES / "users.json").read_text(encoding="utf-8")))
    (data / "contacts.json").write_text(json.dumps(contacts), encoding="utf-8")
    allowed = set(_allowed_users(data))
    contact = next(c for c in contacts if c["id"] == CONTACT)
    contact["shared_with_user_ids"] = sorted(
        {*contact["shared_with_user_ids"], *[u for u in everyone if u not in allowed][: THREADS - len(allowed)]}
    )
    (data / "contacts.json").write_text(json.dumps(contacts), encoding="utf-8")
    return data


def _allowed_users(data: Path = EXAMPLES) -> list[int]:
    """The users who may use contact 76: its owner, the owner's team mates, its assignee, those it is shared with."""
    contacts = json.loads((data / "contacts.json").read_text(encoding="utf-8"))
    teams = json.loads((data / "teams.json").read_text(encoding="utf-8"))
    contact = next(c for c in contacts if c["id"] == CONTACT)
    owner = contact["owner_user_id"]
    users = {owner, *contact["shared_with_user_ids"]}
    if contact["assigned_user_id"] is not None:
        users.add(contact["assigned_user_id"])
    for team in teams:
        if owner in team["member_user_ids"]:
            users.update(team["member_user_ids"])
    return sorted(users)


@pytest.fixture(params=["sqlite", "postgres"])
def place(request: pytest.FixtureRequest) -> Iterator[Place]:
    """A database of each engine holding ``examples/``, in a temp folder removed afterwards."""
    for module, why in (("waitress", "waitress (the serve extra)"), ("sqlglot", "sqlglot (the serve extra)")):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"querylang serve needs {why}, which is not installed")
    engine: str = request.param
    with tempfile.TemporaryDirectory(prefix="querylang-durability-") as temp:
        folder = Path(temp)
        if engine == "sqlite":
            url = str(folder / "app.sqlite")
        else:
            if importlib.util.find_spec("psycopg") is None:
                pytest.skip("the PostgreSQL service needs psycopg (the postgres extra), which is not installed")
            cluster: postgres.Cluster = request.getfixturevalue("postgres_cluster")
            name = f"durability_{uuid.uuid4().hex[:12]}"
            cluster.create_database(name)
            url = cluster.dsn(name)
        from querylang.service.database import Database, load

        data = _data(folder)
        db = Database(url)
        try:
            load(db, data)
        finally:
            db.close()
        yield Place(engine, url, folder, _allowed_users(data))


@dataclass
class Server:
    """A ``querylang serve`` process; ``url`` is the first line it prints."""

    process: subprocess.Popen[bytes]
    url: str

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.contextmanager
def serving(place: Place, name: str) -> Iterator[Server]:
    """Run ``querylang serve --db URL --port 0 --threads 8`` for the block; SIGKILLed by pid at its end.

    Its stdout and stderr (the access log: a line per request) go to files in the place's folder,
    so that no pipe fills up and blocks it.
    """
    out_path, err_path = place.folder / f"{name}.out", place.folder / f"{name}.err"
    argv = [sys.executable, "-m", "querylang", "serve", "--db", place.url, "--port", "0", "--threads", "8"]
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=environment(), cwd=place.folder
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            first = out_path.read_text(encoding="utf-8", errors="replace").split("\n", 1)
            if len(first) > 1 and first[0].startswith("http"):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                log = err_path.read_text(encoding="utf-8", errors="replace")
                pytest.fail(f"querylang serve ({place.engine}) did not start: exit {process.poll()}\n{tail(log)}")
            time.sleep(0.05)
        yield Server(process, first[0].strip())
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _kill(server: Server) -> None:
    """SIGKILL the server by its pid and wait for it to be gone."""
    os.kill(server.pid, signal.SIGKILL)
    server.process.wait(timeout=30)


class Client:
    """One keep-alive HTTP connection to a server, as one user (a bearer token)."""

    def __init__(self, server: Server, token: str) -> None:
        host_port = server.url.removeprefix("http://")
        host, _, port = host_port.rpartition(":")
        self._connection = http.client.HTTPConnection(host, int(port), timeout=HTTP_TIMEOUT)
        self._headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        """Send one request; the status and the JSON answer. Connection errors go through as they are."""
        headers = dict(self._headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        self._connection.request(method, path, body=data, headers=headers)
        response = self._connection.getresponse()
        raw = response.read()
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = raw.decode("utf-8", errors="replace")
        return response.status, answer

    def close(self) -> None:
        self._connection.close()


def _records(server: Server, token: str) -> dict[int, Record]:
    """Every record of contact 76 as the server answers it now, by id (pages of 100)."""
    client = Client(server, token)
    found: dict[int, Record] = {}
    try:
        while True:
            status, page = client.call("GET", f"{ROUTE}?$limit=100&$skip={len(found)}&$sort[id]=1")
            assert status == 200, page
            found.update((r["id"], r) for r in page["data"])
            if not page["data"] or len(found) >= page["total"]:
                return found
    finally:
        client.close()


def _consistent(record: Record) -> bool:
    """Whether the record is whole: active exactly when it has neither a completing user nor a completion time."""
    active = record.get("is_active")
    user, at = record.get("completing_user_id"), record.get("completed_at")
    return (active is True and user is None and at is None) or (active is False and user is not None and at is not None)


def _key(record: Record) -> str:
    return json.dumps(record, sort_keys=True)


def _state(record: Record) -> tuple[object, object, object]:
    return record.get("is_active"), record.get("completing_user_id"), record.get("completed_at")


def _pool(initial: dict[int, Record], size: int, seed: int) -> list[int]:
    """``size`` consistent records of contact 76 other than the hot one, picked with a fixed seed."""
    ids = sorted(i for i, r in initial.items() if i != HOT and _consistent(r))
    return sorted(random.Random(seed).sample(ids, size))


# ---------------------------------------------------------------- what the clients did


@dataclass
class Op:
    """One request of a client thread: a PATCH (``value`` is the ``is_active`` sent) or a GET (``value`` None).

    ``sent`` and ``received`` are ``time.monotonic()`` just before the request is written and just
    after the answer is read (None: no answer); ``sent_wall`` is the wall clock at ``sent``.
    """

    thread: int
    user: int
    record: int
    value: bool | None
    sent: float
    sent_wall: float
    received: float | None = None
    status: int | None = None
    body: Any = None
    error: str | None = None


@dataclass
class Log:
    """The requests of one thread, in the order it made them."""

    thread: int
    user: int
    ops: list[Op] = field(default_factory=list)

    def run(self, client: Client, method: str, record: int, path: str, value: bool | None) -> Op:
        op = Op(self.thread, self.user, record, value, time.monotonic(), time.time())
        self.ops.append(op)
        try:
            status, body = client.call(method, path, None if value is None else {"is_active": value})
        except (OSError, http.client.HTTPException) as error:
            op.error = f"{type(error).__name__}: {error}"
            raise
        op.received, op.status, op.body = time.monotonic(), status, body
        return op


# ---------------------------------------------------------------- 1. concurrency


def _concurrent_client(log: Log, client: Client, pool: list[int], start: threading.Barrier, seed: int) -> None:
    """PATCH false, true, false, ... alternately on the hot record and on random records of the pool, and GET."""
    rng = random.Random(seed)
    start.wait(timeout=START_TIMEOUT)
    try:
        for n in range(PATCHES_PER_THREAD):
            record = HOT if n % 2 == 0 else rng.choice(pool)
            value = (n // 2) % 2 == 1  # false then true, on the hot record and on the pool alike
            log.run(client, "PATCH", record, f"{ROUTE}/{record}", value)
            read = HOT if n % 2 == 1 else rng.choice(pool)
            # Both read paths: GET of one record, and a page holding only it (find).
            path = f"{ROUTE}/{read}" if n % 4 < 2 else f"{ROUTE}?id={read}&$limit=5"
            log.run(client, "GET", read, path, None)
    except (OSError, http.client.HTTPException):
        pass  # the op holds the error; the test reports it
    finally:
        client.close()


def _read_body(op: Op) -> Record | None:
    """The record a GET answered: the body of a GET of one record, or the one row of its page."""
    if op.status != 200 or not isinstance(op.body, dict):
        return None
    if "data" in op.body:
        rows = op.body["data"]
        return rows[0] if len(rows) == 1 else None
    return op.body


def _check_final(record: int, final: Record, initial: Record, patches: list[Op]) -> list[str]:
    """Whether ``final`` is what the PATCH that committed last on ``record`` stored.

    The database's commit order is not visible to the test, so "last" is decided by two necessary
    conditions, each sound on its own (a correct server never fails them):

    1. Real time. Call L the PATCH that committed last; its answer is the record as it stored it,
       which nothing changed afterwards: ``final``. Every PATCH was sent before it committed, so
       before L committed, so before L's answer arrived. Hence some PATCH answered with ``final``
       must have been received after the last PATCH on the record was sent. A PATCH that was
       acknowledged and then lost (a later send, overwritten by an earlier one) fails this
       whenever the PATCHes answered with ``final`` all came back before it started.
    2. The server's clock. A PATCH to false takes ``completed_at`` from the wall clock while it
       holds the record's lock (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: ``FOR UPDATE``), so in
       commit order the completions of a record carry non-decreasing ``completed_at`` (both servers
       read the same machine's clock; the test assumes it is not set back while it runs). So a
       final completed record must carry the greatest ``completed_at`` any PATCH answered with;
       and a final active record was activated after the last completion: some PATCH to true
       must have come back after a PATCH answered with that greatest ``completed_at`` was sent.

    ``completing_user_id`` is not taken to name a thread: two threads may act as one user.
    """
    problems: list[str] = []
    if not patches:
        if final != initial:
            problems.append(f"record {record}: never patched, yet it changed: {initial} -> {final}")
        return problems
    if all(_key(op.body) != _key(final) for op in patches):
        problems.append(f"record {record}: its final state {_state(final)} is the answer of no PATCH")
        return problems
    last_sent = max(op.sent for op in patches)
    if not any(_key(op.body) == _key(final) and (op.received or 0) > last_sent for op in patches):
        problems.append(
            f"record {record}: its final state {_state(final)} was answered only to PATCHes that came back before "
            f"the last PATCH on it was sent (a lost update)"
        )
    completions = [op for op in patches if op.body["is_active"] is False and isinstance(op.body["completed_at"], str)]
    if completions:
        latest = max(str(op.body["completed_at"]) for op in completions)
        if final["is_active"] is False and final["completed_at"] != latest:
            problems.append(
                f"record {record}: it ends completed at {final['completed_at']}, but a PATCH answered a "
                f"completion at {latest}, later (a lost update)"
            )
        if final["is_active"] is True:
            sent_latest = min(op.sent for op in completions if op.body["completed_at"] == latest)
            if not any(op.body["is_active"] is True and (op.received or 0) > sent_latest for op in patches):
                problems.append(
                    f"record {record}: it ends active, but every PATCH to true came back before the completion "
                    f"at {latest} was sent (a lost update)"
                )
    return problems


State = tuple[object, object, object]
LINEARIZE_BUDGET = 2_000_000
"""The most steps ``_linearizable`` takes on one record before it gives up (it never needed 1% of it)."""


def _step(state: State, op: Op) -> State | None:
    """The record's state after ``op`` by the service's rules; None when its answer cannot follow ``state``.

    A GET reads the state; a PATCH to true activates (both completion fields null); a PATCH to
    false completes an active record as its user, at the server's time (the answer says which),
    and leaves a completed one as it is, answering it.
    """
    seen = _state(op.body if op.value is not None else _read_body(op) or {})
    if op.value is None:
        return state if seen == state else None
    if op.value is True:
        return seen if seen == (True, None, None) else None
    if state[0] is True:
        return seen if seen[0] is False and seen[1] == op.user and isinstance(seen[2], str) else None
    return state if seen == state else None


def _linearizable(initial: State, ops: list[Op]) -> bool | None:
    """Whether the requests on one record can be put in one order that respects real time and the service's rules.

    This is the linearizability check of Wing and Gong with Lowe's cache, as Porcupine runs it:
    each request took effect at one instant between ``sent`` and ``received``; find an order of
    those instants in which every answer is what ``_step`` says from the state before it. The
    last request must be a read of the final state. None: undecided within ``LINEARIZE_BUDGET``.
    """
    n = len(ops)
    # Entries 2i (op i sent) and 2i+1 (op i answered), in time order; a tie puts the send first.
    order = sorted(range(2 * n), key=lambda e: (ops[e // 2].sent if e % 2 == 0 else ops[e // 2].received, e % 2))
    head = 2 * n
    after, before = [0] * (2 * n + 1), [0] * (2 * n + 1)
    chain = [head, *order]
    for a, b in itertools.pairwise(chain):
        after[a], before[b] = b, a
    after[chain[-1]], before[head] = -1, chain[-1]
    end = -1

    def lift(e: int) -> None:
        for x in (e, e + 1):
            after[before[x]] = after[x]
            if after[x] != end:
                before[after[x]] = before[x]

    def unlift(e: int) -> None:
        for x in (e + 1, e):
            after[before[x]] = x
            if after[x] != end:
                before[after[x]] = x

    done, state = 0, initial
    seen: set[tuple[int, State]] = set()
    stack: list[tuple[int, State]] = []
    entry = after[head]
    for _ in range(LINEARIZE_BUDGET):
        if after[head] == end:
            return True
        if entry % 2 == 0:  # a request not yet placed: place it here, if its answer fits
            new = _step(state, ops[entry // 2])
            if new is not None and (done | 1 << (entry // 2), new) not in seen:
                seen.add((done | 1 << (entry // 2), new))
                stack.append((entry, state))
                done, state = done | 1 << (entry // 2), new
                lift(entry)
                entry = after[head]
                continue
            entry = after[entry]
        else:  # an answer whose request is not placed: undo the last placement
            if not stack:
                return False
            entry, state = stack.pop()
            done &= ~(1 << (entry // 2))
            unlift(entry)
            entry = after[entry]
    return None


def test_concurrent_patches_on_two_servers_are_atomic_and_none_is_lost(place: Place) -> None:
    users = place.users[:THREADS]  # a different user for each thread (see the module's docstring)
    assert len(set(users)) == THREADS
    tokens = place.tokens(users)
    with serving(place, "first") as first, serving(place, "second") as second:
        servers = [first, second]
        initial = _records(first, tokens[0])
        assert _consistent(initial[HOT]), initial[HOT]
        pool = _pool(initial, POOL, seed=76)
        logs = [Log(i, users[i]) for i in range(THREADS)]
        start = threading.Barrier(THREADS)
        threads = [
            threading.Thread(
                target=_concurrent_client,
                args=(logs[i], Client(servers[i % 2], tokens[i]), pool, start, 1000 + i),
                name=f"durability-client-{i}",
                daemon=True,
            )
            for i in range(THREADS)
        ]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=240)
        took = time.monotonic() - began
        assert not any(t.is_alive() for t in threads), "a client thread did not finish in 240 s"
        finals = [_records(server, tokens[0]) for server in servers]

    ops = [op for log in logs for op in log.ops]
    problems: list[str] = []
    for op in ops:
        if op.error is not None or op.status != 200:
            what = "PATCH" if op.value is not None else "GET"
            problems.append(f"{what} of record {op.record} by user {op.user}: {op.error or op.status} {op.body}")
    patches: dict[int, list[Op]] = {}
    for op in ops:
        if op.value is not None and op.status == 200:
            patches.setdefault(op.record, []).append(op)
    stored = {r: {_key(initial[r])} | {_key(op.body) for op in patches.get(r, [])} for r in initial}

    for op in ops:
        if op.status != 200:
            continue
        seen = op.body if op.value is not None else _read_body(op)
        if seen is None:
            problems.append(f"GET of record {op.record}: no single record in {op.body}")
            continue
        if seen["id"] != op.record or set(seen) != set(initial[op.record]):
            problems.append(f"record {op.record}: an answer is not that whole record: {seen}")
        elif not _consistent(seen):
            problems.append(f"record {op.record}: half written (torn) in an answer: {_state(seen)}")
        elif op.value is not None and seen["is_active"] is not op.value:
            problems.append(f"record {op.record}: a PATCH to {op.value} answered {_state(seen)}")
        elif op.value is None and _key(seen) not in stored[op.record]:
            problems.append(f"record {op.record}: a GET read {_state(seen)}, which no PATCH stored")
        elif any(seen[k] != v for k, v in initial[op.record].items() if k not in _STATE_FIELDS):
            problems.append(f"record {op.record}: a field other than the three a PATCH sets changed: {seen}")

    # Monotonic reads: what a thread sees of a record after an answer is at least as new as that
    # answer, so the completion times it sees never go back (the server's clock, as in _check_final).
    for log in logs:
        newest: dict[int, str] = {}
        for op in log.ops:
            seen = op.body if op.value is not None else _read_body(op)
            if op.status != 200 or seen is None or seen.get("is_active") is not False:
                continue
            at = str(seen["completed_at"])
            if at < newest.get(op.record, ""):
                problems.append(
                    f"record {op.record}: thread {log.thread} read a completion at {at} after one at "
                    f"{newest[op.record]} (it went back: a stale read, or a completion overwritten by an older one)"
                )
            newest[op.record] = max(at, newest.get(op.record, ""))

    ended = time.monotonic()
    undecided: list[int] = []
    for record in [HOT, *pool]:
        if finals[0][record] != finals[1][record]:
            problems.append(f"record {record}: the two servers read it differently at the end")
        problems += _check_final(record, finals[0][record], initial[record], patches.get(record, []))
        history = [op for op in ops if op.record == record and op.status == 200]
        history.append(Op(-1, -1, record, None, ended, time.time(), ended + 1, 200, finals[0][record]))
        verdict = _linearizable(_state(initial[record]), history)
        if verdict is False:
            problems.append(
                f"record {record}: no order of its {len(history)} requests within their times explains every "
                "answer (not linearizable: a lost, stale or doubled write)"
            )
        elif verdict is None:
            undecided.append(record)
    if undecided:
        warnings.warn(f"linearizability undecided within the budget for records {undecided}", stacklevel=1)
    untouched = [r for r in initial if r != HOT and r not in pool]
    problems += [f"record {r}: nobody patched it, yet it changed" for r in untouched if finals[0][r] != initial[r]]

    count = sum(1 for op in ops if op.value is not None)
    assert count == THREADS * PATCHES_PER_THREAD or problems
    assert not problems, (
        f"{place.engine}: {len(problems)} problems in {count} PATCHes and {len(ops) - count} GETs "
        f"({took:.1f} s):\n" + "\n".join(problems[:25])
    )


# ---------------------------------------------------------------- 2. a killed server


def _crash_client(log: Log, client: Client, records: list[int], known: dict[int, bool], stop: threading.Event) -> None:
    """PATCH the thread's own records, each to the opposite of what it last was, until an error or ``stop``.

    One request at a time, on records no other thread touches: the last acknowledged answer of a
    record is its state then, and at most one PATCH (the last) is in flight when the server dies.
    """
    rng = random.Random(log.thread)
    try:
        while not stop.is_set():
            record = rng.choice(records)
            op = log.run(client, "PATCH", record, f"{ROUTE}/{record}", not known[record])
            if op.status != 200:
                return
            known[record] = op.body["is_active"]
    except (OSError, http.client.HTTPException):
        pass  # the server was killed: the op holds the error
    finally:
        client.close()


def _ms(wall: float) -> str:
    """A wall-clock time as the service renders ``completed_at``: UTC, milliseconds, ``Z``."""
    return datetime.fromtimestamp(wall, UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def test_patches_acknowledged_before_a_kill_survive_it(place: Place) -> None:
    users = place.users[:CRASH_THREADS]
    tokens = place.tokens(users)
    rng = random.Random(3)
    with serving(place, "doomed") as doomed:
        initial = _records(doomed, tokens[0])
        mine = _pool(initial, CRASH_THREADS * CRASH_RECORDS_PER_THREAD, seed=77)
        rng.shuffle(mine)
        owned = [mine[i::CRASH_THREADS] for i in range(CRASH_THREADS)]
        logs = [Log(i, users[i]) for i in range(CRASH_THREADS)]
        stop = threading.Event()
        known = [{r: bool(initial[r]["is_active"]) for r in records} for records in owned]
        threads = [
            threading.Thread(
                target=_crash_client,
                args=(logs[i], Client(doomed, tokens[i]), owned[i], known[i], stop),
                name=f"durability-crash-{i}",
                daemon=True,
            )
            for i in range(CRASH_THREADS)
        ]
        for thread in threads:
            thread.start()
        # Kill at a moment of no significance: after some hundred acknowledged PATCHes.
        target, deadline = rng.randint(100, 250), time.monotonic() + 30
        while sum(op.status == 200 for log in logs for op in log.ops) < target and time.monotonic() < deadline:
            time.sleep(0.005)
        killed_wall = time.time()
        _kill(doomed)
        for thread in threads:
            thread.join(timeout=HTTP_TIMEOUT + 10)
        stop.set()
        assert not any(t.is_alive() for t in threads), "a client thread did not notice the kill"

    ops = [op for log in logs for op in log.ops]
    acknowledged = [op for op in ops if op.status == 200]
    refused = [op for op in ops if op.status is not None and op.status != 200]
    assert not refused, [(op.record, op.status, op.body) for op in refused[:5]]
    assert len(acknowledged) >= 20, f"only {len(acknowledged)} PATCHes came back before the kill"

    with serving(place, "after") as after:
        finals = _records(after, tokens[0])
        problems: list[str] = []
        for log, records in zip(logs, owned, strict=True):
            for record in records:
                done = [op for op in log.ops if op.record == record]
                acked = [op for op in done if op.status == 200]
                last = acked[-1].body if acked else initial[record]
                pending = [op for op in done if op.status is None and (not acked or op.sent > acked[-1].sent)]
                final = finals[record]
                if any(final[k] != v for k, v in initial[record].items() if k not in _STATE_FIELDS):
                    problems.append(f"record {record}: a field other than the three a PATCH sets changed: {final}")
                if not _consistent(final):
                    problems.append(f"record {record}: half written (torn) after the kill: {_state(final)}")
                if final == last:
                    continue
                if not any(_could_be(final, last, op, killed_wall) for op in pending):
                    problems.append(
                        f"record {record}: after the kill it is {_state(final)}; the last acknowledged PATCH stored "
                        f"{_state(last)}" + (f", and one in flight sent {pending[-1].value}" if pending else "")
                    )
        # No lock outlived the killed server: every record takes a PATCH again, at once.
        client = Client(after, tokens[0])
        try:
            for record in mine:
                began = time.monotonic()
                status, body = client.call("PATCH", f"{ROUTE}/{record}", {"is_active": not finals[record]["is_active"]})
                if status != 200 or not _consistent(body):
                    problems.append(f"record {record}: a PATCH after the restart answered {status} {body}")
                elif time.monotonic() - began > 5:
                    problems.append(f"record {record}: a PATCH after the restart waited {time.monotonic() - began} s")
        finally:
            client.close()
    in_flight = sum(op.status is None for op in ops)
    assert not problems, (
        f"{place.engine}: {len(problems)} problems after a kill with {len(acknowledged)} PATCHes acknowledged and "
        f"{in_flight} in flight:\n" + "\n".join(problems[:25])
    )


def _could_be(final: Record, last: Record, pending: Op, killed_wall: float) -> bool:
    """Whether ``final`` is what the PATCH in flight at the kill stores over ``last``, had it committed."""
    if pending.value is True:
        return _state(final) == (True, None, None)
    at = final.get("completed_at")
    return (
        final.get("is_active") is False
        and final.get("completing_user_id") == pending.user
        and isinstance(at, str)
        and _ms(pending.sent_wall - 1) <= at <= _ms(killed_wall + 1)  # the server's clock, read while it ran
        and last.get("is_active") is True
    )
