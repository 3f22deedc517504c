"""Service: find, get and patch of campaign communications, access, transitions, errors, data, threads.

The world below keeps every access path apart (SEMANTICS.md section 6): user 1 owns contact 76,
user 2 is on a team with the owner, user 3 is the assigned user, user 4 has the contact shared
with them, user 5 owns another contact and user 6 is on user 5's team. Records 10 and 11 are the
documentation's two example records, given ids.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.stores import KINDS, Stores

from querylang.errors import Diagnostic, QueryError
from querylang.service import (
    BadRequest,
    CampaignCommunications,
    Contact,
    DataError,
    Forbidden,
    GeneralError,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    RequestHeaderFieldsTooLarge,
    ServiceError,
    Team,
    UnsupportedMediaType,
    format_datetime,
    jsonable,
)
from querylang.service.store import MemoryStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)

OWNER, TEAMMATE, ASSIGNED, SHARED, STRANGER, OTHER_TEAM = 1, 2, 3, 4, 5, 6
ALLOWED = {"owner": OWNER, "team": TEAMMATE, "assigned": ASSIGNED, "shared": SHARED}
REFUSED = {"stranger": STRANGER, "other-team": OTHER_TEAM}

USERS = [
    {"id": 1, "first_name": "Olivia", "last_name": "Owner"},
    {"id": 2, "first_name": "Tomás", "last_name": "Teammate"},
    {"id": 3, "first_name": "Angela", "last_name": "Ziegler"},
    {"id": 4, "first_name": "Sharon", "last_name": "Shared"},
    {"id": 5, "first_name": "Stan", "last_name": "Stranger"},
    {"id": 6, "first_name": "Otto", "last_name": "Other"},
    {"id": 76, "first_name": "Jack", "last_name": "Morrison"},
]
CONTACTS = [
    {"id": 76, "owner_user_id": OWNER, "assigned_user_id": ASSIGNED, "shared_with_user_ids": [SHARED]},
    {"id": 77, "owner_user_id": STRANGER, "assigned_user_id": None, "shared_with_user_ids": []},
]
TEAMS = [
    {"id": 1, "name": "Owners", "member_user_ids": [OWNER, TEAMMATE]},
    {"id": 2, "name": "Others", "member_user_ids": [STRANGER, OTHER_TEAM]},
]


def _records() -> list[dict[str, Any]]:
    return [
        {  # the documentation's first record: active, yet with a completing user
            "id": 11,
            "contact_id": 76,
            "campaign_name": "New Contact Campaign",
            "type": "Text Contact",
            "is_stopped_on_text_reply": True,
            "template_subject": "Import Deadline",
            "template_name": "Text Template",
            "template_folder_name": "New Contacts Template Folder",
            "is_active": True,
            "send_at": "2028-09-12T18:31:35.000Z",
            "completed_at": None,
            "send_from_user_id": 3,
            "completing_user_id": 76,
        },
        {  # the documentation's second record: completed, automatically (no completing user)
            "id": 10,
            "contact_id": 76,
            "campaign_name": "Old Contact Campaign",
            "type": "Email Contact",
            "is_stopped_on_text_reply": False,
            "template_subject": "Saying Hello",
            "template_name": "Email Template",
            "template_folder_name": "Old Contacts Template Folder",
            "is_active": False,
            "send_at": "2017-12-06T22:11:02.000Z",
            "completed_at": "2017-12-06T22:11:02.000Z",
            "send_from_user_id": 4,
            "completing_user_id": None,
        },
        {  # completed by a user who is gone; sent from an unknown user; active
            "id": 12,
            "contact_id": 76,
            "campaign_name": "Buyer Drip",
            "type": "Email Contact",
            "is_stopped_on_text_reply": False,
            "template_subject": "Homes",
            "template_name": "Buyer Drip 1",
            "template_folder_name": "Buyer Drips",
            "is_active": True,
            "send_at": "2019-01-01T11:00:00+01:00",
            "completed_at": None,
            "send_from_user_id": 8,
            "completing_user_id": None,
        },
        {
            "id": 13,
            "contact_id": 76,
            "campaign_name": "Seller Drip",
            "type": "Call Contact",
            "is_stopped_on_text_reply": False,
            "template_subject": "",
            "template_name": "Call",
            "template_folder_name": "Seller Drips",
            "is_active": False,
            "send_at": "2020-02-29T00:00:00Z",
            "completed_at": "2020-02-29T00:12:00Z",
            "send_from_user_id": 1,
            "completing_user_id": 999,
        },
        {
            "id": 20,
            "contact_id": 77,
            "campaign_name": "Other Contact's Campaign",
            "type": "Email Contact",
            "is_stopped_on_text_reply": False,
            "template_subject": "Hi",
            "template_name": "Email Template",
            "template_folder_name": "Elsewhere",
            "is_active": True,
            "send_at": "2024-05-01T00:00:00Z",
            "completed_at": None,
            "send_from_user_id": 5,
            "completing_user_id": None,
        },
    ]


_STORES: list[Stores] = []


@pytest.fixture(params=KINDS, autouse=True)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test runs on each store: memory, a SQLite file and a PostgreSQL database of its own."""
    kind: str = request.param
    cluster = request.getfixturevalue("postgres_cluster") if kind == "postgres" else None
    stores = Stores(kind, tmp_path, cluster)
    _STORES.append(stores)
    try:
        yield kind
    finally:
        _STORES.remove(stores)
        stores.close()


