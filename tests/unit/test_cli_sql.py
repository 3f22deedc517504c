"""``querylang sql``: the query as SQL with its parameters, or the tables' DDL, for each dialect."""

from __future__ import annotations

import json
import sqlite3

import pytest

from querylang.cli import main

pytest.importorskip("sqlglot", reason="querylang sql needs the 'sql' extra (sqlglot)")

QUERY = "id[$in][]=1&id[$in][]=2&campaign_name[$like]=%25New%25&$sort[send_at]=1"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["sql", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("dialect", ["postgres", "sqlite", "duckdb", "spark"])
def test_json_names_the_statements_and_binds_every_value(capsys: pytest.CaptureFixture[str], dialect: str) -> None:
    code, out, _ = _run(capsys, "--dialect", dialect, "--json", QUERY)
    assert code == 0
    data = json.loads(out)
    assert data["dialect"] == dialect
    assert (data["limit"], data["skip"]) == (10, 0)
    assert "%New%" not in data["page"]["sql"]  # bound, never inlined
    params = data["page"]["params"]
    values = list(params.values()) if dialect == "spark" else params
    pattern = "*New*" if dialect == "sqlite" else "%New%"  # SQLite's LIKE ignores case: GLOB does not
    assert values == [1, 2, pattern, 10]
    assert "COUNT(*)" in data["total"]["sql"]


def test_text_output_runs_on_sqlite(capsys: pytest.CaptureFixture[str]) -> None:
    code, ddl, _ = _run(capsys, "--ddl", "--dialect", "sqlite")
    assert code == 0
    connection = sqlite3.connect(":memory:")
    connection.executescript(ddl)
    code, out, _ = _run(capsys, "--dialect", "sqlite", "id=7&$limit=3")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "-- page" and lines[3] == "-- total"
    assert json.loads(lines[2].removeprefix("-- parameters: ")) == [7, 3]
    assert connection.execute(lines[1], json.loads(lines[2].removeprefix("-- parameters: "))).fetchall() == []
    assert connection.execute(lines[4], [7]).fetchall() == [(0,)]


def test_limit_zero_reads_no_rows(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "$limit=0&is_active=true")
    assert code == 0
    assert "-- none: $limit=0 reads no rows" in out


def test_bad_query_exits_1_with_carets(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "campaign_name[$like]=a%5C")
    assert code == 1
    assert "bad-pattern" in err and "^" in err


def test_missing_query_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys)
    assert code == 2
    assert "give a QUERY" in err


def test_unknown_dialect_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["sql", "--dialect", "oracle", "id=1"])
    assert stopped.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
