"""The endpoint over HTTP from a database, with real tokens: authentication, the order of refusals,
the access rule for every read and write, the health route, the access log, and the OpenAPI
document (validated, then used by schemathesis to fuzz a real server on loopback).
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from querylang.service import CampaignCommunications
from querylang.service.auth import Tokens
from querylang.service.database import Database, load
from querylang.service.http import ACCESS_LOG, make_app
from querylang.service.openapi import document

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BASE = "/contacts/76/campaign-communications"
RECORD = 540654  # one of contact 76's records
EXAMPLES_PER_ROUTE = int(os.environ.get("QUERYLANG_SCHEMATHESIS_EXAMPLES", "40"))
"""Generated requests per route for schemathesis: 40 in ``make test`` (about 280 in all); more on demand."""
needs_waitress = pytest.mark.skipif(
    importlib.util.find_spec("waitress") is None, reason="waitress (the serve extra) is not installed"
)


def _who() -> dict[str, int]:
    """Contact 76's users by the access path they have, and a stranger, from examples/."""
    contacts = {c["id"]: c for c in json.loads((EXAMPLES / "contacts.json").read_text(encoding="utf-8"))}
    teams = json.loads((EXAMPLES / "teams.json").read_text(encoding="utf-8"))
    contact = contacts[76]
    owner = contact["owner_user_id"]
    team = next(u for t in teams if owner in t["member_user_ids"] for u in t["member_user_ids"] if u != owner)
    everyone = {u["id"] for u in json.loads((EXAMPLES / "users.json").read_text(encoding="utf-8"))}
    allowed = {owner, team, contact["assigned_user_id"], *contact["shared_with_user_ids"]}
    allowed |= {u for t in teams if owner in t["member_user_ids"] for u in t["member_user_ids"]}
    return {
        "owner": owner,
        "team": team,
        "assigned": contact["assigned_user_id"],
        "shared": contact["shared_with_user_ids"][0],
        "stranger": min(everyone - allowed),
    }


WHO = _who()


class World:
    def __init__(self, folder: Path) -> None:
        self.path = folder / "app.sqlite"
        db = Database(self.path)
        load(db, EXAMPLES)
        db.close()
        self.db = Database(self.path)
        self.tokens = Tokens(self.db)
        self.token = {name: self.tokens.create(user)[1] for name, user in WHO.items()}
        self.service = CampaignCommunications.from_database(self.path)
        self.app = make_app(self.service, self.tokens.user_for)

    def call(self, path: str, query: str = "", *, who: str | None = "owner", **environ: Any) -> tuple[int, Any]:
        body = environ.pop("body", b"")
        base: dict[str, Any] = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query.encode("utf-8").decode("latin-1"),
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
        }
        if who is not None:
            base["HTTP_AUTHORIZATION"] = f"Bearer {self.token[who]}"
        base.update(environ)
        seen: list[str] = []
        data = b"".join(self.app(base, lambda status, headers: seen.append(status)))
        return int(seen[0].split()[0]), json.loads(data) if data else None

    def close(self) -> None:
        self.service.close()
        self.db.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path)
    try:
        yield made
    finally:
        made.close()


# ---------------------------------------------------------------- authentication


def test_every_request_to_the_records_needs_a_live_token(world: World) -> None:
    for path, method in ((BASE, "GET"), (f"{BASE}/{RECORD}", "GET"), (f"{BASE}/{RECORD}", "PATCH")):
        assert world.call(path, who=None, REQUEST_METHOD=method)[0] == 401
        for header in ("Bearer", "Bearer not-a-token", "Basic YTpi", world.token["owner"], "Bearer a b"):
            status, body = world.call(path, who=None, REQUEST_METHOD=method, HTTP_AUTHORIZATION=header)
            assert (status, body["name"], body["className"]) == (401, "NotAuthenticated", "not-authenticated")
            assert world.token["owner"] not in json.dumps(body)
    assert world.call(BASE)[0] == 200


def test_a_revoked_token_is_refused_at_once(world: World) -> None:
    token_id = world.tokens.list()[0].id
    assert world.call(BASE)[0] == 200
    world.tokens.revoke(token_id)
    assert world.call(BASE)[0] == 401
    assert world.call(BASE, who="team")[0] == 200  # only that token