def _service(clock: Any = None, records: list[dict[str, Any]] | None = None) -> CampaignCommunications:
    """The test world in the current test's store."""
    return _STORES[-1].service(
        _records() if records is None else records,
        contacts=CONTACTS,
        users=USERS,
        teams=TEAMS,
        clock=clock or (lambda: NOW),
    )


@pytest.fixture
def svc() -> CampaignCommunications:
    return _service()


# ---------------------------------------------------------------- the documentation's PATCH


def test_documentation_patch_example_end_to_end(svc: CampaignCommunications) -> None:
    # PATCH /contacts/76/campaign-communications/10  {template_name: "Text Template", is_active: "true"}
    record, warnings = svc.patch(
        contact_id=76, id=10, data={"template_name": "Text Template", "is_active": "true"}, user_id=ASSIGNED
    )
    assert record["is_active"] is True
    assert record["completing_user_id"] is None
    assert record["completed_at"] is None
    assert record["template_name"] == "Email Template"  # read-only: ignored
    assert [(w.code, w.severity) for w in warnings] == [("read-only-field", "warning")]
    assert "'template_name'" in warnings[0].message
    assert svc.get(contact_id=76, id=10, user_id=ASSIGNED) == record
    again = svc.get(76, 10, "$select[]=is_active&$select[]=completed_at")
    assert again == {"is_active": True, "completed_at": None}


def test_issue_examples_run(svc: CampaignCommunications) -> None:
    page = svc.find(contact_id=76, query="$load=send_from_user,completing_user&$limit=2", user_id=3)
    assert (page["total"], page["limit"], page["skip"], len(page["data"])) == (4, 2, 0, 2)
    assert svc.get(contact_id=76, id=10, query="$select[]=is_active", user_id=3) == {"is_active": False}


# ---------------------------------------------------------------- access


@pytest.mark.parametrize(("path", "user"), ALLOWED.items(), ids=list(ALLOWED))
def test_each_access_path_may_patch(path: str, user: int, svc: CampaignCommunications) -> None:
    assert svc.access(76, user) == path
    record, _ = svc.patch(76, 11, {"is_active": False}, user_id=user)
    assert (record["is_active"], record["completing_user_id"], record["completed_at"]) == (False, user, NOW)


@pytest.mark.parametrize(("path", "user"), ALLOWED.items(), ids=list(ALLOWED))
def test_each_access_path_may_read(path: str, user: int, svc: CampaignCommunications) -> None:
    assert svc.find(76, "$limit=1", user_id=user)["total"] == 4
    assert svc.get(76, 10, user_id=user)["id"] == 10


@pytest.mark.parametrize("user", REFUSED.values(), ids=list(REFUSED))
def test_anyone_else_is_forbidden_to_patch_and_nothing_changes(user: int, svc: CampaignCommunications) -> None:
    before = svc.get(76, 11)
    assert svc.access(76, user) is None
    with pytest.raises(Forbidden) as caught:
        svc.patch(76, 11, {"is_active": False}, user_id=user)
    assert caught.value.code == 403
    assert svc.get(76, 11) == before


@pytest.mark.parametrize("user", REFUSED.values(), ids=list(REFUSED))
def test_anyone_else_is_forbidden_to_read(user: int, svc: CampaignCommunications) -> None:
    with pytest.raises(Forbidden):
        svc.find(76, "", user_id=user)
    with pytest.raises(Forbidden):
        svc.get(76, 10, user_id=user)


def test_reads_without_a_user_skip_the_access_rule(svc: CampaignCommunications) -> None:
    assert svc.find(76)["total"] == 4
    assert svc.get(76, 10)["id"] == 10


def test_a_teammate_of_someone_else_is_not_on_the_owners_team(svc: CampaignCommunications) -> None:
    # user 6 shares a team with user 5 (who owns contact 77), not with contact 76's owner
    assert svc.access(77, OTHER_TEAM) == "team"
    assert svc.access(76, OTHER_TEAM) is None


def test_access_is_checked_before_the_body_and_the_record(svc: CampaignCommunications) -> None:
    with pytest.raises(Forbidden):
        svc.patch(76, 999, {"bogus": 1}, user_id=STRANGER)


# ---------------------------------------------------------------- transitions


def test_to_false_sets_the_completing_user_and_the_clock_time(svc: CampaignCommunications) -> None:
    record, warnings = svc.patch(76, 12, {"is_active": "false"}, user_id=SHARED)
    assert warnings == []
    assert (record["is_active"], record["completing_user_id"], record["completed_at"]) == (False, SHARED, NOW)


