"""A throwaway PostgreSQL 15 cluster for tests: the reference server's ``start_pg.sh`` -> a running ``Cluster``.

The cluster is configured as the reference server's (UTC, collation C, trust auth on 127.0.0.1
and a Unix socket, user ``postgres``, database ``querylang_reference``), so that a SQL engine
tested on it sees what the reference sees::

    cluster = postgres.start()
    try:
        cluster.create_database("mine")
        ...  # connect to cluster.dsn("mine"), or pass cluster.env("mine") to a client
    finally:
        cluster.stop()

``start`` picks a free port and a fresh folder directly under the system temp dir; ``stop``
signals the postmaster named in ``postmaster.pid`` (a fast shutdown), waits, and removes the
folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from support import Unavailable, environment, tail

DEFAULT_BIN = Path("/usr/lib/postgresql/15/bin")
DATABASE = "querylang_reference"
# sun_path holds 107 bytes and a NUL; PostgreSQL refuses a longer socket path.
_SOCKET_PATH_MAX = 107
_SOCKET_NAME = "/.s.PGSQL.65535"


@dataclass
class Cluster:
    """A running cluster that ``start`` made; ``stop`` ends it and deletes its folder."""

    root: Path
    port: int
    bin_dir: Path
    host: str = "127.0.0.1"
    user: str = "postgres"
    database: str = DATABASE

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    @property
    def pid(self) -> int | None:
        """The postmaster's pid, from ``postmaster.pid``; None when it is not running."""
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def dsn(self, database: str | None = None) -> str:
        """A libpq URI over TCP, for example ``postgresql://postgres@127.0.0.1:41234/querylang_reference``."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database or self.database}"

    def env(self, database: str | None = None) -> dict[str, str]:
        """The ``PG*`` variables that point a client (psql, node's ``pg``) at a database here."""
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGDATABASE": database or self.database,
        }

    def create_database(self, name: str) -> None:
        """Create an empty database ``name`` (``createdb``).

        Raises:
            Unavailable: ``createdb`` fails; the message holds its output.
        """
        argv = [str(self.bin_dir / "createdb"), "-h", self.host, "-p", str(self.port), "-U", self.user, name]
        done = subprocess.run(argv, capture_output=True, text=True, env=environment(), timeout=60, check=False)
        if done.returncode != 0:
            raise Unavailable(f"createdb {name} failed: {tail(done.stderr)}")

    def stop(self, timeout: float = 30) -> None:
        """Stop the postmaster by its pid (fast shutdown, then immediate) and delete the folder.

        Safe to call twice, and after a failed start.
        """
        pid = self.pid
        if pid is not None and _is_postmaster_of(pid, self.data_dir):
            for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 10.0), (signal.SIGKILL, 10.0)):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
                if _wait_gone(pid, wait):
                    break
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def start(*, script: Path | None = None, bin_dir: Path | None = None, attempts: int = 3) -> Cluster:
    """Start a throwaway cluster with ``start_pg.sh`` on a free port of 127.0.0.1.

    Args:
        script: the ``start_pg.sh`` to run; by default the reference server's
            (``support.reference.directory()``). It is only run, never written to.
        bin_dir: PostgreSQL's programs; by default ``$PGBIN``, else ``/usr/lib/postgresql/15/bin``.
        attempts: how many free ports to try, should another process take the one picked first.

    Returns:
        The running cluster, with an empty database ``querylang_reference``.

    Raises:
        Unavailable: no PostgreSQL in ``bin_dir``, no script, or the cluster does not come up
            (the message holds the end of the script's output and of the server log). Nothing is
            left running then.
    """
    if script is None:
        from support import reference

        script = reference.directory() / "start_pg.sh"
    bin_dir = bin_dir or Path(os.environ.get("PGBIN") or DEFAULT_BIN)
    if not (bin_dir / "postgres").is_file():
        raise Unavailable(f"PostgreSQL 15 is not installed ({bin_dir / 'postgres'} is missing)")
    if not script.is_file():
        raise Unavailable(f"no {script}")
    bash = shutil.which("bash")
    if bash is None:
        raise Unavailable("bash is not on PATH")
    reason = ""
    for _ in range(attempts):
        cluster = Cluster(root=_new_root(), port=_free_port(), bin_dir=bin_dir)
        env = environment(
            PGROOT=str(cluster.root), PGDATA=str(cluster.data_dir), PGPORT=str(cluster.port), PGBIN=str(bin_dir)
        )
        try:
            done = subprocess.run(
                [bash, str(script)], capture_output=True, text=True, env=env, timeout=120, check=False
            )
            ok, output = done.returncode == 0, done.stdout + done.stderr
        except subprocess.TimeoutExpired:
            ok, output = False, f"{script} took more than 120 s"
        if ok and cluster.pid is not None:
            return cluster
        log = _read(cluster.root / "server.log")
        cluster.stop()
        reason = f"{script} failed: {tail(output)}" + (f"\nserver.log: {tail(log)}" if log else "")
        if "already in use" not in log:
            break
    raise Unavailable(reason)


def _new_root() -> Path:
    # start_pg.sh deletes and re-creates PGROOT (0755, owned by postgres), and the postgres user
    # must be able to enter it: a folder directly under the system temp dir, never one inside a
    # private (0700) temp folder of ours.
    base = tempfile.gettempdir()
    if len(base) + len("/querylang-pg-xxxxxxxx") + len(_SOCKET_NAME) > _SOCKET_PATH_MAX:
        base = "/tmp"
    return Path(tempfile.mkdtemp(prefix="querylang-pg-", dir=base))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _is_postmaster_of(pid: int, data_dir: Path) -> bool:
    """Whether ``pid`` is a postgres serving ``data_dir``: a stale pid file must not name someone else."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not Path("/proc/self").exists():
        return True  # no /proc to ask: trust postmaster.pid
    try:
        return str(data_dir) in cmdline.read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return False


def _alive(pid: int) -> bool:
    # The postmaster is not our child (pg_ctl daemonizes it), so it cannot be waited for; a zombie
    # left for an init that does not reap counts as gone.
    if Path("/proc/self").exists():
        try:
            return _read_state(pid) != "Z"
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
