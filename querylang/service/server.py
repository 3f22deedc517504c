"""The WSGI application on waitress: a ``Server`` bound to a port, and ``serve``, what ``querylang serve`` runs.

``create_server(service, tokens=...)`` binds waitress (the optional extra ``querylang[serve]``,
imported only here and only when a server is made) to ``make_app``'s application; ``serve``
runs one until interrupted. ``demo(folder)`` is ``querylang serve --data DIR``: the folder
loaded into a throwaway SQLite database, with one new token per user.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from .auth import Tokens
from .database import Database, load
from .endpoint import CampaignCommunications
from .http import Authenticate, WSGIApp, make_app

__all__ = ["ServeUnavailable", "Server", "create_server", "demo", "serve"]


class ServeUnavailable(RuntimeError):
    """The HTTP server cannot run because waitress, the ``serve`` extra, is not installed."""


def _waitress(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ServeUnavailable(
            "querylang serve needs waitress: pip install 'querylang[serve]' (or pip install waitress)"
        ) from None



class Server:
    """The app on a waitress server bound to a port; ``run`` serves, ``close`` stops from any thread.

    ``with create_server(service, port=0).start() as server: urlopen(server.url + "/contacts/...")``
    runs it in a background thread for the length of the block.

    Attributes:
        url: where it listens, such as ``http://127.0.0.1:3030``.
    """

    def __init__(self, app: WSGIApp, *, host: str, port: int, threads: int) -> None:
        server_module = _waitress("waitress.server")
        self._wasyncore = _waitress("waitress.wasyncore")
        self._map: dict[int, Any] = {}  # waitress's sockets, by file descriptor
        self._parked: dict[int, Any] = {}  # the sockets taken out of the map to end the loop
        self._server = server_module.create_server(
            app, map=self._map, host=host, port=port, threads=threads, ident="querylang"
        )
        self._state = threading.Lock()
        self._running = False
        self._closed = False
        self._pulled = threading.Event()
        self._thread: threading.Thread | None = None
        bound = str(self._server.effective_host)
        self.url = f"http://{f'[{bound}]' if ':' in bound else bound}:{self._server.effective_port}"

    def run(self) -> None:
        """Serve until ``close`` is called or the process is interrupted (Ctrl-C)."""
        with self._state:
            if self._closed:
                return
            self._running = True
        try:
            self._server.run()  # waitress ends its loop on KeyboardInterrupt and SystemExit
        finally:
            self._stop_workers()
            with self._state:
                self._running = False
                closing = self._closed
            if closing:
                # close() may still be writing to the trigger; its descriptors must stay open
                # (a closed number can be reused at once) until that write is over.
                self._pulled.wait(timeout=10)
            self._wasyncore.close_all({**self._parked, **self._map}, ignore_all=True)
            self._map.clear()

    def start(self) -> Server:
        """Run in a daemon thread and return at once."""
        self._thread = threading.Thread(target=self.run, name="querylang-serve", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release the port; safe to call from any thread, and more than once."""
        with self._state:
            if self._closed:
                return
            self._closed = True
            running = self._running
        # Workers first: one finishing a response wakes the loop through the trigger.
        self._stop_workers()
        if not running:
            self._wasyncore.close_all(self._map, ignore_all=True)
            return
        try:
            # Runs _park in the loop's thread; the loop then ends and closes the sockets itself.
            self._server.trigger.pull_trigger(self._park)
        finally:
            self._pulled.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def _park(self) -> None:
        """Empty the loop's map (the loop ends when it is empty), keeping the sockets to close."""
        self._parked.update(self._map)
        self._map.clear()

    def _stop_workers(self) -> None:
        self._server.task_dispatcher.shutdown()  # waits for running tasks; cancels queued ones

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def create_server(
    service: CampaignCommunications,
    *,
    tokens: Authenticate,
    host: str = "127.0.0.1",
    port: int = 3030,
    threads: int = 4,
) -> Server:
    """Bind a waitress server for the service's endpoint; it serves once ``run`` or ``start`` is called.

    Args:
        service: what to answer from.
        tokens: a bearer token -> its user, or None for a token that is not valid
            (``Tokens(db).user_for``).
        host: the address to listen on; loopback by default.
        port: the port; 0 picks a free one (read it from ``Server.url``).
        threads: the worker threads answering requests.

    Returns:
        The bound ``Server``.

    Raises:
        ValueError: the port is outside 0-65535, or the host is not an address.
        ServeUnavailable: waitress is not installed.
        OSError: the address cannot be bound (the port is taken, say).
    """
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is outside 0-65535")
    return Server(make_app(service, tokens), host=host, port=port, threads=threads)


def serve(
    service: CampaignCommunications,
    *,
    tokens: Authenticate,
    host: str = "127.0.0.1",
    port: int = 3030,
    threads: int = 4,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the endpoint until interrupted: what ``querylang serve`` runs.

    Args:
        service: what to answer from (``CampaignCommunications.from_database``).
        tokens: a bearer token -> its user, or None.
        host: the address to listen on; loopback by default.
        port: the port; 0 picks a free one.
        threads: the worker threads answering requests.
        on_ready: called with the URL once the port is bound, before serving.

    Raises:
        ValueError: the port is outside 0-65535, or the host is not an address.
        ServeUnavailable: waitress is not installed.
        OSError: the address cannot be bound.
    """
    server = create_server(service, tokens=tokens, host=host, port=port, threads=threads)
    if on_ready is not None:
        on_ready(server.url)
    server.run()


@contextlib.contextmanager
def demo(folder: str | Path) -> Iterator[tuple[CampaignCommunications, Tokens, dict[int, str]]]:
    """A data folder in a throwaway SQLite database, with one new token per user, for the block.

    ``querylang serve --data DIR`` serves it, so that there is one HTTP path: every request
    authenticates with a token, as on a real database. The database is deleted afterwards.

    Yields:
        The service, its tokens, and ``{user id: token}`` for every user in ``users.json``
        and every owner, assignee, sharer and team member named in ``contacts.json`` and
        ``teams.json``.

    Raises:
        DataError: the folder's data is not valid.
    """
    with tempfile.TemporaryDirectory(prefix="querylang-demo-") as place:
        db = Database(Path(place) / "demo.sqlite")
        try:
            load(db, folder)
            tokens = Tokens(db)
            issued = {user: tokens.create(user)[1] for user in _users_of(db)}
            yield CampaignCommunications.from_database(db), tokens, issued
        finally:
            db.close()


def _users_of(db: Database) -> list[int]:
    users = {int(row[0]) for row in db.execute("SELECT id FROM users")}
    users |= {int(row[0]) for row in db.execute("SELECT owner_user_id FROM contacts")}
    assigned = db.execute("SELECT assigned_user_id FROM contacts WHERE assigned_user_id IS NOT NULL")
    users |= {int(row[0]) for row in assigned}
    users |= {int(row[0]) for row in db.execute("SELECT user_id FROM team_members")}
    for (shared,) in db.execute("SELECT shared_with_user_ids FROM contacts"):
        users |= {int(u) for u in json.loads(shared)}
    return sorted(users)