def test_to_true_clears_the_completing_user_and_time(svc: CampaignCommunications) -> None:
    record, _ = svc.patch(76, 13, {"is_active": True}, user_id=OWNER)
    assert (record["is_active"], record["completing_user_id"], record["completed_at"]) == (True, None, None)


def test_no_change_changes_nothing_else() -> None:
    calls: list[int] = []

    def clock() -> datetime:
        calls.append(1)
        return NOW

    svc = _service(clock)
    before_false, before_true = svc.get(76, 13), svc.get(76, 11)
    assert svc.patch(76, 13, {"is_active": False}, user_id=OWNER)[0] == before_false  # stays user 999's
    # the documentation's active record keeps its completing user: nothing changes, not even that
    assert svc.patch(76, 11, {"is_active": "true"}, user_id=OWNER)[0] == before_true
    assert before_true["completing_user_id"] == 76
    assert calls == []


def test_a_round_trip_false_then_true_then_false() -> None:
    times = iter([NOW, NOW + timedelta(hours=1)])
    svc = _service(lambda: next(times))
    assert svc.patch(76, 12, {"is_active": False}, user_id=OWNER)[0]["completed_at"] == NOW
    assert svc.patch(76, 12, {"is_active": True}, user_id=TEAMMATE)[0]["completed_at"] is None
    last, _ = svc.patch(76, 12, {"is_active": False}, user_id=TEAMMATE)
    assert (last["completing_user_id"], last["completed_at"]) == (TEAMMATE, NOW + timedelta(hours=1))


def test_the_clock_time_is_stored_in_utc() -> None:
    local = datetime(2025, 1, 2, 8, 4, 5, tzinfo=timezone(timedelta(hours=5)))
    svc = _service(lambda: local)
    record, _ = svc.patch(76, 12, {"is_active": False}, user_id=OWNER)
    assert record["completed_at"] == local and record["completed_at"].tzinfo is UTC


def test_a_naive_clock_is_a_programming_error() -> None:
    svc = _service(lambda: datetime(2025, 1, 1))  # naive: the error under test
    with pytest.raises(TypeError, match="aware"):
        svc.patch(76, 12, {"is_active": False}, user_id=OWNER)
    assert svc.get(76, 12)["is_active"] is True


# ---------------------------------------------------------------- the body


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), ("true", True), ("false", False)])
def test_is_active_takes_booleans_and_their_strings(value: object, expected: bool) -> None:
    record, _ = _service().patch(76, 11, {"is_active": value}, user_id=OWNER)
    assert record["is_active"] is expected


@pytest.mark.parametrize("value", ["TRUE", "True", " true", "1", 1, 0, 1.0, None, "", "yes", [True], {"v": True}])
def test_is_active_refuses_anything_else(value: object, svc: CampaignCommunications) -> None:
    before = svc.get(76, 11)
    with pytest.raises(BadRequest) as caught:
        svc.patch(76, 11, {"is_active": value}, user_id=OWNER)
    assert [d.code for d in caught.value.diagnostics] == ["not-a-boolean"]
    assert caught.value.diagnostics[0].hint is not None
    assert svc.get(76, 11) == before


def test_an_unknown_field_is_refused_with_a_suggestion(svc: CampaignCommunications) -> None:
    with pytest.raises(BadRequest) as caught:
        svc.patch(76, 11, {"is_activ": False}, user_id=OWNER)
    (d,) = caught.value.diagnostics
    assert (d.code, d.severity, d.hint) == ("unknown-field", "error", "did you mean 'is_active'?")
    assert caught.value.message == "invalid body: unknown field 'is_activ' in the body (did you mean 'is_active'?)"


def test_every_body_problem_is_reported_at_once_and_nothing_changes(svc: CampaignCommunications) -> None:
    before = svc.get(76, 11)
    body = {"is_active": False, "template_name": "x", "colour": "red", "__proto__": {}, "id": 5}
    with pytest.raises(BadRequest) as caught:
        svc.patch(76, 11, body, user_id=OWNER)
    found = [(d.code, d.severity) for d in caught.value.diagnostics]
    assert found == [
        ("read-only-field", "warning"),
        ("unknown-field", "error"),
        ("unknown-field", "error"),
        ("read-only-field", "warning"),
    ]
    assert caught.value.message.endswith("(and 1 more)")
    assert svc.get(76, 11) == before


@pytest.mark.parametrize("body", [[{"is_active": False}], "is_active=false", None, 3])
def test_a_body_that_is_not_an_object_is_refused(body: object, svc: CampaignCommunications) -> None:
    with pytest.raises(BadRequest) as caught:
        svc.patch(76, 11, body, user_id=OWNER)
    assert [d.code for d in caught.value.diagnostics] == ["not-an-object"]


def test_only_read_only_fields_change_nothing_and_warn(svc: CampaignCommunications) -> None:
    before = svc.get(76, 10)
    record, warnings = svc.patch(76, 10, {"completed_at": None, "completing_user_id": 1}, user_id=OWNER)
    assert record == before
    assert [w.code for w in warnings] == ["read-only-field", "read-only-field"]
    assert svc.patch(76, 10, {}, user_id=OWNER) == (before, [])


