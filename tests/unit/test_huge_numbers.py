"""Numbers of thousands of digits at every entry point (issue 11 item 5): a clear error, never ``ValueError``.

Python refuses ``int()`` of more than 4,300 digits and ``repr`` of an int that long. Each entry
point that reads a number from outside text measures it first (``querylang.values.bounded_int``)
and says the number is out of range, naming the range; a query value keeps its span.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.tokens import stand_in

import querylang
from querylang import F, Field, FieldType, QueryError, QuerySyntaxError, QueryValidationError, Schema
from querylang.errors import RecordError, SchemaError
from querylang.service import CampaignCommunications, DataError
from querylang.service.http import make_app

N = "9" * 5000
OVER = "1" * (sys.get_int_max_str_digits() + 1)
SHORT = "99999999999999999999...999999 (5000 digits)"


def _only_error(error: QueryError) -> tuple[str, int, int]:
    assert len(error.diagnostics) == 1, error.diagnostics
    d = error.diagnostic
    assert len(d.message) < 200, d.message  # the number is quoted short
    return d.code, d.span.start, d.span.end


# ---- text in: decode, parse, check, validate


@pytest.mark.parametrize("digits", [N, OVER])
def test_decode_refuses_a_huge_array_index(digits: str) -> None:
    with pytest.raises(QuerySyntaxError) as error:
        querylang.decode(f"a[{digits}]=1")
    assert _only_error(error.value) == ("index-too-large", 2, 2 + len(digits))


def test_decode_keeps_a_huge_top_level_number_as_a_key() -> None:
    assert list(querylang.decode(f"{N}=1&5=2")) == ["5", N]  # JavaScript's key order: indices first


def test_parse_refuses_a_huge_array_index() -> None:
    with pytest.raises(QuerySyntaxError) as error:
        querylang.parse(f"id[$in][{N}]=1")
    assert _only_error(error.value) == ("index-too-large", 8, 8 + len(N))


@pytest.mark.parametrize(
    ("text", "start"),
    [(f"id={N}", 3), (f"id=-{N}", 3), (f"$skip={N}", 6), (f"$limit={N}", 7), (f"id[$in][]=1&id[$in][]={N}", 22)],
)
def test_check_reports_a_huge_number_out_of_range_under_its_value(text: str, start: int) -> None:
    found = querylang.check(text)  # documented never to raise
    assert [(d.code, d.span.start, d.span.end) for d in found] == [("out-of-range", start, len(text))]
    assert "...999999 (5000 digits)" in found[0].message
    assert any(bound in (found[0].hint or "") for bound in ("2147483647", "9007199254740991", "999999999999999934463"))


@pytest.mark.parametrize(
    ("text", "start", "range_"),
    [
        (f"id={N}", 3, "from -2147483648 to 2147483647"),
        (f"send_from_user_id[$in][]={N}", 25, "from -2147483648 to 2147483647"),
        (f"$limit={N}", 7, "up to 999999999999999934463"),
        (f"$skip={N}", 6, "up to 9007199254740991"),
        (f"$skip=-{N}", 6, "from 0"),
    ],
)
def test_validate_raises_out_of_range_with_the_span_and_the_range(text: str, start: int, range_: str) -> None:
    with pytest.raises(QueryValidationError) as error:
        querylang.validate(text)
    assert _only_error(error.value) == ("out-of-range", start, len(text))
    assert range_ in (error.value.diagnostic.hint or "")
    line, carets = str(error.value).splitlines()[-2:]  # a long line is shown as a window
    assert carets.strip(" ^") == "" and line[carets.index("^") - 1] == "="


def test_validate_reads_thousands_of_leading_zeros() -> None:
    assert querylang.validate("id=" + "0" * 5000 + "311").where == querylang.validate("id=311").where


def test_a_number_field_of_another_schema_refuses_a_number_past_a_double() -> None:
    schema = Schema("s", (Field("x", FieldType.NUMBER),))
    for text in (f"x={N}", f"x={N}.5", f"x[$gt]=-{N}"):
        assert [d.code for d in querylang.check(text, schema)] == ["out-of-range"]
    assert querylang.validate("x=" + "1" * 300, schema).where is not None


# ---- records in: find


def test_find_refuses_a_huge_record_id_from_a_csv_export() -> None:
    with pytest.raises(RecordError) as error:
        querylang.find([{"id": N}], "id=1")
    assert error.value.diagnostic.code == "out-of-range"
    assert error.value.diagnostic.message == f"record 0: field 'id': {SHORT} is outside the 32-bit range of 'id'"


def test_find_refuses_a_huge_user_id() -> None:
    records = [{"id": 1, "send_from_user_id": 3}]
    with pytest.raises(RecordError) as error:
        querylang.find(records, "$load=send_from_user", users=[{"id": N}])
    assert error.value.diagnostic.code == "bad-user"
    assert SHORT in error.value.diagnostic.message


@pytest.mark.parametrize("value", [10**5000, [10**5000], {"a": 10**5000}], ids=["int", "list", "dict"])
def test_find_quotes_a_record_value_holding_a_huge_int_without_writing_it(value: object) -> None:
    with pytest.raises(RecordError) as error:
        querylang.find([{"campaign_name": value}], "campaign_name=x")
    assert error.value.diagnostic.code == "wrong-type"
    assert "integer of" in error.value.diagnostic.message


# ---- URLs


@pytest.mark.parametrize(
    "url",
    [
        f"https://api-v2.liondesk.com/contacts/{N}/campaign-communications",
        f"/contacts/76/campaign-communications/{N}",
        f"http://localhost:{N}/contacts/76/campaign-communications",
        "/contacts/9007199254740992/campaign-communications",
    ],
)
def test_from_url_refuses_a_huge_id_or_port(url: str) -> None:
    with pytest.raises(QueryError) as error:
        querylang.from_url(url)
    assert error.value.diagnostic.code == "bad-url"
    assert "out of range" in error.value.diagnostic.headline


@pytest.mark.parametrize(
    "kwargs",
    [{"contact_id": N}, {"contact_id": 10**5000}, {"contact_id": 76, "id": 2**53}, {"contact_id": 2**53}],
    ids=["digits", "int", "id", "2**53"],
)
def test_to_url_refuses_a_huge_id(kwargs: dict[str, Any]) -> None:
    with pytest.raises(QueryError) as error:
        querylang.to_url(querylang.parse("$limit=1"), **kwargs)
    assert error.value.diagnostic.code == "bad-url"
    assert "out of range" in error.value.diagnostic.message
    assert "9007199254740991" in (error.value.diagnostic.hint or "")


# ---- text out: encode, serialize, the builder


@pytest.mark.parametrize(
    "make",
    [lambda: querylang.encode({"a": 10**5000}), lambda: querylang.serialize(F.id == 10**5000)],
    ids=["encode", "builder"],
)
def test_writing_a_huge_int_is_cannot_encode(make: Any) -> None:
    with pytest.raises(QueryError) as error:
        make()
    assert error.value.diagnostic.code == "cannot-encode"
    assert "integer of about 5000 digits" in error.value.diagnostic.message


# ---- the command line, the service's data, HTTP


def _find_cli(tmp_path: Path, name: str, text: str, *, stdlib_json: bool) -> subprocess.CompletedProcess[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    block = "import sys; sys.modules['orjson'] = None; " if stdlib_json else ""
    code = f"{block}from querylang.cli import main; raise SystemExit(main(['find', 'id=1', {str(path)!r}]))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("stdlib_json", [False, True], ids=["orjson", "json"])
@pytest.mark.parametrize(
    ("name", "text"),
    [("a.json", f'[{{"id": {N}}}]'), ("a.jsonl", f'{{"id": {N}}}\n'), ("a.csv", f"id\n{N}\n")],
)
def test_cli_find_says_a_huge_number_is_bad_input_and_exits_2(
    tmp_path: Path, name: str, text: str, stdlib_json: bool
) -> None:
    done = _find_cli(tmp_path, name, text, stdlib_json=stdlib_json)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "set_int_max_str_digits" not in done.stderr  # Python's advice means nothing to a user
    assert done.stderr.startswith(f"querylang find: {tmp_path / name}")
    assert len(done.stderr) < 300


@pytest.mark.parametrize("stdlib_json", [False, True], ids=["orjson", "json"])
def test_cli_find_says_json_nested_too_deep_is_bad_input(tmp_path: Path, stdlib_json: bool) -> None:
    done = _find_cli(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000, stdlib_json=stdlib_json)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr


def test_cli_url_parse_of_a_huge_id_exits_1() -> None:
    url = f"/contacts/{N}/campaign-communications"
    done = subprocess.run(
        [sys.executable, "-m", "querylang", "url", "--parse", url], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "error[bad-url]" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("campaign-communications.jsonl", f'{{"id": {N}}}\n', "line 1: not JSON that can be read: a number of more"),
        ("campaign-communications.json", f'[{{"id": {N}}}]', "not JSON that can be read: a number of more"),
        ("campaign-communications.json", "[" * 100_000 + "]" * 100_000, "not JSON that can be read: nested too"),
    ],
)
def test_service_data_with_a_huge_number_is_a_data_error(tmp_path: Path, name: str, text: str, message: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "contacts.json").write_text("[]", encoding="utf-8")
    with pytest.raises(DataError, match=message):
        CampaignCommunications.from_folder(tmp_path)


def test_service_data_quotes_a_huge_int_without_writing_it() -> None:
    with pytest.raises(DataError, match="must be a whole number, not <a list holding an integer"):
        CampaignCommunications([], contacts=[{"id": [10**5000], "owner_user_id": 1}])


@pytest.mark.parametrize("query", [f"id={N}", f"$skip={N}", f"$limit={N}", f"a[{N}]=1", f"send_at[$gte]={N}"])
def test_http_answers_400_not_500(query: str) -> None:
    service = CampaignCommunications([], contacts=[{"id": 76, "owner_user_id": 3}])
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/contacts/76/campaign-communications",
        "QUERY_STRING": query,
        "HTTP_AUTHORIZATION": "Bearer token-3",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    seen: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = status

    body = json.loads(b"".join(make_app(service, stand_in)(environ, start_response)))
    assert seen["status"] == "400 Bad Request", body
    assert body["name"] == "BadRequest"


def test_a_schema_file_with_a_huge_number_is_a_schema_error(tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    path.write_text(f'{{"name": "x", "fields": [{{"name": "id", "type": "integer"}}], "max_limit": {N}}}', "utf-8")
    with pytest.raises(SchemaError) as error:
        Schema.load(path)
    assert error.value.diagnostic.message == f"{path}: not JSON that can be read: a number of more than 4300 digits"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: querylang.Query.limit(10**5000), "out-of-range"),
        (lambda: querylang.Query.skip(2**53), "out-of-range"),
        (lambda: querylang.Query.limit(-(10**5000)), "not-an-integer"),
        (lambda: querylang.validate(querylang.ast.Query(limit=10**5000)), "out-of-range"),
    ],
    ids=["limit", "skip", "negative", "ast"],
)
def test_the_builder_and_a_built_ast_refuse_a_huge_limit_or_skip(make: Any, code: str) -> None:
    with pytest.raises(QueryError) as error:
        make()
    assert error.value.diagnostic.code == code