@pytest.mark.parametrize("who", ["owner", "team", "assigned", "shared"])
def test_each_access_path_may_find_get_and_patch(world: World, who: str) -> None:
    assert world.call(BASE, "$limit=1")[0] == 200
    status, record = world.call(f"{BASE}/{RECORD}", who=who)
    assert status == 200 and record["id"] == RECORD
    status, patched = world.call(
        f"{BASE}/{RECORD}", who=who, REQUEST_METHOD="PATCH", body=json.dumps({"is_active": True}).encode()
    )
    assert (status, patched["is_active"]) == (200, True)


def test_a_stranger_learns_nothing_from_find_get_or_patch(world: World) -> None:
    before = world.service.get(76, RECORD)
    answers = [
        world.call(BASE, who="stranger"),
        world.call(BASE, "$limit=abc", who="stranger"),  # 403 before 400
        world.call(BASE, "campaign_name[$like]=a%5C", who="stranger"),
        world.call(f"{BASE}/{RECORD}", who="stranger"),
        world.call(f"{BASE}/999999", who="stranger"),  # a record that does not exist: the same
        world.call(f"{BASE}/{RECORD}", who="stranger", REQUEST_METHOD="PATCH", body=b'{"is_active": true}'),
        world.call(f"{BASE}/{RECORD}", who="stranger", REQUEST_METHOD="PATCH", body=b"not json"),
        world.call(BASE, who="stranger", QUERY_STRING=b"x=%ff".decode("latin-1") + "\xff"),
    ]
    assert {(status, body["name"]) for status, body in answers} == {(403, "Forbidden")}
    assert len({json.dumps(body) for _, body in answers}) == 1  # the very same answer
    assert world.service.get(76, RECORD) == before


def test_a_contact_that_does_not_exist_is_refused_as_one_the_user_may_not_read(world: World) -> None:
    missing = world.call("/contacts/999999/campaign-communications", who="owner")
    other = world.call("/contacts/77/campaign-communications", who="stranger")
    assert missing[0] == other[0] == 403
    assert missing[1].keys() == other[1].keys() and missing[1]["name"] == other[1]["name"] == "Forbidden"
    assert world.call("/contacts/999999/campaign-communications", "$limit=abc")[0] == 403  # before 400


def test_the_order_is_401_then_403_then_400_then_data(world: World) -> None:
    assert world.call(BASE, "$limit=abc", who=None)[0] == 401
    assert world.call(BASE, "$limit=abc", who="stranger")[0] == 403
    assert world.call(BASE, "$limit=abc")[0] == 400
    assert world.call(BASE, "$limit=1")[0] == 200


def test_the_trusted_python_caller_skips_the_rule_and_sees_404(world: World) -> None:
    from querylang.service import NotFound

    assert world.service.find(77, "$limit=1")["limit"] == 1  # user_id=None: the application decided
    with pytest.raises(NotFound):
        world.service.find(999999)


# ---------------------------------------------------------------- health, access log


def test_health_answers_without_a_token(world: World) -> None:
    assert world.call("/healthz", who=None) == (200, {"status": "ok"})


def test_health_is_503_when_the_database_does_not_answer(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def gone() -> None:
        raise OSError("the disk is gone")

    monkeypatch.setattr(world.service, "ping", gone)
    status, body = world.call("/healthz", who=None)
    assert (status, body["name"], body["code"]) == (503, "Unavailable", 503)
    assert "disk" not in body["message"]


def test_the_access_log_has_one_line_per_request_and_never_a_token_or_query(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOG.name):
        world.call(BASE, "campaign_name=Secret%20Plan&$limit=1")
        world.call(BASE, who=None)
        world.call(f"{BASE}/{RECORD}", REQUEST_METHOD="PATCH", body=b'{"is_active": true}')
        world.call("/nowhere", who="team")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOG.name]
    assert [(x["method"], x["path"], x["status"]) for x in lines] == [
        ("GET", BASE, 200),
        ("GET", BASE, 401),
        ("PATCH", f"{BASE}/{RECORD}", 200),
        ("GET", "/nowhere", 404),
    ]
    assert all(isinstance(x["ms"], float) and x["ms"] >= 0 for x in lines)
    text = caplog.text
    assert "Secret" not in text and "limit" not in text
    assert not any(token in text for token in world.token.values())


