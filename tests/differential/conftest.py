"""Session fixtures for the differential tests: the real qs and the reference servers, started on first use.

A test that asks for one of these starts what it needs once per session and the session stops it,
whatever the result; ``pytest tests/unit`` starts nothing.

- ``reference_install``: ``shared/reference-server`` (``QUERYLANG_REFERENCE_SERVER_DIR``) copied
  to a temp folder, with ``npm ci`` run there.
- ``qs_path``: ``QUERYLANG_QS_PATH``, else the copy's ``node_modules/qs`` (qs 6.16.2).
- ``postgres_cluster`` (tests/conftest.py): the session's PostgreSQL cluster (``support.postgres``).
- ``reference_sample``: the server on its ``sample-records.json`` (contacts 76 and 77), or the
  running server that ``QUERYLANG_REFERENCE_URL`` names (its records:
  ``QUERYLANG_REFERENCE_RECORDS``); then nothing is started.
- ``reference_edge``: a second server, on a database of its own in the same cluster, with
  ``tests/corpus/reference-edge-records.json`` (contacts 90 and 91), or the running one that
  ``QUERYLANG_REFERENCE_EDGE_URL`` names.
- ``reference_each``: each of the two in turn.

Without node, npm or PostgreSQL, or when ``npm ci`` fails (offline) or a server does not come
up, the tests that need them skip with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reference_server import Reference
from support import Unavailable, postgres, reference

URL, RECORDS = "QUERYLANG_REFERENCE_URL", "QUERYLANG_REFERENCE_RECORDS"
EDGE_URL = "QUERYLANG_REFERENCE_EDGE_URL"
EDGE_RECORDS = Path(__file__).resolve().parents[1] / "corpus" / "reference-edge-records.json"
EDGE_DATABASE = "querylang_reference_edge"


@pytest.fixture(scope="session")
def reference_install(_sigterm_interrupts: None) -> Iterator[Path]:
    """An installed copy of the reference server, removed at the end of the session."""
    work = Path(tempfile.mkdtemp(prefix="querylang-reference-"))
    try:
        try:
            app = reference.install(reference.directory(), work / "reference-server")
        except Unavailable as why:
            pytest.skip(f"the reference server cannot be installed: {why}")
        yield app
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def qs_path(request: pytest.FixtureRequest) -> Path:
    """The qs that Express 4.22 uses, for ``qs_node.run_qs``."""
    given = os.environ.get("QUERYLANG_QS_PATH")
    if given:
        return Path(given)
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH")
    app: Path = request.getfixturevalue("reference_install")
    return app / "node_modules" / "qs"


@pytest.fixture(scope="session")
def reference_sample(request: pytest.FixtureRequest) -> Iterator[Reference]:
    """The reference server on the sample records (database ``querylang_reference``)."""
    given = os.environ.get(URL)
    if given:
        records = os.environ.get(RECORDS)
        yield _running(given, Path(records) if records else None)
        return
    app: Path = request.getfixturevalue("reference_install")
    cluster: postgres.Cluster = request.getfixturevalue("postgres_cluster")
    yield from _serve(app, app / "sample-records.json", cluster.env())


@pytest.fixture(scope="session")
def reference_edge(request: pytest.FixtureRequest) -> Iterator[Reference]:
    """The reference server on the edge-case records (database ``querylang_reference_edge``)."""
    given = os.environ.get(EDGE_URL)
    if given:
        yield _running(given, EDGE_RECORDS)
        return
    if os.environ.get(URL):
        pytest.skip(f"{URL} names your server, so none is started: set {EDGE_URL} to one started with {EDGE_RECORDS}")
    app: Path = request.getfixturevalue("reference_install")
    cluster: postgres.Cluster = request.getfixturevalue("postgres_cluster")
    try:
        cluster.create_database(EDGE_DATABASE)
    except Unavailable as why:
        pytest.skip(f"no database for the edge-case server: {why}")
    yield from _serve(app, EDGE_RECORDS, cluster.env(EDGE_DATABASE))


@pytest.fixture(params=["sample", "edge"])
def reference_each(request: pytest.FixtureRequest) -> Reference:
    """Each reference server in turn: the sample records, then the edge-case records."""
    server: Reference = request.getfixturevalue(f"reference_{request.param}")
    return server


def _serve(app: Path, records: Path, database: dict[str, str]) -> Iterator[Reference]:
    try:
        server = reference.serve(app, records, database, logs=app.parent)
    except Unavailable as why:
        pytest.skip(str(why))
    try:
        yield Reference(server.url, _load(records))
    finally:
        server.stop()


def _running(url: str, records: Path | None) -> Reference:
    """A server the user started; skips when nothing answers there."""
    url = url.rstrip("/")
    try:
        with urllib.request.urlopen(f"{url}/contacts/1/campaign-communications?$limit=0", timeout=5):
            pass
    except (OSError, urllib.error.URLError) as error:
        pytest.skip(f"no reference server answers at {url}: {error}")
    return Reference(url, None if records is None else _load(records))


def _load(records: Path) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(records.read_text(encoding="utf-8"))
    return loaded