def _nested(depth: int) -> object:
    value: object = True
    for _ in range(depth):
        value = [value]
    return value


JSON_LIKE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.builds(lambda digits, sign: sign * 10**digits, st.sampled_from([20, 4400, 5000]), st.sampled_from([1, -1]))
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["true", "false", "x" * 100_000]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)
BODIES = st.one_of(
    JSON_LIKE,
    st.dictionaries(st.sampled_from(["is_active", "template_name", "id", "colour", "x" * 10_000]), JSON_LIKE),
    st.dictionaries(st.sampled_from([1, None, ("a",)]) | st.builds(lambda: 10**5000), JSON_LIKE, max_size=2),
    st.sampled_from([{"is_active": _nested(100_000)}, _nested(100_000), {"is_active": {"a": _nested(50_000)}}]),
)


def test_a_patch_of_any_json_like_body_succeeds_or_raises_a_service_error() -> None:
    svc = _service()  # one service for every example: a patch either changes is_active or nothing

    @settings(max_examples=200)
    @given(BODIES)
    def patch(body: object) -> None:
        try:
            svc.patch(76, 11, body, user_id=OWNER)
        except ServiceError as error:
            assert len(json.dumps(error.to_dict())) < 2_000 + 1_000 * len(error.diagnostics)

    patch()


# ---------------------------------------------------------------- the route's contact


def test_find_sees_only_the_routes_contact(svc: CampaignCommunications) -> None:
    assert [r["id"] for r in svc.find(76)["data"]] == [11, 10, 12, 13]
    assert [r["id"] for r in svc.find(77)["data"]] == [20]
    assert svc.find(76, "campaign_name=Other Contact's Campaign")["total"] == 0


def test_another_contacts_record_is_not_found(svc: CampaignCommunications) -> None:
    with pytest.raises(NotFound, match="No record found for id '20'"):
        svc.get(76, 20)
    with pytest.raises(NotFound):
        svc.patch(76, 20, {"is_active": False}, user_id=OWNER)
    assert svc.get(77, 20)["is_active"] is True


def test_an_unknown_contact_or_record_is_not_found(svc: CampaignCommunications) -> None:
    with pytest.raises(NotFound, match="contact"):
        svc.find(99)
    with pytest.raises(NotFound, match="contact"):
        svc.get(99, 10)
    with pytest.raises(NotFound, match="id '404'"):
        svc.get(76, 404)
    with pytest.raises(NotFound):
        svc.patch(76, 404, {"is_active": True}, user_id=OWNER)


# ---------------------------------------------------------------- a pattern ending in a lone backslash

# Contact 77 belongs to STRANGER; "B%\\" reaches the backslash on contact 76's "Buyer Drip".
STOPPING = [
    "campaign_name[$like]=B%25%5C",
    "campaign_name[$like]=%25%5C",
    "template_name[$ilike]=%5C",
    "id=20&$or[0][template_folder_name][$notlike]=x%5C&$or[1][is_active]=true",
]


@pytest.fixture
def untouchable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any read of the store's records fails the test."""

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("the store was read")

    for name in ("records_of", "record", "find", "get", "update"):
        monkeypatch.setattr(MemoryStore, name, boom)


@pytest.mark.parametrize("query", STOPPING)
@pytest.mark.usefixtures("untouchable")
def test_find_and_get_refuse_a_lone_trailing_backslash_before_reading_any_record(query: str) -> None:
    svc = _service()
    for call in (lambda: svc.find(77, query, user_id=STRANGER), lambda: svc.get(77, 20, query, user_id=STRANGER)):
        with pytest.raises(BadRequest) as caught:
            call()
        errors = [d for d in caught.value.diagnostics if d.severity == "error"]
        assert [d.code for d in errors] == ["bad-pattern"]
        (d,) = errors
        assert query[d.span.start : d.span.end].endswith("%5C")
        assert d.hint is not None and "%5C%5C" in d.hint
        assert isinstance(caught.value.__cause__, QueryError)


@pytest.mark.parametrize("query", STOPPING)
def test_the_refusal_is_the_same_whatever_the_records(query: str) -> None:
    # None of another contact's values is quoted, and the answer is the same without them.
    alone = _service(records=[r for r in _records() if r["contact_id"] == 77])
    answers = []
    for svc in (_service(), alone):
        with pytest.raises(BadRequest) as caught:
            svc.find(77, query, user_id=STRANGER)
        answers.append(json.dumps(caught.value.to_dict()))
    assert answers[0] == answers[1]
    stored = {str(v) for r in _records() if r["contact_id"] == 76 for v in r.values() if isinstance(v, str)}
    assert [v for v in stored if v in answers[0] and v not in query] == []


