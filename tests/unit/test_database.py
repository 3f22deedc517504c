"""The database behind the service: db init|load, the schema version, tokens, and the commands.

SQLite here (a file per test); the service's own tests (test_service.py) run on PostgreSQL too.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "differential"))
from test_reference_generated import queries as text_queries

from querylang.service import CampaignCommunications, DataError, ServiceError
from querylang.service.auth import MAX_TOKEN, Tokens
from querylang.service.database import SCHEMA_VERSION, Database, DatabaseError, init, load

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _querylang(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "querylang", *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )


def _copy_examples(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("*.gz", "*.csv", "*.py", "*.json.gz"))
    return folder


# ---------------------------------------------------------------- init and load


def test_load_makes_the_tables_and_answers_as_memory_does(tmp_path: Path) -> None:
    db = Database(tmp_path / "app.sqlite")
    assert load(db, EXAMPLES) == {"records": 400, "contacts": 3, "teams": 2, "users": 12}
    db.close()
    stored = CampaignCommunications.from_database(tmp_path / "app.sqlite")
    memory = CampaignCommunications.from_folder(EXAMPLES)
    for query in ("$limit=3", "type[$in][]=Text%20Contact&$sort[send_at]=-1&$load=completing_user", "$skip=280"):
        assert stored.find(76, query, user_id=3) == memory.find(76, query, user_id=3)
    stored.close()


def test_the_tables_have_the_indexes_the_endpoints_queries_need(tmp_path: Path) -> None:
    db = Database(tmp_path / "app.sqlite")
    init(db)
    indexed = {
        row[0]: row[1]
        for row in sqlite3.connect(tmp_path / "app.sqlite").execute("SELECT name, sql FROM sqlite_master")
        if row[1] is not None and row[1].startswith("CREATE INDEX")
    }
    joined = " ".join(indexed.values())
    for column in ('"contact_id"', '"send_at"', '"id"'):
        assert column in joined
    assert '("contact_id", "_ordinal")' in joined  # a contact's page without a sort reads in load order
    plan = " ".join(
        str(row)
        for row in sqlite3.connect(tmp_path / "app.sqlite").execute(
            "EXPLAIN QUERY PLAN SELECT * FROM campaign_communications WHERE contact_id = 1"
        )
    )
    assert "USING INDEX" in plan
    db.close()


def test_init_twice_keeps_the_tables(tmp_path: Path) -> None:
    db = Database(tmp_path / "app.sqlite")
    assert init(db) is True
    assert init(db) is False
    assert db.version() == SCHEMA_VERSION
    db.close()


def test_a_bad_row_names_its_file_and_line_and_nothing_is_loaded(tmp_path: Path) -> None:
    folder = _copy_examples(tmp_path)
    lines = (folder / "campaign-communications.jsonl").read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[41])
    bad["send_at"] = "not a date"
    lines[41] = json.dumps(bad)
    (folder / "campaign-communications.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = Database(tmp_path / "app.sqlite")
    with pytest.raises(DataError, match=r"campaign-communications\.jsonl line 42") as refused:
        load(db, folder)
    assert "send_at" in str(refused.value)
    assert db.version() is None  # not even the tables: nothing was written
    db.close()


def test_a_repeated_id_is_refused_and_nothing_is_loaded(tmp_path: Path) -> None:
    folder = _copy_examples(tmp_path)
    path = folder / "campaign-communications.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, lines[0]]) + "\n", encoding="utf-8")
    db = Database(tmp_path / "app.sqlite")
    with pytest.raises(DataError, match="appears twice"):
        load(db, folder)
    db.close()


def test_a_repeated_contact_is_named_as_the_memory_store_names_it(tmp_path: Path) -> None:
    folder = _copy_examples(tmp_path)
    path = folder / "contacts.json"
    contacts = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps([*contacts, contacts[1]]), encoding="utf-8")
    with pytest.raises(DataError) as in_memory:
        CampaignCommunications.from_folder(folder)
    assert f"contact {len(contacts)}: id {contacts[1]['id']} appears twice" in str(in_memory.value)
    db = Database(tmp_path / "app.sqlite")
    with pytest.raises(DataError) as in_database:
        load(db, folder)
    assert str(in_database.value) == str(in_memory.value)
    init(db)
    with db.transaction() as execute:
        assert execute("SELECT COUNT(*) FROM contacts", ())[0][0] == 0
    db.close()


def test_a_failure_inside_the_transaction_loads_nothing(tmp_path: Path) -> None:
    # users.json with an id twice passes the checks, then the users table's key refuses it
    folder = _copy_examples(tmp_path)
    users = json.loads((folder / "users.json").read_text(encoding="utf-8"))
    (folder / "users.json").write_text(json.dumps(users), encoding="utf-8")
    db = Database(tmp_path / "app.sqlite")
    init(db)
    connection = sqlite3.connect(tmp_path / "app.sqlite")
    connection.execute("INSERT INTO users (id, data) VALUES (?, ?)", (users[0]["id"], "{}"))
    connection.commit()
    connection.close()
    with pytest.raises(Exception, match="sqlite"):
        load(db, folder)
    counts = [db.execute(f"SELECT COUNT(*) FROM {table}")[0][0] for table in ("campaign_communications", "contacts")]
    assert counts == [0, 0]
    db.close()


def test_a_database_with_records_is_not_loaded_again(tmp_path: Path) -> None:
    db = Database(tmp_path / "app.sqlite")
    load(db, EXAMPLES)
    with pytest.raises(DataError, match="holds records already"):
        load(db, EXAMPLES)
    assert db.execute("SELECT COUNT(*) FROM campaign_communications")[0][0] == 400
    db.close()


def test_a_database_of_another_schema_version_is_refused_not_misread(tmp_path: Path) -> None:
    db = Database(tmp_path / "app.sqlite")
    load(db, EXAMPLES)
    db.execute("UPDATE querylang_meta SET value = '0' WHERE key = 'schema_version'")
    db.close()
    with pytest.raises(DatabaseError, match=f"schema version 0; this querylang reads version {SCHEMA_VERSION}"):
        CampaignCommunications.from_database(tmp_path / "app.sqlite")


def test_a_database_init_never_ran_on_is_refused(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "other.sqlite").execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(DatabaseError, match="not a querylang database"):
        CampaignCommunications.from_database(tmp_path / "other.sqlite")


def test_sqlite_runs_in_wal_mode_with_normal_sync(tmp_path: Path) -> None:
    db = Database(tmp_path / "app.sqlite")
    init(db)
    assert db.execute("PRAGMA journal_mode")[0][0] == "wal"
    assert db.execute("PRAGMA synchronous")[0][0] == 1  # NORMAL
    db.close()


def test_a_patch_is_stored_and_survives_reopening(tmp_path: Path) -> None:
    db = Database(tmp_path / "app.sqlite")
    load(db, EXAMPLES)
    db.close()
    now = datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    service = CampaignCommunications.from_database(tmp_path / "app.sqlite", clock=lambda: now)
    service.patch(76, 540654, {"is_active": True}, user_id=3)
    record, _ = service.patch(76, 540654, {"is_active": False}, user_id=3)
    service.close()
    again = CampaignCommunications.from_database(tmp_path / "app.sqlite")
    assert again.get(76, 540654) == record
    assert (record["is_active"], record["completing_user_id"], record["completed_at"]) == (False, 3, now)
    again.close()


# ---------------------------------------------------------------- tokens


def test_tokens_are_random_256_bit_stored_only_as_digests(tmp_path: Path) -> None:
    db = Database(tmp_path / "app.sqlite")
    init(db)
    tokens = Tokens(db)
    made = [tokens.create(3) for _ in range(20)]
    assert len({token for _, token in made}) == 20
    assert all(len(token) == 43 for _, token in made)  # 32 bytes, URL-safe base64
    stored = db.execute("SELECT digest FROM tokens")
    text = json.dumps([list(row) for row in db.execute("SELECT * FROM tokens")])
    assert all(token not in text for _, token in made)
    assert all(len(row[0]) == 64 for row in stored)  # SHA-256, hex
    assert tokens.user_for(made[0][1]) == 3
    db.close()


def test_a_revoked_unknown_or_malformed_token_stands_for_no_one(tmp_path: Path) -> None:
    clock = iter(datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=n) for n in range(10))
    db = Database(tmp_path / "app.sqlite")
    init(db)
    tokens = Tokens(db, clock=lambda: next(clock))
    token_id, token = tokens.create(7)
    other_id, other = tokens.create(8)
    assert tokens.user_for(token) == 7
    assert tokens.revoke(token_id) is True
    assert tokens.revoke(token_id) is False  # already revoked
    assert tokens.user_for(token) is None
    assert tokens.user_for(other) == 8
    for bad in ("", "x", token[:-1], token + "x", "a" * (MAX_TOKEN + 1)):
        assert tokens.user_for(bad) is None
    listed = tokens.list()
    assert [(t.id, t.user_id, t.revoked_at is not None) for t in listed] == [(token_id, 7, True), (other_id, 8, False)]
    db.close()


def test_a_token_is_for_a_whole_user_id(tmp_path: Path) -> None:
    db = Database(tmp_path / "app.sqlite")
    init(db)
    with pytest.raises(ValueError, match="whole number"):
        Tokens(db).create(-1)
    db.close()


# ---------------------------------------------------------------- the commands


def test_db_and_token_commands_as_the_readme_runs_them(tmp_path: Path) -> None:
    loaded = _querylang("db", "load", "--db", "app.sqlite", "--data", str(EXAMPLES), cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert "400 records" in loaded.stdout
    made = _querylang("token", "create", "--db", "app.sqlite", "--user", "3", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert len(token) == 43 and "shown once" in made.stderr
    listed = _querylang("token", "list", "--db", "app.sqlite", cwd=tmp_path)
    assert "user 3" in listed.stdout and "live" in listed.stdout
    assert token not in listed.stdout
    token_id = listed.stdout.split()[0]
    assert _querylang("token", "revoke", token_id, "--db", "app.sqlite", cwd=tmp_path).returncode == 0
    assert "revoked" in _querylang("token", "list", "--db", "app.sqlite", cwd=tmp_path).stdout
    again = _querylang("token", "revoke", token_id, "--db", "app.sqlite", cwd=tmp_path)
    assert again.returncode == 1 and "no live token" in again.stderr


def test_db_commands_say_what_is_wrong_without_a_traceback(tmp_path: Path) -> None:
    missing = _querylang("db", "load", "--db", "app.sqlite", "--data", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert missing.returncode == 2 and "not a folder" in missing.stderr
    no_data = _querylang("db", "load", "--db", "app.sqlite", cwd=tmp_path)
    assert no_data.returncode == 2 and "--data" in no_data.stderr
    not_made = _querylang("token", "create", "--db", "fresh.sqlite", "--user", "3", cwd=tmp_path)
    assert not_made.returncode == 2 and "not a querylang database" in not_made.stderr
    serve = _querylang("serve", "--db", "fresh.sqlite", "--port", "0", cwd=tmp_path)
    assert serve.returncode == 2 and "not a querylang database" in serve.stderr
    both = _querylang("serve", cwd=tmp_path)
    assert both.returncode == 2 and "--db" in both.stderr
    for result in (missing, no_data, not_made, serve, both):
        assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- the store against memory


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CampaignCommunications, CampaignCommunications]]:
    path = tmp_path_factory.mktemp("store") / "app.sqlite"
    db = Database(path)
    load(db, EXAMPLES)
    db.close()
    stored = CampaignCommunications.from_database(path)
    yield stored, CampaignCommunications.from_folder(EXAMPLES)
    stored.close()


def _answer(service: CampaignCommunications, contact: int, query: str, *, one: int | None) -> object:
    try:
        if one is not None:
            return service.get(contact, one, query)
        return service.find(contact, query)
    except ServiceError as error:
        return (error.code, sorted({d.code for d in error.diagnostics}))


@settings(max_examples=200, deadline=None)
@given(query=text_queries(), contact=st.sampled_from([76, 77, 78]), one=st.sampled_from([None, None, 540654, 1]))
def test_the_sqlite_store_answers_generated_queries_as_memory_does(
    both: tuple[CampaignCommunications, CampaignCommunications], query: str, contact: int, one: int | None
) -> None:
    # The statements are cached by the query's shape, the route's values bound each time: the
    # contacts and records drawn here reuse shapes built for others.
    stored, memory = both
    assert _answer(stored, contact, query, one=one) == _answer(memory, contact, query, one=one)
