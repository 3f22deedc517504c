"""``querylang find --engine duckdb``: the same bytes as ``--engine memory``, in-process, for every input and output.

The export of examples/ with edge records added (nulls, offsets, fractions of 1 to 6 digits,
leap seconds, dates alone, ties, non-ASCII text, ``%`` ``_`` and backslashes) is written as JSON
Lines, a JSON array, CSV, gzip and Parquet; fixed and generated queries run on both engines.
Where DuckDB cannot promise the answer (a value it does not read as find does, a pattern ending
in a lone backslash, bad JSON), find answers in memory after a note; Parquet, which only DuckDB
reads, is refused then. ``QUERYLANG_ENGINE_EXAMPLES`` sets how many queries are generated (60).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "differential"))
from reference_eval import records as generated_records
from reference_eval import typed_queries

from querylang.cli import main
from querylang.schema import CONTACT_COMMUNICATIONS
from querylang.text.write import serialize

duckdb = pytest.importorskip("duckdb")

ROOT = Path(__file__).resolve().parents[2]
EXPORT = ROOT / "examples" / "campaign-communications.jsonl"
EDGES = ROOT / "tests" / "corpus" / "reference-edge-records.json"
USERS = str(ROOT / "examples" / "users.json")
FIELDS = CONTACT_COMMUNICATIONS.field_names
NOTE = "; answering in memory\n"
EXAMPLES = int(os.environ.get("QUERYLANG_ENGINE_EXAMPLES", "60"))  # generated queries per test


def _edge(n: int, send_at: str, **values: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": 900_000 + n,
        "contact_id": 77,
        "campaign_name": "Edge",
        "type": "Text Contact",
        "is_stopped_on_text_reply": False,
        "template_subject": "s",
        "template_name": "t",
        "template_folder_name": "f",
        "is_active": n % 2 == 0,
        "send_at": send_at,
        "completed_at": None,
        "send_from_user_id": 3,
        "completing_user_id": None,
    }
    return record | values


# Date-time spellings find reads, each also read by DuckDB; ties with the export's own values.
MORE_EDGES = [
    _edge(1, "2016-12-31T23:59:60Z"),  # a leap second: 2017-01-01T00:00:00Z
    _edge(2, "2016-12-31T16:59:60.5-07:00"),  # one at 23:59 UTC, with a fraction
    _edge(3, "2020-01-01"),  # a date alone: midnight UTC
    _edge(4, "2020-01-01 05:30:00+05:30"),  # a space; the same instant
    _edge(5, "2019-12-31T23:59:59.1Z", completed_at="2019-12-31T23:59:59.12Z"),
    _edge(6, "2019-12-31T23:59:59.123Z", completed_at="2019-12-31T23:59:59.1234Z"),
    _edge(7, "2019-12-31T23:59:59.12345Z", completed_at="2019-12-31T23:59:59.123456+00:00"),
    _edge(8, "0001-01-01T00:00:00+01:00"),  # an hour before year 1 in UTC
    _edge(9, "2023-04-10T00:00:00.000Z", campaign_name="100%_Match", template_name="a\\%b"),
    _edge(10, "2023-04-10T00:00:00Z", campaign_name="Über", template_name="ΣΑΣ Σ"),
    _edge(11, "2023-04-09T17:00:00-07:00", campaign_name="über", completed_at="2023-04-10T00:00:00-00:00"),
]
# Spellings of the same values as CSV text or loose JSON would give them: find reads them too.
TEXT_EDGES = [
    _edge(20, "2023-04-10T00:00:00Z", contact_id="77", send_from_user_id="0311", is_active="TRUE"),
    _edge(21, "2023-04-10T00:00:00Z", completed_at="", completing_user_id="", is_stopped_on_text_reply="false"),
]


def _records(*, loose: bool = True) -> list[dict[str, Any]]:
    export = [json.loads(line) for line in EXPORT.read_text(encoding="utf-8").splitlines()]
    edges = json.loads(EDGES.read_text(encoding="utf-8"))
    return export + edges + MORE_EDGES + (TEXT_EDGES if loose else [])


def _cell(value: object) -> str:
    if value is None:
        return ""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _write_csv(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(FIELDS)
        writer.writerows([_cell(r.get(name)) for name in FIELDS] for r in records)


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


PARQUET_TYPES = {
    "id": "BIGINT",
    "contact_id": "BIGINT",
    "is_stopped_on_text_reply": "BOOLEAN",
    "is_active": "BOOLEAN",
    "send_from_user_id": "BIGINT",
    "completing_user_id": "BIGINT",
}


def _write_parquet(path: Path, jsonl: Path) -> None:
    columns = {name: PARQUET_TYPES.get(name, "VARCHAR") for name in FIELDS}
    connection = duckdb.connect()
    connection.execute(
        f"COPY (SELECT * FROM read_json('{jsonl}', format = 'newline_delimited', columns = {columns})) "
        f"TO '{path}' (FORMAT parquet)"
    )
    connection.close()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The input files, by name: each holds the same records (Parquet: all but the loosely typed ones)."""
    folder = tmp_path_factory.mktemp("engine")
    records = _records()
    _write_jsonl(folder / "export.jsonl", records)
    (folder / "export.json").write_text(json.dumps(records), encoding="utf-8")
    _write_csv(folder / "export.csv", records)
    (folder / "export.jsonl.gz").write_bytes(gzip.compress((folder / "export.jsonl").read_bytes()))
    (folder / "export.csv.gz").write_bytes(gzip.compress((folder / "export.csv").read_bytes()))
    _write_jsonl(folder / "typed.jsonl", _records(loose=False))
    _write_parquet(folder / "typed.parquet", folder / "typed.jsonl")
    names = ["export.jsonl", "export.json", "export.csv", "export.jsonl.gz", "export.csv.gz", "typed.jsonl"]
    return {name: str(folder / name) for name in [*names, "typed.parquet"]}