def test_the_access_rule_comes_before_the_pattern(svc: CampaignCommunications) -> None:
    with pytest.raises(Forbidden):
        svc.find(76, STOPPING[0], user_id=STRANGER)
    with pytest.raises(Forbidden):
        svc.get(76, 10, STOPPING[0], user_id=STRANGER)
    with pytest.raises(NotFound):
        svc.find(99, STOPPING[0])


def test_an_escaped_backslash_at_the_end_is_a_pattern_like_any_other(svc: CampaignCommunications) -> None:
    assert svc.find(76, "campaign_name[$like]=B%25%5C%5C")["total"] == 0
    assert svc.get(76, 12, "campaign_name[$like]=B%25")["id"] == 12


# ---------------------------------------------------------------- queries, $select and $load


def test_load_gives_users_and_null_for_null_or_unknown_ids(svc: CampaignCommunications) -> None:
    page = svc.find(76, "$load=send_from_user,completing_user")
    by_id = {r["id"]: r for r in page["data"]}
    assert by_id[11]["send_from_user"] == {"id": 3, "first_name": "Angela", "last_name": "Ziegler"}
    assert by_id[11]["completing_user"]["last_name"] == "Morrison"
    assert by_id[10]["completing_user"] is None  # null id
    assert by_id[12]["send_from_user"] is None  # user 8 is unknown
    assert by_id[13]["completing_user"] is None  # user 999 is gone
    assert by_id[13]["send_from_user"]["first_name"] == "Olivia"


def test_load_in_get_and_with_a_list(svc: CampaignCommunications) -> None:
    record = svc.get(76, 10, "$load[]=completing_user&$load[]=send_from_user&$select[]=id")
    assert record == {
        "id": 10,
        "completing_user": None,
        "send_from_user": {"id": 4, "first_name": "Sharon", "last_name": "Shared"},
    }


def test_users_may_be_a_mapping() -> None:
    svc = CampaignCommunications(_records(), contacts=CONTACTS, users={u["id"]: u for u in USERS})
    assert svc.get(76, 10, "$load=send_from_user")["send_from_user"]["id"] == 4


def test_without_users_load_gives_null() -> None:
    svc = CampaignCommunications(_records(), contacts=CONTACTS)
    assert svc.get(76, 10, "$load=send_from_user")["send_from_user"] is None


def test_get_applies_conditions_and_select_but_not_limit_or_skip(svc: CampaignCommunications) -> None:
    assert svc.get(76, 10, "is_active=false&$limit=0&$skip=5")["id"] == 10
    with pytest.raises(NotFound):
        svc.get(76, 10, "is_active=true")
    assert svc.get(76, 10, "$select[]=type&$select[]=send_at") == {
        "type": "Email Contact",
        "send_at": datetime(2017, 12, 6, 22, 11, 2, tzinfo=UTC),
    }


def test_find_pages_sorts_and_filters(svc: CampaignCommunications) -> None:
    page = svc.find(76, "send_at[$gte]=2019-01-01T10:00:00Z&$sort[send_at]=-1&$limit=2&$skip=1")
    assert page["total"] == 3
    assert [r["id"] for r in page["data"]] == [13, 12]
    assert svc.find(76, "$limit=500")["limit"] == 100


def test_an_invalid_query_is_a_bad_request_with_every_diagnostic(svc: CampaignCommunications) -> None:
    text = "sendat[$gte]=2019-01-01T11:00:00Z&type[$in]=Text%20Contakt"
    with pytest.raises(BadRequest) as caught:
        svc.find(76, text)
    error = caught.value
    assert [d.code for d in error.diagnostics] == ["unknown-field", "not-in-enum"]
    assert [text[d.span.start : d.span.end] for d in error.diagnostics] == ["sendat", "Text%20Contakt"]
    assert error.text == text
    assert isinstance(error.__cause__, QueryError)
    assert error.message.startswith("invalid query: unknown field 'sendat'")
    with pytest.raises(BadRequest):
        svc.get(76, 10, "$limit=x")


def test_rows_are_copies(svc: CampaignCommunications) -> None:
    row = svc.find(76, "$load=send_from_user")["data"][0]
    row["is_active"] = "changed"
    row["send_from_user"]["first_name"] = "changed"
    fresh = svc.find(76, "$load=send_from_user")["data"][0]
    assert fresh["is_active"] is True
    assert fresh["send_from_user"]["first_name"] == "Angela"
    record, _ = svc.patch(76, 11, {}, user_id=OWNER)
    record["template_name"] = "changed"
    assert svc.get(76, 11)["template_name"] == "Text Template"


def test_the_callers_data_is_neither_modified_nor_kept() -> None:
    records, users = _records(), [dict(u) for u in USERS]
    svc = CampaignCommunications(records, contacts=CONTACTS, users=users, teams=TEAMS, clock=lambda: NOW)
    svc.patch(76, 11, {"is_active": False}, user_id=OWNER)
    users[2]["first_name"] = "changed"
    assert records == _records()
    assert svc.get(76, 11, "$load=send_from_user")["send_from_user"]["first_name"] == "Angela"


# ---------------------------------------------------------------- errors


