"""``querylang find`` run in a subprocess over the example export: every input and output format, every exit code."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import querylang

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
JSONL = str(EXAMPLES / "campaign-communications.jsonl")
CSV = str(EXAMPLES / "campaign-communications.csv")
USERS = str(EXAMPLES / "users.json")
QUERY = "campaign_name[$like]=%25New%25&$sort[send_at]=-1&$sort[id]=1"


def _run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "querylang", "find", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )
    out = subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode(), result.stderr.decode())
    assert "Traceback" not in out.stderr
    return out


def _records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(JSONL).read_text(encoding="utf-8").splitlines()]


def _users() -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = json.loads(Path(USERS).read_text(encoding="utf-8"))
    return users


# ---- input formats


def test_json_lines_gives_the_page() -> None:
    result = _run(QUERY, JSONL)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == querylang.find(_records(), QUERY)
    assert result.stderr == ""


def test_csv_gives_the_same_page() -> None:
    result = _run(QUERY, CSV)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == querylang.find(_records(), QUERY)


def test_json_array_gives_the_same_page(tmp_path: Path) -> None:
    array = tmp_path / "export.json"
    array.write_text(json.dumps(_records()), encoding="utf-8")
    assert json.loads(_run(QUERY, str(array)).stdout) == querylang.find(_records(), QUERY)


def test_gzip_by_extension(tmp_path: Path) -> None:
    packed = tmp_path / "export.csv.gz"
    packed.write_bytes(gzip.compress(Path(CSV).read_bytes()))
    assert json.loads(_run(QUERY, str(packed)).stdout) == querylang.find(_records(), QUERY)


def test_stdin_with_a_dash() -> None:
    result = _run("completing_user_id=", "-", "--all", "--format", "jsonl", stdin=Path(JSONL).read_bytes())
    assert result.returncode == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows == [r for r in _records() if r["completing_user_id"] is None]


def test_stdin_json_array_is_recognised() -> None:
    data = json.dumps(_records()).encode()
    assert json.loads(_run("$limit=0", stdin=data).stdout)["total"] == 400


def test_input_format_option(tmp_path: Path) -> None:
    odd = tmp_path / "export.txt"
    odd.write_bytes(Path(CSV).read_bytes())
    assert _run("$limit=0", str(odd)).returncode == 2
    result = _run("$limit=0", str(odd), "--input-format", "csv")
    assert json.loads(result.stdout)["total"] == 400


def test_several_files_are_one_stream() -> None:
    assert json.loads(_run("$limit=0", JSONL, CSV).stdout)["total"] == 800


# ---- output formats


def test_jsonl_output_holds_the_rows() -> None:
    result = _run("is_active=true&$sort[id]=1&$limit=3", CSV, "--format", "jsonl")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows == querylang.find(_records(), "is_active=true&$sort[id]=1&$limit=3")["data"]


def test_csv_output() -> None:
    query = "is_active=false&$select[]=template_name&$select[]=completed_at&$sort[id]=1&$limit=5"
    result = _run(query, JSONL, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = querylang.find(_records(), query)["data"]
    assert rows == [{k: "" if v is None else str(v) for k, v in row.items()} for row in expected]


def test_table_output() -> None:
    query = "is_active=false&$select[]=template_name&$select[]=completed_at&$sort[id]=1"
    result = _run(query, CSV, "--format", "table")
    lines = result.stdout.splitlines()
    assert result.returncode == 0
    assert lines[0].split() == ["template_name", "completed_at"]
    assert len(lines) == 2 + 10 + 1
    total = querylang.find(_records(), query)["total"]
    assert lines[-1] == f"(rows 1-10 of {total})"


def test_all_gives_a_plain_list_without_a_maximum() -> None:
    rows = json.loads(_run("$limit=250", JSONL, "--all").stdout)
    assert isinstance(rows, list)
    assert len(rows) == 250
    assert len(json.loads(_run("", JSONL, "--all").stdout)) == 400


def test_users_for_load() -> None:
    query = "$select[]=id&$load=send_from_user,completing_user&$sort[id]=1&$limit=20"
    result = _run(query, JSONL, "--users", USERS)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == querylang.find(_records(), query, users=_users())


# ---- exit codes


def test_a_bad_query_exits_1_with_the_diagnostic() -> None:
    result = _run("sendat[$gte]=2019-01-01", JSONL)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error[unknown-field]: unknown field 'sendat' (did you mean 'send_at'?)",
        "  sendat[$gte]=2019-01-01",
        "  ^^^^^^",
    ]


def test_a_bad_query_is_reported_before_the_input_is_read() -> None:
    assert _run("sendat=1", "missing.jsonl").returncode == 1


def test_a_missing_file_exits_2() -> None:
    result = _run("id=1", "missing.jsonl")
    assert result.returncode == 2
    assert "missing.jsonl: cannot read" in result.stderr


def test_load_without_users_exits_2() -> None:
    result = _run("$load=completing_user", JSONL)
    assert result.returncode == 2
    assert "--users" in result.stderr


@pytest.fixture
def bad_export(tmp_path: Path) -> Path:
    path = tmp_path / "bad.jsonl"
    lines = Path(JSONL).read_text(encoding="utf-8").splitlines()[:5]
    lines[1] = (
        lines[1]
        .replace('"is_active": true', '"is_active": "maybe"')
        .replace('"is_active": false', '"is_active": "maybe"')
    )
    lines.insert(3, "{not json")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_bad_record_stops_with_its_line_by_default(bad_export: Path) -> None:
    result = _run("is_active=true", str(bad_export))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"querylang find: {bad_export} line 2: field 'is_active': 'maybe' is not a boolean")


def test_bad_records_can_be_skipped(bad_export: Path) -> None:
    result = _run("is_active[$in][]=true&is_active[$in][]=false", str(bad_export), "--on-error", "skip")
    assert result.returncode == 0
    assert json.loads(result.stdout)["total"] == 4
    messages = result.stderr.splitlines()
    assert messages[0].startswith(f"querylang find: {bad_export} line 2: field 'is_active'")
    assert messages[1].startswith(f"querylang find: {bad_export} line 4: not JSON")
    assert messages[2] == "querylang find: skipped 2 bad record(s); total counts the others"


def test_no_progress_bar_when_stderr_is_not_a_terminal() -> None:
    assert _run("$limit=1", JSONL).stderr == ""


def test_the_issue_examples_run() -> None:
    assert _run("campaign_name[$like]=%25New%25&$sort[send_at]=-1", JSONL).returncode == 0
    table = _run("is_active=false&$select[]=template_name&$select[]=completed_at", CSV, "--format", "table")
    assert table.returncode == 0
    piped = _run("completing_user_id=", "-", "--all", "--format", "jsonl", stdin=Path(JSONL).read_bytes())
    assert piped.returncode == 0


def test_query_warnings_go_to_stderr_and_the_run_succeeds() -> None:
    result = _run("campaign_name=undefined&$limit=1", str(JSONL))
    assert result.returncode == 0
    assert json.loads(result.stdout)["total"] == 0
    assert "warning[placeholder-value]" in result.stderr
    assert "^^^^^^^^^" in result.stderr  # under 'undefined'


def test_list_for_value_goes_to_stderr_and_the_list_of_one_is_its_value() -> None:
    result = _run("is_active[]=false&$limit[]=2", str(JSONL))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == querylang.find(_records(), "is_active=false&$limit=2")
    assert result.stderr.splitlines() == [
        "warning[list-for-value]: 'is_active[]' is a list of one where one value is expected: "
        "read as the value 'false' (write is_active=false)",
        "  is_active[]=false&$limit[]=2",
        "           ^^",
        "warning[list-for-value]: '$limit[]' is a list of one where one value is expected: "
        "read as the value '2' (write $limit=2)",
        "  is_active[]=false&$limit[]=2",
        "                          ^^",
    ]


def test_lowered_limit_is_no_warning_without_pagination() -> None:
    assert "limit-lowered" in _run("$limit=500", str(JSONL)).stderr
    result = _run("$limit=500", str(JSONL), "--all", "--format", "jsonl")
    assert result.returncode == 0
    assert "limit-lowered" not in result.stderr
    assert len(result.stdout.splitlines()) == 400


def test_at_most_20_warnings_are_printed_then_how_many_more() -> None:
    query = "&".join(f"$or[{i}][campaign_name]=undefined" for i in range(30)) + "&$limit=1"
    result = _run(query, str(JSONL))
    assert result.returncode == 0 and json.loads(result.stdout)["total"] == 0
    heads = [line for line in result.stderr.splitlines() if line.startswith("warning[")]
    assert len(heads) == 20
    assert result.stderr.endswith("... and 10 more\n")