def run(*argv: str) -> tuple[int, bytes, str]:
    """``querylang find ARGV`` in this process: the exit code, stdout's bytes and stderr."""
    out, err = io.BytesIO(), io.StringIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(err):
        code = main(["find", *argv])
    stdout.flush()
    return code, out.getvalue(), err.getvalue()


def same(query: str, *files: str, options: tuple[str, ...] = (), memory_files: tuple[str, ...] = ()) -> bytes:
    """Run both engines; assert the same exit code, stdout and stderr. Returns the output."""
    memory = run(query, *(memory_files or files), *options)
    duck = run(query, *files, *options, "--engine", "duckdb")
    assert NOTE not in duck[2], duck[2]
    assert duck == memory
    return duck[1]


def agree(query: str, *files: str, options: tuple[str, ...] = ()) -> str | None:
    """Run both engines: the same code, stdout and stderr, but for DuckDB's note where it hands over to memory.

    Returns the note, or None where DuckDB answered.
    """
    memory = run(query, *files, *options)
    code, out, err = run(query, *files, *options, "--engine", "duckdb")
    lines = err.splitlines(keepends=True)
    notes = [i for i, line in enumerate(lines) if line.startswith("querylang find: --engine duckdb: ")]
    note = lines.pop(notes[0]) if notes else None
    assert note is None or note.endswith(NOTE), err
    assert (code, out, "".join(lines)) == memory
    return note


def falls_back(query: str, *files: str, options: tuple[str, ...] = ()) -> str:
    """Run both engines where DuckDB hands over to memory: the same answer, after a note. Returns the note."""
    note = agree(query, *files, options=options)
    assert note is not None
    return note


QUERIES = [
    "contact_id=77",
    "is_active=false&type[$in][]=Text%20Contact&type[$in][]=Email%20Contact&send_at[$gte]=2019-01-01T00:00:00-07:00"
    "&send_at[$lt]=2024-01-01T00:00:00Z&campaign_name[$like]=%25Buyer%25&$sort[send_at]=-1&$limit=10",
    "$or[0][contact_id]=76&$or[1][is_active]=true&$or[1][completed_at]=&$sort[id]=-1&$limit=25",
    "$sort[send_at]=-1&$limit=10",
    "$sort[send_at]=1&$sort[completed_at]=-1&$limit=100&$skip=20",
    "send_at=2017-01-01T00:00:00Z",
    "send_at[$lte]=2020-01-01T00:00:00Z&send_at[$gte]=2019-12-31T23:59:59.1Z&$sort[send_at]=1",
    "completed_at[$ne]=&$sort[completed_at]=1&$sort[id]=1&$limit=50",
    "completing_user_id[$nin][]=4&completing_user_id[$nin][]=58&$sort[completing_user_id]=-1",
    "campaign_name[$like]=100%5C%25%5C_%25&$select[]=id&$select[]=campaign_name",
    "template_name[$like]=%25%5C%5C%25&$sort[template_name]=1",
    "campaign_name[$ilike]=%C3%BCBER%25&$sort[campaign_name]=1&$sort[id]=-1",
    "template_name[$notlike]=%25a%25&template_name[$gt]=Z&$sort[template_name]=-1&$limit=30",
    "type=Call%20Contact&is_stopped_on_text_reply=true&$sort[type]=1",
    "$limit=0",
    "$skip=400&$limit=20&$sort[is_active]=1",
    "id[$gt]=900000&$select[]=id&$select[]=send_at&$load=completing_user,send_from_user",
]


