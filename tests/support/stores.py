"""The service's test data in each store: in memory, in a SQLite file, in a PostgreSQL database.

``Stores(kind, folder, cluster)`` makes ``CampaignCommunications`` over the same records,
contacts, users and teams in the store ``kind`` (``memory``, ``sqlite``, ``postgres``); each
SQLite service gets a file of its own, each PostgreSQL one a database of its own (``CREATE
DATABASE ... TEMPLATE`` of an empty one that ``db init`` made). ``close`` closes every
connection the services opened.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from querylang.service import CampaignCommunications, Contact, Team
from querylang.service.data import Folder, index_users
from querylang.service.database import Database, init, load_data

KINDS = ("memory", "sqlite", "postgres")
_numbers = itertools.count()


class Stores:
    """Services of one store kind over given data, each on a database of its own."""

    def __init__(self, kind: str, folder: Path, cluster: Any = None) -> None:
        self.kind = kind
        self.folder = folder
        self.cluster = cluster
        self._made: list[CampaignCommunications] = []
        self._template: str | None = None

    def url(self) -> str:
        """A new, empty database of this kind (initialised), as a URL or path."""
        number = next(_numbers)
        if self.kind == "sqlite":
            return str(self.folder / f"service-{number}.sqlite")
        import psycopg

        if self._template is None:
            self._template = f"querylang_template_{number}"
            self.cluster.create_database(self._template)
            template = Database(self.cluster.dsn(self._template))
            init(template)
            template.close()
        name = f"querylang_service_{number}"
        with psycopg.connect(self.cluster.dsn(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        return str(self.cluster.dsn(name))

    def service(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        contacts: Iterable[Mapping[str, Any]] = (),
        users: Iterable[Mapping[str, Any]] = (),
        teams: Iterable[Mapping[str, Any]] = (),
        clock: Callable[[], datetime] | None = None,
    ) -> CampaignCommunications:
        """The service over this data in this store."""
        if self.kind == "memory":
            made = CampaignCommunications(records, contacts=contacts, users=users, teams=teams, clock=clock)
        else:
            url = self.url()
            db = Database(url)
            data = Folder(
                records=[(f"record {n}", r) for n, r in enumerate(records)],
                contacts=[Contact.from_dict(c, f"contact {n}") for n, c in enumerate(contacts)],
                teams=[Team.from_dict(t, f"team {n}") for n, t in enumerate(teams)],
                users=index_users(list(users)),
                contacts_path=Path("contacts"),
            )
            load_data(db, data)
            db.close()
            made = CampaignCommunications.from_database(url, clock=clock)
        self._made.append(made)
        while len(self._made) > 4:  # a test that makes a service per example keeps few connections open
            self._made.pop(0).close()
        return made

    def close(self) -> None:
        """Close what every service made here holds open."""
        for made in self._made:
            made.close()
        self._made.clear()
