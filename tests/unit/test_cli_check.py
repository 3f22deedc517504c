"""``querylang check`` and ``querylang schema``, run as ``python -m querylang`` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ISSUE = "sendat[$gte]=2019-13-01&type=Text&$limit=abc"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "querylang", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr


# ---- text output


def test_check_prints_every_error_with_code_and_carets_and_exits_1() -> None:
    result = _run("check", ISSUE)
    _no_traceback(result)
    assert result.returncode == 1
    assert result.stdout == (
        "error[unknown-field]: unknown field 'sendat' (did you mean 'send_at'?)\n"
        f"  {ISSUE}\n"
        "  ^^^^^^\n"
        "error[not-in-enum]: 'Text' is not a value of 'type' (did you mean 'Text Contact'?)\n"
        f"  {ISSUE}\n"
        "                               ^^^^\n"
        "error[not-an-integer]: $limit 'abc' is not a whole number (use a whole number from 0 to 100)\n"
        f"  {ISSUE}\n"
        "                                           ^^^\n"
    )


def test_check_of_a_valid_query_prints_ok_and_exits_0() -> None:
    result = _run("check", "type[$in]=Text%20Contact&send_at[$gte]=2019-01-01T11:00:00Z&$limit=10")
    assert (result.returncode, result.stdout, result.stderr) == (0, "ok\n", "")


def test_check_with_warnings_only_exits_0_and_prints_them() -> None:
    result = _run("check", "campaign_name=undefined&$limit=500")
    _no_traceback(result)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("warning[placeholder-value]: ")
    assert lines[1] == "  campaign_name=undefined&$limit=500"
    assert lines[2] == "                ^^^^^^^^^"
    assert lines[3].startswith("warning[limit-lowered]: ")
    assert lines[5] == "                                 ^^^"
    assert "ok" not in lines


def test_check_with_errors_and_warnings_exits_1() -> None:
    result = _run("check", "campaign_name=%ZZ&id=x")
    assert result.returncode == 1
    assert "warning[raw-value]" in result.stdout
    assert "error[not-an-integer]" in result.stdout


def test_check_shows_list_for_value_with_carets_under_the_list() -> None:
    result = _run("check", "type[$ne][]=Text%20Contact")
    _no_traceback(result)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "warning[list-for-value]: 'type[$ne][]' is a list of one where one value is expected: "
        "read as the value 'Text Contact' (write type[$ne]=Text%20Contact)\n"
        "  type[$ne][]=Text%20Contact\n"
        "           ^^\n"
    )


def test_check_json_gives_list_for_value_with_its_span() -> None:
    result = _run("check", "--format", "json", "id[0]=1")
    assert result.returncode == 0
    [found] = json.loads(result.stdout)
    assert (found["code"], found["severity"], found["hint"]) == ("list-for-value", "warning", "write id=1")
    assert (found["start"], found["end"]) == (2, 5)


def test_check_of_unreadable_text_prints_the_syntax_error_and_exits_1() -> None:
    result = _run("check", "type[$in=Text")
    _no_traceback(result)
    assert result.returncode == 1
    assert (
        result.stdout == "error[unclosed-bracket]: '[' is never closed (close it with ']')\n  type[$in=Text\n      ^\n"
    )


# ---- JSON output


def test_check_json_lists_each_diagnostic_with_its_fields() -> None:
    result = _run("check", "--format", "json", ISSUE)
    _no_traceback(result)
    assert result.returncode == 1
    found = json.loads(result.stdout)
    assert [set(d) for d in found] == [{"code", "severity", "message", "start", "end", "hint"}] * 3
    assert [(d["code"], d["severity"], d["start"], d["end"]) for d in found] == [
        ("unknown-field", "error", 0, 6),
        ("not-in-enum", "error", 29, 33),
        ("not-an-integer", "error", 41, 44),
    ]
    assert found[0]["message"] == "unknown field 'sendat'"
    assert found[0]["hint"] == "did you mean 'send_at'?"


def test_check_json_of_warnings_only_exits_0() -> None:
    result = _run("check", "--format", "json", "$limit=101")
    assert result.returncode == 0
    assert json.loads(result.stdout) == [
        {
            "code": "limit-lowered",
            "severity": "warning",
            "message": "$limit 101 is above the maximum page size and is lowered to 100",
            "start": 7,
            "end": 10,
            "hint": "page with $skip",
        }
    ]


def test_check_json_of_a_valid_query_is_an_empty_list() -> None:
    result = _run("check", "--format", "json", "id=1")
    assert (result.returncode, json.loads(result.stdout)) == (0, [])


def test_check_json_hint_is_null_when_there_is_none() -> None:
    result = _run("check", "--format", "json", "$or[0][$or][0][id]=1")
    (d,) = json.loads(result.stdout)
    assert d["code"] == "nested-group"
    assert d["hint"] is None


def test_check_json_of_a_syntax_error() -> None:
    result = _run("check", "--format", "json", "a]=1")
    assert result.returncode == 1
    (d,) = json.loads(result.stdout)
    assert (d["code"], d["start"], d["end"]) == ("stray-bracket", 1, 2)


# ---- custom schemas

LISTINGS = {
    "name": "listings",
    "fields": [
        {"name": "price", "type": "number"},
        {"name": "status", "type": "enum", "values": ["open", "sold"]},
        {"name": "agent_id", "type": "integer", "nullable": True},
    ],
    "relations": [{"name": "agent", "field": "agent_id"}],
    "max_limit": 20,
}


@pytest.fixture
def listings(tmp_path: Path) -> Path:
    path = tmp_path / "listings.json"
    path.write_text(json.dumps(LISTINGS), encoding="utf-8")
    return path


def test_check_with_a_schema_file_uses_its_fields(listings: Path) -> None:
    ok = _run("check", "--schema", str(listings), "price[$gt]=1.5&status=open&agent_id=&$load=agent")
    assert (ok.returncode, ok.stdout) == (0, "ok\n")

    bad = _run("check", "--format", "json", "--schema", str(listings), "price=abc&status=Open&id=1&$limit=21")
    assert bad.returncode == 1
    found = [(d["code"], d["start"], d["end"]) for d in json.loads(bad.stdout)]
    assert found == [
        ("not-a-number", 6, 9),
        ("not-in-enum", 17, 21),
        ("unknown-field", 22, 24),
        ("limit-lowered", 34, 36),
    ]


def test_check_with_the_default_schema_refuses_custom_fields() -> None:
    result = _run("check", "--format", "json", "price=1.5")
    assert [d["code"] for d in json.loads(result.stdout)] == ["unknown-field"]


def test_check_with_a_bad_schema_file_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"fields": [{"name": "n", "type": "float"}]}), encoding="utf-8")
    result = _run("check", "--schema", str(path), "n=1")
    _no_traceback(result)
    assert result.returncode != 0
    assert "bad-schema" in result.stderr
    assert "'float'" in result.stderr
    assert str(path) in result.stderr


def test_check_with_a_schema_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    result = _run("check", "--schema", str(path), "id=1")
    _no_traceback(result)
    assert result.returncode != 0
    assert "not JSON" in result.stderr


def test_check_with_a_missing_schema_file_exits_2(tmp_path: Path) -> None:
    result = _run("check", "--schema", str(tmp_path / "absent.json"), "id=1")
    assert result.returncode == 2


def test_check_without_a_query_is_a_usage_error() -> None:
    result = _run("check")
    assert result.returncode == 2
    assert "usage" in result.stderr


# ---- schema


def test_schema_json_schema_prints_the_json_schema() -> None:
    result = _run("schema", "--json-schema")
    _no_traceback(result)
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert doc["type"] == "object"
    assert doc["additionalProperties"] is False
    assert {"$limit", "$sort", "$select", "id", "send_at"} <= set(doc["properties"])
    assert doc["properties"]["$select"]["maxItems"] == 13


def test_schema_prints_the_schema_file_format() -> None:
    result = _run("schema")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["name"] == "contact-communications"
    assert [f["name"] for f in data["fields"]][:2] == ["id", "contact_id"]


def test_schema_of_a_schema_file(listings: Path) -> None:
    result = _run("schema", "--schema", str(listings))
    assert json.loads(result.stdout)["fields"] == LISTINGS["fields"]
    result = _run("schema", "--json-schema", "--schema", str(listings))
    props = json.loads(result.stdout)["properties"]
    assert "price" in props
    assert "id" not in props