@pytest.mark.parametrize("name", ["export.jsonl", "export.json", "export.csv", "export.jsonl.gz", "export.csv.gz"])
@pytest.mark.parametrize("query", QUERIES)
def test_duckdb_prints_what_memory_prints(inputs: dict[str, str], name: str, query: str) -> None:
    same(query, inputs[name], options=("--users", USERS))


@pytest.mark.parametrize("form", ["json", "jsonl", "csv", "table"])
@pytest.mark.parametrize("name", ["export.jsonl", "export.json", "export.csv", "export.csv.gz"])
def test_every_output_format(inputs: dict[str, str], name: str, form: str) -> None:
    for query in QUERIES[1:4] + QUERIES[-1:]:
        same(query, inputs[name], options=("--format", form, "--users", USERS))
        same(query, inputs[name], options=("--format", form, "--all", "--users", USERS))


@pytest.mark.parametrize("form", ["json", "jsonl", "csv", "table"])
@pytest.mark.parametrize("query", QUERIES)
def test_parquet_prints_what_memory_prints_from_json_lines(inputs: dict[str, str], query: str, form: str) -> None:
    memory = run(query, inputs["typed.jsonl"], "--format", form, "--users", USERS)
    assert run(query, inputs["typed.parquet"], "--format", form, "--users", USERS, "--engine", "duckdb") == memory


def test_several_files_and_formats_are_one_input(inputs: dict[str, str]) -> None:
    files = (inputs["export.csv"], inputs["export.jsonl"], inputs["export.json"])
    for query in QUERIES:
        same(query, *files)


def test_the_example_export_as_it_is() -> None:
    for query in QUERIES[:5]:
        same(query, str(EXPORT))
        same(query, str(ROOT / "examples" / "campaign-communications.csv"), options=("--format", "table"))


def test_the_edge_records_are_read_by_duckdb_not_handed_over(inputs: dict[str, str]) -> None:
    # A sort on every field: every value of every record is typed by DuckDB itself, no note.
    query = "&".join(f"$sort[{name}]={1 - 2 * (i % 2)}" for i, name in enumerate(FIELDS)) + "&$limit=100&$skip=380"
    for name in ["export.jsonl", "export.csv", "export.json", "export.csv.gz"]:
        assert json.loads(same(query, inputs[name]))["total"] == len(_records())


def test_blank_lines_and_crlf_in_json_lines(tmp_path: Path) -> None:
    lines = [json.dumps(r) for r in _records()[:50]]
    path = tmp_path / "loose.jsonl"
    path.write_bytes(("\r\n".join(lines[:20]) + "\n\n  \n\t\n" + "\n".join(lines[20:])).encode())
    same("$sort[send_at]=-1&$limit=40", str(path))


def test_empty_inputs(tmp_path: Path, inputs: dict[str, str]) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header.csv").write_text(",".join(FIELDS) + "\n", encoding="utf-8")
    for name in ["empty.jsonl", "empty.csv", "header.csv"]:
        same("$sort[id]=1", str(tmp_path / name))
    same("$sort[id]=1&$limit=5", str(tmp_path / "empty.csv"), inputs["export.jsonl"])


# ---- generated queries and records


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in record.items()}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(typed_queries(), st.lists(generated_records(), max_size=25))
def test_generated_queries_over_generated_records(tmp_path: Path, query: Any, records: list[dict[str, Any]]) -> None:
    text = serialize(query)
    folder = tmp_path  # the same folder for every example: each writes the files again
    plain = [_plain(r) for r in records]
    _write_jsonl(folder / "g.jsonl", plain)
    _write_csv(folder / "g.csv", plain)
    same(text, str(folder / "g.jsonl"), options=("--users", USERS))
    # A key a record lacks is an empty cell in CSV, which find reads only if it must (and then
    # stops, for a field that is not nullable): DuckDB hands such files over to memory.
    agree(text, str(folder / "g.csv"), options=("--users", USERS))


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(typed_queries(), st.sampled_from(["json", "jsonl", "csv", "table"]), st.booleans())
def test_generated_queries_over_the_export(query: Any, form: str, every: bool) -> None:
    options = ("--format", form, "--users", USERS, *(["--all"] if every else []))
    same(serialize(query), str(EXPORT), options=options)