# ---------------------------------------------------------------- OpenAPI


def test_the_openapi_document_is_valid_openapi_3_1(world: World) -> None:
    validator = pytest.importorskip("openapi_spec_validator", reason="openapi-spec-validator (the test extra)")
    status, served = world.call("/openapi.json", who=None)
    assert status == 200 and served == json.loads(json.dumps(document()))
    validator.validate(served)
    assert served["openapi"] == "3.1.0"


def test_the_openapi_document_names_every_route_and_the_bracketed_parameters() -> None:
    doc = document()
    assert set(doc["paths"]) == {
        "/contacts/{contact_id}/campaign-communications",
        "/contacts/{contact_id}/campaign-communications/{id}",
        "/_querylang/check",
        "/_querylang/sql/{dialect}",
        "/healthz",
        "/openapi.json",
    }
    names = {p["name"] for p in doc["paths"]["/contacts/{contact_id}/campaign-communications"]["get"]["parameters"]}
    assert {"send_at[$gte]", "type[$in][]", "campaign_name[$ilike]", "$sort[send_at]", "$limit", "$select[]"} <= names
    secured = doc["paths"]["/contacts/{contact_id}/campaign-communications/{id}"]["patch"]
    assert secured["security"] == [{"bearer": []}]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "security" not in doc["paths"]["/_querylang/check"]["get"]


@needs_waitress
def test_schemathesis_finds_no_5xx_and_no_answer_off_the_document(tmp_path: Path) -> None:
    schemathesis = pytest.importorskip("schemathesis", reason="schemathesis (the test extra)")
    checks = schemathesis.checks
    from hypothesis import HealthCheck, given, settings

    from querylang.service.server import create_server

    made = World(tmp_path)
    schema = schemathesis.openapi.from_dict(json.loads(json.dumps(document())))
    seen: list[int] = []
    try:
        with create_server(made.service, tokens=made.tokens.user_for, port=0).start() as server:
            headers = {"Authorization": f"Bearer {made.token['owner']}"}
            for operation in schema.get_all_operations():
                op = operation.ok()
                strategy = op.as_strategy()

                @settings(
                    max_examples=EXAMPLES_PER_ROUTE,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=strategy)
                def run(case: Any) -> None:
                    before = made.db.execute("SELECT * FROM campaign_communications ORDER BY _ordinal")
                    # positive_data_acceptance expects every schema-valid request to pass, but
                    # parameters also constrain each other (a field given both as a value and
                    # with operators, a repeated key), which OpenAPI cannot say: a 400 there is right.
                    response = case.call_and_validate(
                        base_url=server.url, headers=headers, excluded_checks=[checks.positive_data_acceptance]
                    )
                    seen.append(response.status_code)
                    assert response.status_code < 500, (case.path, case.query, response.text)
                    if response.status_code >= 400:  # a refused request changes no record
                        assert made.db.execute("SELECT * FROM campaign_communications ORDER BY _ordinal") == before

                run()
    finally:
        made.close()
    assert len(seen) >= 200
    assert any(code == 200 for code in seen) and any(400 <= code < 500 for code in seen)


def test_a_missing_contact_and_one_the_user_may_not_read_cost_the_same_reads(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The time of a 403 must not tell whether the contact exists: both run the same statements
    # (the contact, then the teams of its owner, found or not) and nothing else.
    from querylang.service.database import Database as Db

    ran: list[str] = []
    real = Db.execute

    def spy(self: Db, sql: str, params: Any = ()) -> Any:
        ran.append(sql)
        return real(self, sql, params)

    monkeypatch.setattr(Db, "execute", spy)
    world.call("/contacts/77/campaign-communications", "$limit=1", who="owner")  # exists, not theirs
    theirs_not = [sql for sql in ran if "tokens" not in sql]
    ran.clear()
    world.call("/contacts/999999/campaign-communications", "$limit=1", who="owner")  # does not exist
    missing = [sql for sql in ran if "tokens" not in sql]
    assert theirs_not == missing and len(missing) == 2
    ran.clear()
    assert world.call(BASE, "$limit=1")[0] == 200
    assert len([sql for sql in ran if "FROM contacts" in sql]) == 1  # the route is read once a request
