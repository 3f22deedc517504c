"""querylang.records and querylang.output: record files (JSON, JSON Lines, CSV, gzip, stdin) in, results out."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from querylang import CONTACT_COMMUNICATIONS
from querylang.output import display_rows, dumps, write_result
from querylang.records import InputError, RecordReader, csv_header, file_info, input_format, loads

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
JSONL = EXAMPLES / "campaign-communications.jsonl"
CSV = EXAMPLES / "campaign-communications.csv"


def _jsonl_records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in JSONL.read_text(encoding="utf-8").splitlines()]


def test_reads_json_lines() -> None:
    assert list(RecordReader([str(JSONL)])) == _jsonl_records()


def test_reads_a_json_array_and_a_saved_page(tmp_path: Path) -> None:
    records = _jsonl_records()[:5]
    array, page = tmp_path / "a.json", tmp_path / "page.json"
    array.write_text(json.dumps(records), encoding="utf-8")
    page.write_text(json.dumps({"total": 5, "limit": 10, "skip": 0, "data": records}), encoding="utf-8")
    assert list(RecordReader([str(array)])) == records
    assert list(RecordReader([str(page)])) == records


def test_reads_csv_as_text() -> None:
    rows = list(RecordReader([str(CSV)]))
    assert len(rows) == 400
    assert rows[0]["id"] == "672356"
    assert rows[1]["completed_at"] == ""
    assert display_rows(rows[:2], CONTACT_COMMUNICATIONS) == _jsonl_records()[:2]


def test_reads_gzip_by_extension_and_by_content(tmp_path: Path) -> None:
    packed = tmp_path / "export.jsonl.gz"
    packed.write_bytes(gzip.compress(JSONL.read_bytes()))
    assert list(RecordReader([str(packed)])) == _jsonl_records()
    hidden = tmp_path / "export.jsonl"  # gzip without the extension
    hidden.write_bytes(gzip.compress(JSONL.read_bytes()))
    assert len(list(RecordReader([str(hidden)]))) == 400


@pytest.mark.parametrize("kind", ["jsonl", "json", "csv"])
def test_reads_stdin_and_tells_the_format(kind: str) -> None:
    if kind == "jsonl":
        data = JSONL.read_bytes()
    elif kind == "json":
        data = json.dumps(_jsonl_records()).encode()
    else:
        data = CSV.read_bytes()
    assert len(list(RecordReader(["-"], stdin=io.BytesIO(data)))) == 400
    assert len(list(RecordReader(["-"], stdin=io.BytesIO(gzip.compress(data))))) == 400


def test_several_files_are_read_in_order(tmp_path: Path) -> None:
    one, two = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    one.write_text('{"id": 1}\n', encoding="utf-8")
    two.write_text('{"id": 2}\n\n{"id": 3}\n', encoding="utf-8")
    assert [r["id"] for r in RecordReader([str(one), str(two)])] == [1, 2, 3]


def test_the_format_comes_from_the_name_or_the_option() -> None:
    assert input_format("a.jsonl.gz", None) == "jsonl"
    assert input_format("a.ndjson", None) == "jsonl"
    assert input_format("a.CSV", None) == "csv"
    assert input_format("a.txt", "json") == "json"
    with pytest.raises(InputError, match="--input-format"):
        input_format("a.txt", None)


def test_a_bad_line_stops_the_reading_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1}\n{"id": \n[1]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl line 2: not JSON"):
        list(RecordReader([str(path)]))


def test_bad_lines_can_be_skipped(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1}\n{"id": \n[1]\n{"id": 4}\n', encoding="utf-8")
    seen: list[tuple[str, str]] = []
    reader = RecordReader([str(path)], on_bad=lambda where, message: seen.append((where, message)))
    assert [r["id"] for r in reader] == [1, 4]
    assert [where for where, _ in seen] == [f"{path} line 2", f"{path} line 3"]
    assert seen[1][1] == "a record must be a JSON object, not an array"


def test_the_reader_knows_the_line_of_the_last_record(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": 1}\n\n{"id": 2}\n', encoding="utf-8")
    reader = RecordReader([str(path)])
    lines = [reader.line for _ in reader]
    assert lines == [1, 3]
    assert reader.where == f"{path} line 3"


def test_a_ragged_csv_row_is_a_bad_record(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,is_active\n1,true\n2\n3,false,extra\n4,false\n", encoding="utf-8")
    seen: list[str] = []
    rows = list(RecordReader([str(path)], on_bad=lambda where, message: seen.append(f"{where}: {message}")))
    assert [r["id"] for r in rows] == ["1", "4"]
    assert seen == [f"{path} line 3: 1 cells where the header has 2", f"{path} line 4: 3 cells where the header has 2"]


def test_unreadable_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        list(RecordReader([str(tmp_path / "missing.jsonl")]))
    not_array = tmp_path / "x.json"
    not_array.write_text('{"id": 1}', encoding="utf-8")
    with pytest.raises(InputError, match="expected a JSON array"):
        list(RecordReader([str(not_array)]))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,campaign_name\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        list(RecordReader([str(latin)]))


# ---- records at positions, for the DuckDB engine


def test_pick_gives_the_records_iteration_gives_at_those_positions(tmp_path: Path) -> None:
    records = _jsonl_records()
    loose = tmp_path / "loose.jsonl"  # blank and indented lines, CRLF, no final newline
    lines = [json.dumps(r) for r in records]
    text = "\r\n".join(lines[:100]) + "\n\n \t\n  " + "\n".join(lines[100:])
    loose.write_bytes(text.encode())
    packed = tmp_path / "export.csv.gz"
    packed.write_bytes(gzip.compress(CSV.read_bytes()))
    array = tmp_path / "export.json"
    array.write_text(json.dumps(records), encoding="utf-8")
    for paths in ([str(loose)], [str(packed)], [str(array)], [str(JSONL), str(CSV), str(loose)]):
        every = list(RecordReader(paths))
        wanted = [0, 1, 99, 100, 101, 399, 400, 777, 1199, 5000]
        assert RecordReader(paths).pick(wanted) == {p: every[p] for p in wanted if p < len(every)}
    assert RecordReader([str(JSONL)]).pick([]) == {}


def test_pick_stops_at_a_wanted_line_that_is_not_a_record(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": 1}\n[2]\n{"id": 3}\n', encoding="utf-8")
    assert RecordReader([str(path)]).pick([0, 2]) == {0: {"id": 1}, 2: {"id": 3}}  # line 2 is only counted
    with pytest.raises(InputError, match="record 1: a record must be a JSON object, not an array"):
        RecordReader([str(path)]).pick([1])


def test_file_info_and_csv_header(tmp_path: Path) -> None:
    packed = tmp_path / "export.csv.gz"
    packed.write_bytes(gzip.compress(CSV.read_bytes()))
    assert file_info(str(packed)) == file_info(str(packed), "csv")
    info = file_info(str(packed))
    assert (info.format, info.gzipped, info.head) == ("csv", True, b"id,c")
    assert file_info(str(JSONL)).head == b'{"id'
    (tmp_path / "x.parquet").write_bytes(b"")
    assert file_info(str(tmp_path / "x.parquet")).format == "parquet"
    with pytest.raises(InputError, match="cannot read"):
        file_info(str(tmp_path / "missing.jsonl"))
    assert csv_header(str(packed)) == list(CONTACT_COMMUNICATIONS.field_names)
    (tmp_path / "empty.csv").write_bytes(b"")
    assert csv_header(str(tmp_path / "empty.csv")) is None


def test_parquet_is_read_by_duckdb_only(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1")
    with pytest.raises(InputError, match="Parquet files are read by DuckDB only"):
        list(RecordReader([str(path)]))


def test_json_round_trip() -> None:
    value = {"a": [1, True, None, "é"]}
    assert loads(dumps(value)) == value
    assert "é" in dumps({"é": 1}).decode("utf-8")  # UTF-8, not \u escapes


# ---- output

PAGE = {
    "total": 2,
    "limit": 10,
    "skip": 0,
    "data": [
        {"id": 1, "campaign_name": "New, Campaign", "completed_at": None, "is_active": True},
        {
            "id": 2,
            "campaign_name": "Old",
            "completed_at": "2020-01-01T00:00:00Z",
            "is_active": False,
            "completing_user": {"id": 4, "first_name": "Reinhardt", "last_name": "Wilhelm"},
        },
    ],
}


def _write(result: Any, kind: str) -> str:
    out = io.BytesIO()
    write_result(result, kind, out)
    return out.getvalue().decode("utf-8")


def test_writes_the_page_as_json() -> None:
    assert json.loads(_write(PAGE, "json")) == PAGE
    assert json.loads(_write(PAGE["data"], "json")) == PAGE["data"]


def test_writes_rows_as_json_lines() -> None:
    assert [json.loads(line) for line in _write(PAGE, "jsonl").splitlines()] == PAGE["data"]


def test_writes_rows_as_csv() -> None:
    rows = list(csv.reader(io.StringIO(_write(PAGE, "csv"))))
    assert rows[0] == ["id", "campaign_name", "completed_at", "is_active", "completing_user"]
    assert rows[1] == ["1", "New, Campaign", "", "true", ""]
    assert json.loads(rows[2][4]) == PAGE["data"][1]["completing_user"]  # type: ignore[index]


def test_writes_an_aligned_table() -> None:
    lines = _write(PAGE, "table").splitlines()
    assert lines[0].split() == ["id", "campaign_name", "completed_at", "is_active", "completing_user"]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].split() == ["1", "New,", "Campaign", "null", "true", "null"]
    assert lines[3].split() == ["2", "Old", "2020-01-01T00:00:00Z", "false", "Reinhardt", "Wilhelm"]
    assert lines[3].index("2020") == lines[0].index("completed_at")  # columns line up
    assert lines[-1] == "(rows 1-2 of 2)"


def test_a_table_of_nothing() -> None:
    assert _write({"total": 5, "limit": 0, "skip": 0, "data": []}, "table") == "(no rows of 5)\n"
    assert _write([], "table") == "(0 rows)\n"


def test_csv_input_is_shown_with_the_schema_types() -> None:
    out = io.BytesIO()
    rows = [{"id": "7", "is_active": "false", "completed_at": "", "campaign_name": "", "extra": "x"}]
    write_result(rows, "jsonl", out, schema=CONTACT_COMMUNICATIONS)
    assert json.loads(out.getvalue()) == {
        "id": 7,
        "is_active": False,
        "completed_at": None,
        "campaign_name": "",
        "extra": "x",
    }


def test_a_progress_bar_for_large_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text('{"id": 1}\n' * 40_000, encoding="utf-8")
    monkeypatch.setattr("querylang.records.PROGRESS_BYTES", 1000)
    assert sum(1 for _ in RecordReader([str(path)], progress=True)) == 40_000
    err = capsys.readouterr().err
    assert "big.jsonl: [" in err and "%" in err
    assert err.endswith("\r\033[K")  # the bar is wiped at the end
    assert sum(1 for _ in RecordReader([str(path)], progress=False)) == 40_000
    assert capsys.readouterr().err == ""


def test_no_progress_bar_for_small_files(tmp_path: Path, capsys: Any) -> None:
    list(RecordReader([str(JSONL)], progress=True))
    assert capsys.readouterr().err == ""