def test_errors_mirror_feathers() -> None:
    table = [
        (BadRequest, "BadRequest", 400, "bad-request"),
        (NotAuthenticated, "NotAuthenticated", 401, "not-authenticated"),
        (Forbidden, "Forbidden", 403, "forbidden"),
        (NotFound, "NotFound", 404, "not-found"),
        (MethodNotAllowed, "MethodNotAllowed", 405, "method-not-allowed"),
        (UnsupportedMediaType, "UnsupportedMediaType", 415, "unsupported-media-type"),
        (RequestHeaderFieldsTooLarge, "RequestHeaderFieldsTooLarge", 431, "request-header-fields-too-large"),
        (GeneralError, "GeneralError", 500, "general-error"),
    ]
    for cls, name, code, class_name in table:
        error = cls("went wrong")
        assert isinstance(error, ServiceError)
        assert not isinstance(error, QueryError | ValueError)
        assert error.to_dict() == {"name": name, "message": "went wrong", "code": code, "className": class_name}
        assert str(error) == "went wrong"


def test_a_bad_request_sends_its_diagnostics_as_data() -> None:
    error = BadRequest.from_diagnostics("body", [Diagnostic("unknown-field", "unknown field 'x'", hint="h")])
    assert error.to_dict() == {
        "name": "BadRequest",
        "message": "invalid body: unknown field 'x' (h)",
        "code": 400,
        "className": "bad-request",
        "data": [
            {
                "code": "unknown-field",
                "severity": "error",
                "message": "unknown field 'x'",
                "start": None,
                "end": None,
                "hint": "h",
            }
        ],
    }
    json.dumps(error.to_dict())


# ---------------------------------------------------------------- rendering


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2023, 4, 10, tzinfo=UTC), "2023-04-10T00:00:00.000Z"),
        (datetime(2023, 4, 10, 1, 2, 3, 999999, tzinfo=UTC), "2023-04-10T01:02:03.999Z"),  # truncated
        (datetime(2023, 4, 10, 9, 15, tzinfo=timezone(timedelta(hours=-7))), "2023-04-10T16:15:00.000Z"),
        (datetime(5, 1, 1, tzinfo=UTC), "0005-01-01T00:00:00.000Z"),
    ],
)
def test_dates_render_as_the_reference_does(value: datetime, text: str) -> None:
    assert format_datetime(value) == text


def test_jsonable_renders_records_and_pages(svc: CampaignCommunications) -> None:
    page = jsonable(svc.find(76, "$select[]=send_at&$select[]=completed_at&$limit=2"))
    assert page == {
        "total": 4,
        "limit": 2,
        "skip": 0,
        "data": [
            {"send_at": "2028-09-12T18:31:35.000Z", "completed_at": None},
            {"send_at": "2017-12-06T22:11:02.000Z", "completed_at": "2017-12-06T22:11:02.000Z"},
        ],
    }
    assert json.loads(json.dumps(page)) == page


# ---------------------------------------------------------------- data


def test_from_folder_reads_the_examples() -> None:
    svc = CampaignCommunications.from_folder(EXAMPLES)
    lines = (EXAMPLES / "campaign-communications.jsonl").read_text(encoding="utf-8").splitlines()
    assert svc.find(76, "$limit=0")["total"] == sum('"contact_id": 76' in line for line in lines)
    # contact 78 of the examples keeps the four paths apart: owner 12, team 4, assigned 15, shared 63
    assert [svc.access(78, u) for u in (12, 4, 15, 63, 44)] == ["owner", "team", "assigned", "shared", None]
    page = svc.find(76, "completing_user_id=5120&$load=completing_user,send_from_user&$limit=1")
    assert page["data"][0]["completing_user"] is None  # a deleted user in the examples
    assert page["data"][0]["send_from_user"] is not None


def _write(folder: Path, name: str, content: object) -> None:
    text = content if isinstance(content, str) else json.dumps(content)
    (folder / name).write_text(text, encoding="utf-8")


def test_from_folder_takes_a_json_list_and_optional_users_and_teams(tmp_path: Path) -> None:
    _write(tmp_path, "campaign-communications.json", _records())
    _write(tmp_path, "contacts.json", CONTACTS)
    svc = CampaignCommunications.from_folder(tmp_path, clock=lambda: NOW)
    assert svc.find(76, "$limit=0")["total"] == 4
    assert svc.access(76, TEAMMATE) is None  # no teams.json: no teams
    assert svc.patch(76, 11, {"is_active": False}, user_id=SHARED)[0]["completed_at"] == NOW