# ---- where DuckDB hands over to memory, or refuses


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, list[Any]], str]:
    def write(name: str, records: list[Any]) -> str:
        path = tmp_path / name
        _write_jsonl(path, records)
        return str(path)

    return write


def test_a_value_duckdb_does_not_read_as_find_does_goes_to_memory(write: Callable[[str, list[Any]], str]) -> None:
    records = _records()[:30]
    records[7]["send_at"] = "2019-12-31T23:59:59.1234567Z"  # find rounds seven digits; DuckDB does not
    records[9]["contact_id"] = " 77"  # find strips the spaces
    path = write("odd.jsonl", records)
    assert "record 7 (counting from 0) has a value of 'send_at'" in falls_back("$sort[send_at]=1", path)
    falls_back("contact_id=77&send_at[$gt]=2019-01-01", path)


def test_a_value_that_does_not_fit_gives_finds_error(write: Callable[[str, list[Any]], str]) -> None:
    records = _records()[:30]
    records[3]["is_active"] = "maybe"
    records[5]["campaign_name"] = 5
    path = write("bad.jsonl", records)
    for query in ["is_active=true", "campaign_name=x", "$sort[campaign_name]=1"]:
        falls_back(query, path)
    falls_back("is_active=true", path, options=("--on-error", "skip"))
    same("contact_id=76&$sort[id]=1", path)  # the bad values are in fields this query does not read


def test_unreadable_json_gives_finds_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    lines = [json.dumps(r) for r in _records()[:10]]
    path.write_text("\n".join([*lines[:4], "{not json", "[1, 2]", *lines[4:]]) + "\n", encoding="utf-8")
    falls_back("contact_id=77", str(path))
    falls_back("contact_id=77", str(path), options=("--on-error", "skip"))
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode())
    assert "byte-order mark" in falls_back("contact_id=77", str(bom))


