"""The service's data -> checked objects: contacts, teams, users, and a data folder's files.

Every reader raises ``DataError`` naming the file, line or item that is not valid.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ..values import json_problem, shown
from .errors import DataError

__all__ = ["Contact", "Folder", "Team", "index_users", "read_folder"]


def _int(value: object, what: str) -> int:
    if type(value) is not int:
        raise DataError(f"{what} must be a whole number, not {shown(value)}")
    return value


def _optional_int(value: object, what: str) -> int | None:
    return None if value is None else _int(value, what)


def _ids(value: object, what: str) -> frozenset[int]:
    if value is None:
        return frozenset()
    if not isinstance(value, list | tuple | set | frozenset):
        raise DataError(f"{what} must be a list of user ids, not {shown(value)}")
    return frozenset(_int(v, f"{what}[]") for v in value)


def _object(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise DataError(f"{what} must be a JSON object, not {shown(value)}")
    return value


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact, as far as access goes.

    Attributes:
        id: the contact's id (the ``{contact_id}`` of the route).
        owner_user_id: the user who owns the contact.
        assigned_user_id: the user the contact is assigned to, or None.
        shared_with_user_ids: the users the contact is shared with.
    """

    id: int
    owner_user_id: int
    assigned_user_id: int | None = None
    shared_with_user_ids: frozenset[int] = frozenset()

    @classmethod
    def from_dict(cls, data: object, where: str = "contact") -> Contact:
        """A contact from its JSON object (other keys, such as names, are ignored).

        Raises:
            DataError: a key is missing or of the wrong type.
        """
        item = _object(data, where)
        return cls(
            id=_int(item.get("id"), f"{where}: 'id'"),
            owner_user_id=_int(item.get("owner_user_id"), f"{where}: 'owner_user_id'"),
            assigned_user_id=_optional_int(item.get("assigned_user_id"), f"{where}: 'assigned_user_id'"),
            shared_with_user_ids=_ids(item.get("shared_with_user_ids"), f"{where}: 'shared_with_user_ids'"),
        )


@dataclass(frozen=True, slots=True)
class Team:
    """A team of users; a contact's owner's team members may update the contact's communications.

    Attributes:
        id: the team's id.
        member_user_ids: the users on the team.
        name: the team's name.
    """

    id: int
    member_user_ids: frozenset[int]
    name: str = ""

    @classmethod
    def from_dict(cls, data: object, where: str = "team") -> Team:
        """A team from its JSON object ``{id, name, member_user_ids}``.

        Raises:
            DataError: a key is missing or of the wrong type.
        """
        item = _object(data, where)
        return cls(
            id=_int(item.get("id"), f"{where}: 'id'"),
            member_user_ids=_ids(item.get("member_user_ids"), f"{where}: 'member_user_ids'"),
            name=str(item.get("name", "")),
        )


def index_users(users: Mapping[int, Mapping[str, Any]] | Iterable[object]) -> dict[int, dict[str, Any]]:
    """Users by id (copies), from a list of user objects or a mapping of id to user.

    Raises:
        DataError: a user that is not an object, has no whole-number ``id``, or repeats one.
    """
    items: Iterable[object] = users.values() if isinstance(users, Mapping) else users
    index: dict[int, dict[str, Any]] = {}
    for n, user in enumerate(items):
        item = _object(user, f"user {n}")
        user_id = _int(item.get("id"), f"user {n}: 'id'")
        if user_id in index:
            raise DataError(f"user {n}: id {user_id} appears twice")
        index[user_id] = dict(item)
    return index


def _load_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DataError(f"{path}: cannot read: {error.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"{path}: not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except (ValueError, RecursionError) as error:  # a number of thousands of digits, deep nesting
        raise DataError(f"{path}: {json_problem(error)}") from None


def _read_list(path: Path, *, required: bool = False) -> list[object]:
    if not path.exists() and not required:
        return []
    if not path.exists():
        raise DataError(f"{path}: missing")
    data = _load_json(path)
    if not isinstance(data, list):
        raise DataError(f"{path}: must hold a JSON list of objects")
    return data


def _read_jsonl(path: Path) -> list[tuple[str, object]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise DataError(f"{path}: cannot read: {error.strerror}") from None
    records: list[tuple[str, object]] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append((f"{path} line {n}", json.loads(line)))
        except json.JSONDecodeError as error:
            raise DataError(f"{path} line {n}: not JSON: {error.msg} at column {error.colno}") from None
        except (ValueError, RecursionError) as error:
            raise DataError(f"{path} line {n}: {json_problem(error)}") from None
    return records



class Folder(NamedTuple):
    """What a data folder holds, read and checked (records are checked by the service)."""

    records: list[tuple[str, object]]  # (where, record): "path line 3" or "path item 3"
    contacts: list[Contact]
    teams: list[Team]
    users: dict[int, dict[str, Any]]
    contacts_path: Path

    def placed_contacts(self) -> list[tuple[str, Contact]]:
        """``(where, contact)`` pairs, as ``records`` has them: ``"path: contact 3"``."""
        return [(f"{self.contacts_path}: contact {n}", contact) for n, contact in enumerate(self.contacts)]


def read_folder(folder: str | Path) -> Folder:
    """Read a data folder (the layout of ``examples/``).

    The folder holds ``campaign-communications.jsonl`` (one record per line) or
    ``campaign-communications.json`` (a list of records), and ``contacts.json``; it may hold
    ``users.json`` and ``teams.json`` (lists of objects; missing means none).

    Raises:
        DataError: a file is missing, is not JSON, or holds data that is not valid; the message
            names the file (and line).
    """
    root = Path(folder)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder")
    lines, listed = root / "campaign-communications.jsonl", root / "campaign-communications.json"
    if lines.exists() and listed.exists():
        raise DataError(f"{root}: holds both {lines.name} and {listed.name}; keep one")
    if lines.exists():
        records = _read_jsonl(lines)
    elif listed.exists():
        records = [(f"{listed} item {n}", r) for n, r in enumerate(_read_list(listed, required=True))]
    else:
        raise DataError(f"{root}: no {lines.name} or {listed.name}")
    contacts, teams, users = root / "contacts.json", root / "teams.json", root / "users.json"
    contact_list = [
        Contact.from_dict(c, f"{contacts} item {n}") for n, c in enumerate(_read_list(contacts, required=True))
    ]
    team_list = [Team.from_dict(t, f"{teams} item {n}") for n, t in enumerate(_read_list(teams))]
    try:
        user_index = index_users(_read_list(users))
    except DataError as error:
        raise DataError(f"{users}: {error}") from None
    return Folder(records, contact_list, team_list, user_index, contacts)
