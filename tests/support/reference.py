"""The Feathers reference server for tests: ``shared/reference-server`` -> an npm-installed copy -> running servers.

``directory()`` finds the server's folder, ``install()`` copies it (``shared/`` is read-only on
CI and must stay clean) and runs ``npm ci`` in the copy, which also brings the qs that Express
uses (``node_modules/qs``), and ``serve()`` starts ``node server.js`` on a database of a
``support.postgres`` cluster and waits for its ``LISTENING <port>`` line.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from support import Unavailable, environment, tail

DIRECTORY_VARIABLE = "QUERYLANG_REFERENCE_SERVER_DIR"
REPOSITORY = Path(__file__).resolve().parents[2]


def directory() -> Path:
    """The reference server's folder.

    Returns:
        ``$QUERYLANG_REFERENCE_SERVER_DIR``, else ``shared/reference-server`` beside the checkout.

    Raises:
        Unavailable: there is no ``server.js`` there.
    """
    raw = os.environ.get(DIRECTORY_VARIABLE)
    path = Path(raw) if raw else REPOSITORY.parent / "shared" / "reference-server"
    if not (path / "server.js").is_file():
        raise Unavailable(f"no reference server at {path} (set {DIRECTORY_VARIABLE} to its folder)")
    return path


def install(source: Path, target: Path, *, timeout: float = 600) -> Path:
    """Copy the server's folder to ``target`` and run ``npm ci --no-audit --no-fund`` there.

    Args:
        source: the server's folder (``directory()``); only read.
        target: where the copy goes; it must not exist yet.
        timeout: seconds for ``npm ci``.

    Returns:
        ``target``; the real qs is ``target / "node_modules" / "qs"``.

    Raises:
        Unavailable: node or npm is not on PATH, or ``npm ci`` fails (offline, for example).
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        raise Unavailable("node is not on PATH")
    if npm is None:
        raise Unavailable("npm is not on PATH")
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("node_modules"))
    # The copy keeps shared/'s read-only modes; npm must write in it and rmtree delete it.
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    argv = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    env = environment(npm_config_update_notifier="false")
    try:
        done = subprocess.run(argv, cwd=target, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise Unavailable(f"npm ci in {target} took more than {timeout:.0f} s") from None
    if done.returncode != 0:
        raise Unavailable(f"npm ci failed in {target}: {tail(done.stdout + done.stderr)}")
    return target


@dataclass
class Server:
    """A running ``node server.js``; ``stop`` ends it."""

    url: str
    process: subprocess.Popen[bytes]

    def stop(self, timeout: float = 10) -> None:
        """Terminate the node process (kill it if it lingers) and reap it; safe to call twice."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def serve(app: Path, records: Path, database: Mapping[str, str], logs: Path, *, timeout: float = 60) -> Server:
    """Start ``node server.js --records records --port 0`` in ``app`` and wait until it listens.

    Args:
        app: an installed copy of the server (``install()``).
        records: the JSON records to fill its table with (the server drops and refills the table).
        database: the ``PG*`` variables of its database (``Cluster.env(name)``); one server per
            database, since each owns its table.
        logs: a folder for the server's stdout and stderr (``<name>.out``, ``<name>.err``, named
            after the records file).
        timeout: seconds to wait for ``LISTENING <port>``.

    Returns:
        The server, at ``http://127.0.0.1:<port>``.

    Raises:
        Unavailable: node is missing, or the server stops or stays silent; nothing is left running.
    """
    node = shutil.which("node")
    if node is None:
        raise Unavailable("node is not on PATH")
    out, err = logs / f"{records.stem}.out", logs / f"{records.stem}.err"
    # Files, not pipes: nobody reads the server's output once it listens, and a full pipe would
    # stall it.
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [node, "server.js", "--records", str(records), "--port", "0"],
            cwd=app,
            env=environment(**database),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
        )
    server = Server("", process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in out.read_text(errors="replace").split("\n")[:-1]:  # whole lines only
            if line.startswith("LISTENING "):
                server.url = f"http://127.0.0.1:{int(line.split()[1])}"
                return server
        if process.poll() is not None:
            break
        time.sleep(0.05)
    server.stop()
    message = ""
    with contextlib.suppress(OSError):
        message = tail(err.read_text(errors="replace"))
    raise Unavailable(f"the reference server did not start ({records.name}): {message or 'no output'}")