RECORD = '{"id": 1, "contact_id": 76, "is_active": true}\n'
BAD_DATA: dict[str, tuple[dict[str, object], str]] = {
    "no-records": ({"contacts.json": CONTACTS}, "no campaign-communications.jsonl or campaign-communications.json"),
    "both-record-files": (
        {"campaign-communications.jsonl": "", "campaign-communications.json": "[]", "contacts.json": CONTACTS},
        "holds both",
    ),
    "no-contacts": ({"campaign-communications.jsonl": ""}, "contacts.json: missing"),
    "bad-json-line": (
        {"campaign-communications.jsonl": RECORD + '{"id": 2,\n', "contacts.json": []},
        "campaign-communications.jsonl line 2: not JSON",
    ),
    "bad-value": (
        {"campaign-communications.jsonl": '\n{"id": 1, "contact_id": 76, "is_active": "maybe"}\n', "contacts.json": []},
        "campaign-communications.jsonl line 2: field 'is_active'",
    ),
    "missing-field": (
        {"campaign-communications.jsonl": '{"id": 1, "contact_id": 76}', "contacts.json": []},
        "field 'is_active' is required",
    ),
    "repeated-record": (
        {"campaign-communications.jsonl": RECORD * 2, "contacts.json": []},
        "line 2: id 1 appears twice",
    ),
    "contacts-not-a-list": (
        {"campaign-communications.jsonl": "", "contacts.json": {"id": 76}},
        "contacts.json: must hold a JSON list",
    ),
    "contact-without-owner": (
        {"campaign-communications.jsonl": "", "contacts.json": [{"id": 76}]},
        "'owner_user_id' must be a whole",
    ),
    "repeated-contact": (
        {"campaign-communications.jsonl": "", "contacts.json": [CONTACTS[0]] * 2},
        "contacts.json: contact 1: id 76 appears twice",
    ),
    "users-not-json": (
        {"campaign-communications.jsonl": "", "contacts.json": [], "users.json": "{"},
        "users.json: not JSON",
    ),
    "user-id-as-text": (
        {"campaign-communications.jsonl": "", "contacts.json": [], "users.json": [{"id": "3"}]},
        "users.json: user 0: 'id' must be a whole number",
    ),
    "team-members-not-a-list": (
        {"campaign-communications.jsonl": "", "contacts.json": [], "teams.json": [{"id": 1, "member_user_ids": 3}]},
        "teams.json item 0: 'member_user_ids' must be a list",
    ),
}


@pytest.mark.parametrize(("files", "message"), BAD_DATA.values(), ids=list(BAD_DATA))
def test_from_folder_names_what_is_wrong(tmp_path: Path, files: dict[str, object], message: str) -> None:
    for name, content in files.items():
        _write(tmp_path, name, content)
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        CampaignCommunications.from_folder(tmp_path)


def test_from_folder_needs_a_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a folder"):
        CampaignCommunications.from_folder(tmp_path / "missing")


def test_the_constructor_checks_its_data() -> None:
    with pytest.raises(DataError, match="record 1: id 10 appears twice"):
        CampaignCommunications([_records()[1], _records()[1]])
    with pytest.raises(DataError, match="field 'contact_id' is required"):
        CampaignCommunications([{"id": 1, "is_active": True}])
    with pytest.raises(DataError, match="record 0: field 'send_at'"):
        CampaignCommunications([{**_records()[0], "send_at": "2020-01-01T00:00:00"}])
    with pytest.raises(DataError, match="'shared_with_user_ids'"):
        CampaignCommunications([], contacts=[{"id": 1, "owner_user_id": 1, "shared_with_user_ids": [True]}])
    with pytest.raises(DataError, match="user 0: 'id'"):
        CampaignCommunications([], users=[{"first_name": "No Id"}])


def test_contacts_and_teams_may_be_objects() -> None:
    svc = CampaignCommunications(
        _records(),
        contacts=[Contact(76, owner_user_id=OWNER)],
        teams=[Team(1, frozenset({OWNER, 42}))],
    )
    assert [svc.access(76, u) for u in (OWNER, 42, ASSIGNED)] == ["owner", "team", None]


def test_csv_text_records_are_typed() -> None:
    row = {k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for k, v in _records()[1].items()}
    svc = CampaignCommunications([row], contacts=CONTACTS)
    record = svc.get(76, 10)
    assert (record["id"], record["is_active"], record["completing_user_id"]) == (10, False, None)
    assert record["send_at"] == datetime(2017, 12, 6, 22, 11, 2, tzinfo=UTC)


# ---------------------------------------------------------------- threads


class _Clock:
    """A slow clock that counts its calls and names the caller's user.

    It runs inside the patch that completes the record, so it also checks that patch's
    exclusion: the record is active when it is called (no other patch completed it first) and
    nobody changes it while the clock sleeps. Reading the service from the clock needs no
    private access: the service's lock is reentrant.
    """

    def __init__(self) -> None:
        self.svc: CampaignCommunications | None = None
        self.lock = threading.Lock()
        self.issued: list[tuple[datetime, int]] = []
        self.users: dict[str, int] = {}
        self.violations: list[str] = []

    def __call__(self) -> datetime:
        assert self.svc is not None
        before = self.svc.get(76, 12)
        time.sleep(0.0005)  # a window for a racing patch
        after = self.svc.get(76, 12)
        if not before["is_active"] or after != before:
            self.violations.append(f"{before} -> {after}")
        with self.lock:
            value = NOW + timedelta(seconds=len(self.issued))
            self.issued.append((value, self.users[threading.current_thread().name]))
            return value


