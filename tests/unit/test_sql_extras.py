"""querylang.sql without its extras: importing costs nothing, using it names the extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

from querylang.cli import main
from querylang.sql import MissingExtra, create_table, load_records, to_sql


def test_importing_querylang_sql_imports_no_optional_package() -> None:
    code = (
        "import sys, querylang, querylang.sql; "
        "print(sorted(m for m in ('sqlglot', 'duckdb', 'psycopg', 'pyspark') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "call",
    [
        lambda: to_sql("id=1"),
        lambda: create_table(),
        lambda: load_records(None, [], "sqlite"),
    ],
    ids=["to_sql", "create_table", "load_records"],
)
def test_without_sqlglot_the_error_names_the_sql_extra(monkeypatch: pytest.MonkeyPatch, call: object) -> None:
    monkeypatch.setitem(sys.modules, "sqlglot", None)  # import sqlglot now raises ImportError
    with pytest.raises(MissingExtra) as raised:
        call()  # type: ignore[operator]
    assert raised.value.diagnostic.code == "missing-extra"
    assert "pip install 'querylang[sql]'" in str(raised.value)


def test_the_cli_prints_the_extra_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "sqlglot", None)
    assert main(["sql", "id=1"]) == 1
    err = capsys.readouterr().err
    assert "querylang[sql]" in err and "Traceback" not in err