def test_a_ragged_csv_gives_finds_error(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(",".join(FIELDS) + "\n1,77\n", encoding="utf-8")
    falls_back("contact_id=77", str(path))


def test_a_pattern_ending_in_a_lone_backslash_runs_in_memory(inputs: dict[str, str]) -> None:
    note = falls_back("template_name[$like]=a%5C", inputs["export.jsonl"])
    assert "lone backslash" in note


def test_a_page_row_read_differently_goes_to_memory(inputs: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from querylang.records import RecordReader

    pick = RecordReader.pick

    def shifted(self: RecordReader, positions: Any) -> dict[int, dict[str, Any]]:
        return {p: r for p, r in pick(self, [p + 1 for p in positions]).items()}

    monkeypatch.setattr(RecordReader, "pick", shifted)
    assert "read record" in falls_back("$sort[send_at]=-1&$limit=3", inputs["export.jsonl"])


def test_parquet_that_duckdb_cannot_read_as_find_does_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "naive.parquet"
    connection = duckdb.connect()
    connection.execute(
        f"COPY (SELECT 1 AS id, TIMESTAMP '2020-01-01 00:00:00' AS send_at) TO '{path}' (FORMAT parquet)"
    )
    connection.close()
    code, out, err = run("$sort[send_at]=1", str(path), "--engine", "duckdb")
    assert (code, out) == (2, b"")
    assert err.startswith("querylang find: record 0 (counting from 0) has a value of 'send_at'")
    assert run("id=1", str(path), "--engine", "duckdb")[0] == 0  # a query that does not read it


def test_stdin_is_refused_naming_it() -> None:
    for argv in (["-"], []):
        code, out, err = run("id=1", *argv, "--engine", "duckdb")
        assert (code, out) == (2, b"")
        assert "--engine duckdb reads files, not stdin (-)" in err


def test_parquet_needs_duckdb(inputs: dict[str, str]) -> None:
    code, out, err = run("id=1", inputs["typed.parquet"])
    assert (code, out) == (2, b"")
    assert "Parquet files are read by DuckDB only (querylang find --engine duckdb)" in err


def test_without_duckdb_the_extra_is_named(inputs: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)
    monkeypatch.setitem(sys.modules, "_duckdb", None)
    code, out, err = run("id=1", inputs["export.jsonl"], "--engine", "duckdb")
    assert (code, out) == (2, b"")
    assert "duckdb is not installed" in err
    assert "pip install 'querylang[duckdb]'" in err


def test_the_engine_module_is_enough_and_the_package_a_fallback(
    inputs: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine imports DuckDB's compiled module alone (~80 ms less), or the package where that is missing."""
    pytest.importorskip("_duckdb")
    code = (
        "import sys; from querylang.cli import main; "
        f"code = main(['find', 'contact_id=77&$sort[send_at]=-1', {inputs['export.jsonl']!r}, '--engine', 'duckdb']); "
        "sys.stdout.flush(); assert 'duckdb' not in sys.modules and '_duckdb' in sys.modules, 'imported duckdb'; "
        "raise SystemExit(code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    expected = run("contact_id=77&$sort[send_at]=-1", inputs["export.jsonl"])
    assert done.stdout.encode() == expected[1] and expected[1].count(b"\n") > 5
    monkeypatch.setitem(sys.modules, "_duckdb", None)  # another DuckDB release: the package
    same("contact_id=77&$sort[send_at]=-1", inputs["export.jsonl"])


def test_bad_queries_and_missing_files_as_memory_says_them(inputs: dict[str, str]) -> None:
    same("sendat=1", inputs["export.jsonl"])
    same("id=1", "missing.jsonl")
    same("$load=completing_user", inputs["export.jsonl"])
    same("id=1", inputs["export.jsonl"] + ".txt")


def test_a_schema_of_numbers_and_enums_that_look_like_json(tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    fields = [
        {"name": "id", "type": "integer"},
        {"name": "score", "type": "number", "nullable": True},
        {"name": "level", "type": "enum", "values": ["1", "2", "true"]},
        {"name": "label", "type": "text"},
    ]
    schema.write_text(json.dumps({"name": "scores", "fields": fields}), encoding="utf-8")
    records = [
        {"id": 1, "score": 1.5, "level": "1", "label": "a"},
        {"id": 2, "score": "1.50", "level": "2", "label": "b"},
        {"id": 3, "score": -0.0, "level": "true", "label": "c"},
        {"id": 4, "score": 0, "level": "1", "label": "d"},
        {"id": 5, "score": "", "level": "2", "label": "e"},
        {"id": 6, "score": 9007199254740992, "level": "2", "label": "f"},
    ]
    path = tmp_path / "scores.jsonl"
    _write_jsonl(path, records)
    options = ("--schema", str(schema))
    for query in ["$sort[score]=1&$sort[id]=-1", "score[$lte]=0&$sort[level]=-1", "score=1.5", "level=true&$limit=1"]:
        same(query, str(path), options=options)
    _write_jsonl(path, [*records, {"id": 7, "score": 1, "level": 1, "label": "g"}])  # a number where "1" belongs
    falls_back("level=1", str(path), options=options)
    same("score[$gt]=1", str(path), options=options)  # a query that does not read it
    falls_back("score=9007199254740993", str(path), options=options)  # beyond what a double holds
    _write_jsonl(path, [*records, {"id": 8, "score": 9007199254740993, "level": "1", "label": "h"}])
    falls_back("$sort[score]=1", str(path), options=options)


def test_a_statement_that_fails_interrupts_the_load_it_ran_beside(tmp_path: Path) -> None:
    from querylang.errors import QueryError
    from querylang.sql import files
    from querylang.validate import validate

    path = tmp_path / "big.jsonl"
    line = json.dumps({"id": 1, "contact_id": 77, "send_at": "2020-01-01T00:00:00Z"}) + "\n"
    path.write_text(line * 300_000, encoding="utf-8")
    fields = files.read_fields(validate("send_at[$gte]=2020-01-01"), CONTACT_COMMUNICATIONS)
    connection = duckdb.connect()
    try:
        source = files._source(files.file_info(str(path), None), fields, 0, connection)
        assert source is not None

        def write() -> Any:
            raise QueryError([])

        with pytest.raises(QueryError):
            files._load_writing(connection, [source], fields, write)
        # The connection is free again: the load was interrupted or had ended, not left running.
        assert connection.execute("SELECT 41 + 1").fetchone() == (42,)
    finally:
        connection.close()


def test_a_load_that_fails_beside_a_statement_raises_its_error(tmp_path: Path) -> None:
    from querylang.sql import files
    from querylang.validate import validate

    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1, "send_at": "2020-01-01"}\n{"id": \n', encoding="utf-8")
    typed = validate("send_at[$gte]=2020-01-01")
    fields = files.read_fields(typed, CONTACT_COMMUNICATIONS)
    connection = duckdb.connect()
    written: list[object] = []
    try:
        source = files._source(files.file_info(str(path), None), fields, 0, connection)
        assert source is not None

        def write() -> Any:
            written.append(1)

        with pytest.raises(files.NotExact, match="DuckDB cannot read the files"):
            files._load_writing(connection, [source], fields, write)
        assert written == [1]  # the statement was written while the load failed
    finally:
        connection.close()
