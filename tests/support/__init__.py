"""Throwaway services for the tests (PostgreSQL, the reference server): started on demand, stopped by pid.

``postgres.start()`` gives a cluster on a free port; ``reference.install()`` and
``reference.serve()`` give the Feathers reference server of ``shared/reference-server`` on it.
Each raises ``Unavailable`` when what it needs is missing (node, npm, PostgreSQL) or does not
come up, and leaves nothing running; a fixture turns that into ``pytest.skip`` with the message.
"""

from __future__ import annotations

import os


class Unavailable(Exception):
    """What a test needs cannot run on this machine; the message says why."""


def environment(**overrides: str) -> dict[str, str]:
    """``os.environ`` without the ``PG*`` variables, plus ``overrides``.

    A ``PGDATA``, ``PGHOST`` or ``PGSSLMODE`` of the user's would otherwise steer the scripts and
    the node ``pg`` client away from the throwaway cluster.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(overrides)
    return env


def tail(text: str, lines: int = 15) -> str:
    """The last lines of a log, for a skip reason."""
    return "\n".join(text.strip().splitlines()[-lines:])
