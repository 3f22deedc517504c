"""Hypothesis profiles for every test folder (a quick default, and a long ``fuzz`` run), and the PostgreSQL cluster.

QUERYLANG_HYPOTHESIS_PROFILE=fuzz .venv/bin/pytest tests/property tests/differential

``postgres_cluster`` is the session's one PostgreSQL 15 (``support.postgres``): the reference
servers (``tests/differential``) and the SQL engine's tests (``tests/sql``) each use databases or
schemas of their own in it. It is started on first use and stopped by pid at the end, also when
a CI job's timeout sends SIGTERM.

The machines are shared and small (two cores), so no profile fails a test for slow input
generation or a slow example: speed is measured by the scripts in benchmarks/, not here.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType

import pytest
from hypothesis import HealthCheck, settings
from support import Unavailable, postgres

_SLOW_IS_FINE = [HealthCheck.too_slow]

settings.register_profile("querylang", max_examples=100, deadline=None, suppress_health_check=_SLOW_IS_FINE)
settings.register_profile(
    "fuzz",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[*_SLOW_IS_FINE, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("QUERYLANG_HYPOTHESIS_PROFILE", "querylang"))


@pytest.fixture(scope="session")
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a CI job's timeout) ends the run as Ctrl-C does, so that the teardown still stops the servers."""
    if (
        signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.fixture(scope="session")
def postgres_cluster(_sigterm_interrupts: None) -> Iterator[postgres.Cluster]:
    """One PostgreSQL 15 cluster for the session, stopped by pid at its end; skips where it cannot start."""
    try:
        cluster = postgres.start()
    except Unavailable as why:
        pytest.skip(f"PostgreSQL cannot be started: {why}")
    try:
        yield cluster
    finally:
        cluster.stop()