def _hammer(svc: CampaignCommunications, clock: _Clock, plans: list[list[bool]]) -> list[dict[str, Any]]:
    clock.svc = svc
    users = list(ALLOWED.values())
    results: list[dict[str, Any]] = []
    results_lock = threading.Lock()
    start = threading.Barrier(len(plans))

    def work(n: int, plan: list[bool]) -> None:
        user = users[n % len(users)]
        clock.users[threading.current_thread().name] = user
        start.wait()
        for value in plan:
            record, _ = svc.patch(76, 12, {"is_active": value}, user_id=user)
            with results_lock:
                results.append(record)

    threads = [threading.Thread(target=work, args=(n, plan), name=f"hammer-{n}") for n, plan in enumerate(plans)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert len(results) == sum(map(len, plans))
    assert clock.violations == []
    return results


def _consistent(record: dict[str, Any]) -> bool:
    done = (record["completing_user_id"], record["completed_at"])
    return (record["is_active"] and done == (None, None)) or (not record["is_active"] and None not in done)


def test_concurrent_completions_complete_once() -> None:
    clock = _Clock()
    svc = _service(clock)
    results = _hammer(svc, clock, [[False] * 25 for _ in range(8)])
    # sequentially, the first patch completes the record and the other 199 change nothing
    assert len(clock.issued) == 1
    (value, user), final = clock.issued[0], svc.get(76, 12)
    assert (final["is_active"], final["completed_at"], final["completing_user_id"]) == (False, value, user)
    assert all(r == final for r in results)


def test_concurrent_toggles_lose_no_update() -> None:
    clock = _Clock()
    svc = _service(clock)
    rng = random.Random(6)
    plans = [[rng.random() < 0.5 for _ in range(60)] for _ in range(8)]
    results = _hammer(svc, clock, plans)
    final = svc.get(76, 12)
    assert all(_consistent(r) for r in [*results, final])
    # each completion is seen by the patch that made it, and no other time was ever stored
    issued = {value: user for value, user in clock.issued}
    seen = {(r["completed_at"], r["completing_user_id"]) for r in results if not r["is_active"]}
    assert seen == set(issued.items())
    # the stored completion is the last one made: a later one cannot have been overwritten
    if final["is_active"]:
        assert (final["completed_at"], final["completing_user_id"]) == (None, None)
    else:
        last_value, last_user = clock.issued[-1]
        assert (final["completed_at"], final["completing_user_id"]) == (last_value, last_user)
    # a completion needs an active record: between two completions the record was made active
    assert len(clock.issued) <= 1 + sum(1 for r in results if r["is_active"])


def test_reads_during_patches_never_see_half_an_update() -> None:
    svc = _service(lambda: NOW)
    stop = threading.Event()
    bad: list[dict[str, Any]] = []

    def read() -> None:
        while not stop.is_set():
            record = svc.get(76, 12)
            if not _consistent(record):
                bad.append(record)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    for value in itertools.islice(itertools.cycle([False, True]), 400):
        svc.patch(76, 12, {"is_active": value}, user_id=OWNER)
    stop.set()
    for t in readers:
        t.join(timeout=30)
    assert bad == []


def test_the_exception_keeps_every_diagnostic_and_its_body_shows_20() -> None:
    many = [Diagnostic("unknown-field", f"unknown field 'k{i}'") for i in range(25)]
    error = BadRequest.from_diagnostics("body", many)
    assert error.diagnostics == tuple(many)
    body = error.to_dict()
    assert [d["message"] for d in body["data"]] == [d.message for d in many[:20]]  # type: ignore[union-attr]
    message = "invalid body: unknown field 'k0' (and 24 more) (data: the first 20 diagnostics, and 5 more)"
    assert body["message"] == message
    assert "data:" not in BadRequest.from_diagnostics("body", many[:20]).to_dict()["message"]  # type: ignore[operator]


def test_a_body_of_many_unknown_keys_gets_spelling_hints_for_the_shown_ones_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Work per request stays bounded: difflib runs for the keys people are shown, not for
    # every one of 1,000; every key still has its diagnostic, with a hint.
    import querylang.service.rules as rules
    from querylang.errors import MAX_SHOWN_DIAGNOSTICS
    from querylang.schema import CONTACT_COMMUNICATIONS

    calls: list[str] = []
    original = rules.suggest

    def counting(word: str, choices: Any) -> str | None:
        calls.append(word)
        return original(word, choices)

    monkeypatch.setattr(rules, "suggest", counting)
    _, found = rules.read_body({f"is_activ{i}": 1 for i in range(1000)}, CONTACT_COMMUNICATIONS)
    assert len(found) == 1000 and all(d.code == "unknown-field" and d.hint for d in found)
    assert len(calls) == MAX_SHOWN_DIAGNOSTICS
    assert found[0].hint == "did you mean 'is_active'?"
    assert found[-1].hint == "only 'is_active' may change"
