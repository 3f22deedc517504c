"""The ``querylang`` command, run as ``python -m querylang`` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import querylang


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "querylang", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def _assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout


# ---- success


def test_parse_prints_an_outline() -> None:
    result = _run("parse", "type[$in]=Text%20Contact&$limit=2")
    assert result.returncode == 0
    assert result.stdout == "where:\n  type in ['Text Contact']\nlimit: '2'\n"
    assert result.stderr == ""


def test_parse_json_prints_valid_json() -> None:
    result = _run("parse", "--json", "type[$in]=Text%20Contact&send_at[$gte]=2019-01-01&$sort[send_at]=-1&$limit=2")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data == {
        "where": {
            "all": [
                {"field": "type", "op": "$in", "values": ["Text Contact"]},
                {"field": "send_at", "op": "$gte", "value": "2019-01-01"},
            ]
        },
        "limit": "2",
        "skip": None,
        "sort": [{"field": "send_at", "direction": "-1"}],
        "select": None,
        "load": None,
    }


def test_parse_prints_warnings_on_stderr_and_succeeds() -> None:
    result = _run("parse", "campaign_name[$like]=%New%")
    assert result.returncode == 0
    assert result.stderr.startswith("warning[raw-value]: ")
    assert "  campaign_name[$like]=%New%\n" + " " * 23 + "^^^^^\n" in result.stderr
    _assert_no_traceback(result)


def test_format_prints_the_canonical_text() -> None:
    result = _run("format", "?$limit=10&type[$in]=Text%20Contact&campaign_name[$like]=%New%")
    assert result.returncode == 0
    assert result.stdout == "type[$in][]=Text%20Contact&campaign_name[$like]=%25New%25&$limit=10\n"


def test_decode_prints_what_qs_builds_as_json() -> None:
    result = _run("decode", "a[b][]=1&a[b][]=2&c=%C3%A9")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"a": {"b": ["1", "2"]}, "c": "é"}
    assert "é" in result.stdout


def test_encode_writes_a_query_string() -> None:
    result = _run("encode", '{"a": {"b": ["1", "2"]}, "c": "x y"}')
    assert result.returncode == 0
    assert result.stdout == "a[b][]=1&a[b][]=2&c=x%20y\n"


def test_encode_reads_json_from_stdin() -> None:
    result = _run("encode", "-", stdin='{"$sort": {"send_at": "-1"}}')
    assert result.returncode == 0
    assert result.stdout == "$sort[send_at]=-1\n"


def test_encode_output_decodes_back() -> None:
    data = {"$or": [{"id": "1"}, {"type": "Text Contact"}], "$limit": "2"}
    text = _run("encode", json.dumps(data)).stdout.strip()
    assert json.loads(_run("decode", text).stdout) == data


def test_version() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"querylang {querylang.__version__}"


# ---- failure


@pytest.mark.parametrize(
    ("args", "code", "carets"),
    [
        pytest.param(("parse", "a[b"), "unclosed-bracket", "  a[b\n   ^", id="parse-syntax"),
        pytest.param(("parse", "$foo=1"), "unknown-filter", "  $foo=1\n  ^^^^", id="parse-validation"),
        pytest.param(("parse", "--json", "id[$eq]=1"), "unknown-operator", "  id[$eq]=1\n     ^^^", id="parse-json"),
        pytest.param(("format", "id=1&id=2"), "repeated-key", "  id=1&id=2\n       ^^^^", id="format"),
        pytest.param(("decode", "a]=1"), "stray-bracket", "  a]=1\n   ^", id="decode"),
        pytest.param(("decode", "__proto__=1"), "proto-key", "  __proto__=1\n  ^^^^^^^^^", id="decode-proto"),
    ],
)
def test_bad_query_exits_1_with_code_and_carets(args: tuple[str, ...], code: str, carets: str) -> None:
    result = _run(*args)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"error[{code}]: ")
    assert carets + "\n" in result.stderr
    _assert_no_traceback(result)


def test_every_problem_is_printed() -> None:
    result = _run("parse", "$foo=1&a[$eq]=2&$limit=1&$limit=2")
    assert result.returncode == 1
    assert [line.split(":")[0] for line in result.stderr.splitlines() if line.startswith("error[")] == [
        "error[unknown-filter]",
        "error[unknown-operator]",
        "error[repeated-key]",
    ]


def test_unencodable_json_exits_1() -> None:
    result = _run("encode", '{"a": 1}')
    assert result.returncode == 1
    assert result.stderr.startswith("error[cannot-encode]: ")
    _assert_no_traceback(result)


def test_invalid_json_exits_2() -> None:
    result = _run("encode", "{not json")
    assert result.returncode == 2
    assert result.stderr.startswith("querylang: not JSON")
    _assert_no_traceback(result)


def test_missing_command_is_a_usage_error() -> None:
    result = _run()
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_debug_shows_the_traceback() -> None:
    result = _run("--debug", "parse", "a[b")
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "QuerySyntaxError" in result.stderr


def test_sort_field_given_as_list_prints_no_traceback() -> None:
    result = _run("parse", "$sort[id][]=1")
    assert result.returncode in (0, 1)
    _assert_no_traceback(result)


# ---- bounded output: at most 20 diagnostics, then how many more

MANY_WARNINGS = "&".join(f"$or[{i}][campaign_name]=undefined" for i in range(30))
MANY_ERRORS = "&".join(f"f{i}=1" for i in range(30))
MANY_RAW = "&".join(f"$or[{i}][campaign_name]=%ZZ" for i in range(30))


def _heads(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(("error[", "warning["))]


@pytest.mark.parametrize(("query", "code"), [(MANY_WARNINGS, 0), (MANY_ERRORS, 1)])
def test_check_prints_20_diagnostics_then_how_many_more(query: str, code: int) -> None:
    result = _run("check", query)
    assert result.returncode == code
    assert len(_heads(result.stdout)) == 20
    assert result.stdout.endswith("... and 10 more\n")
    as_json = _run("check", "--format", "json", query)  # the tools' interface keeps every one
    assert (as_json.returncode, len(json.loads(as_json.stdout))) == (code, 30)


def test_a_bad_query_prints_20_diagnostics_then_how_many_more() -> None:
    result = _run("parse", "&".join(f"$f{i}=1" for i in range(30)))  # unknown filters
    assert result.returncode == 1
    assert len(_heads(result.stderr)) == 20
    assert result.stderr.endswith("... and 10 more\n")
    _assert_no_traceback(result)


def test_parse_prints_20_warnings_then_how_many_more() -> None:
    result = _run("parse", MANY_RAW)
    assert result.returncode == 0
    assert len(_heads(result.stderr)) == 20
    assert result.stderr.endswith("... and 10 more\n")


def test_20_diagnostics_are_printed_without_a_count() -> None:
    result = _run("check", "&".join(f"f{i}=1" for i in range(20)))
    assert len(_heads(result.stdout)) == 20 and "more" not in result.stdout
