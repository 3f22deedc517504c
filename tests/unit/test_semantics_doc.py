"""docs/semantics.md is true: every row of its example tables is run against querylang.

The page's tables are recognised by their header row; each kind is checked its own way:

- ``query | decodes to``: ``querylang.decode``, or the code of the ``QuerySyntaxError`` it raises;
- ``query | diagnostics`` and the differences table (``query | the LionDesk server | querylang``):
  the codes and severities of ``querylang.check``, in order;
- ``query | total | limit | ids`` and ``query | data``: ``querylang.find`` over the page's records;
- ``query | answer``: ``CampaignCommunications.find`` over the same records;
- ``request | Content-Type | body | status | name``: the HTTP application of ``querylang serve``;
- ``query | written back as``: ``querylang.serialize(querylang.parse(query))``;
- ``code | severity | when``: the diagnostic codes querylang's source can produce, both ways.

``<5,000 × 9>`` in a cell stands for 5,000 nines; "(empty)" is the empty query.
"""

from __future__ import annotations

import ast
import importlib
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.tokens import stand_in

import querylang
import querylang.sql
from querylang.service import CampaignCommunications, Contact, ServiceError

DOC = Path(__file__).resolve().parents[2] / "docs" / "semantics.md"
TEXT = DOC.read_text(encoding="utf-8")

# Rows the doc states ahead of the code, by (table kind, first cell as written) -> the issue that
# lands them: each is a strict xfail, so a row that starts passing fails until its entry goes.
PENDING: dict[tuple[str, str], int] = {}

KINDS = {
    ("query", "decodes to"): "decode",
    ("query", "diagnostics"): "check",
    ("query", "the liondesk server", "querylang"): "differences",
    ("query", "total", "limit", "ids"): "find",
    ("query", "data"): "data",
    ("query", "answer"): "service",
    ("request", "content-type", "body", "status", "name"): "http",
    ("query", "written back as"): "serialize",
    ("code", "severity", "when"): "codes",
}


@dataclass(frozen=True)
class Row:
    kind: str
    cells: tuple[str, ...]
    line: int

    @property
    def key(self) -> str:
        """What PENDING names the row by: its first cell, or for HTTP the cells up to the body."""
        if self.kind != "http":
            return self.cells[0]
        return " | ".join(cell for cell in self.cells[:3] if cell)


def _tables(text: str) -> Iterator[Row]:
    lines = text.splitlines()
    i = 0
    while i < len(lines) - 1:
        header, rule = lines[i], lines[i + 1]
        if header.startswith("|") and re.fullmatch(r"\|(?:\s*:?-+:?\s*\|)+", rule):
            names = tuple(_cells(header))
            kind = KINDS.get(tuple(name.lower() for name in names))
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                if kind is not None:
                    cells = tuple(_cells(lines[i]))
                    assert len(cells) == len(names), f"docs/semantics.md line {i + 1}: {len(cells)} cells"
                    yield Row(kind, cells, i + 1)
                i += 1
        else:
            i += 1


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


ROWS = list(_tables(TEXT))


def _rows(kind: str) -> list[Any]:
    params = []
    for row in (r for r in ROWS if r.kind == kind):
        marks = []
        if (kind, row.key) in PENDING:
            item = PENDING[(kind, row.key)]
            marks.append(pytest.mark.xfail(strict=True, reason=f"lands with issue 11 item {item}"))
        params.append(pytest.param(row, marks=marks, id=f"line{row.line}"))
    return params


_RUN = re.compile(r"<([0-9][0-9,]*) × ([^>]*)>")


def _expand(text: str) -> str:
    return _RUN.sub(lambda m: m.group(2) * int(m.group(1).replace(",", "")), text)


def _code_span(cell: str) -> str:
    """The text of a cell that is one code span, with its runs expanded."""
    match = re.fullmatch(r"`([^`]*)`", cell)
    assert match is not None, f"expected one `code span`, not {cell!r}"
    return _expand(match.group(1))


def _query(cell: str) -> str:
    return "" if cell == "(empty)" else _code_span(cell)


_CODE = re.compile(r"`([a-z][a-z0-9]*(?:-[a-z0-9]+)*)`( \(warning\))?")


def _diagnostics(cell: str) -> list[tuple[str, str]]:
    """``none``, or codes in backticks, a warning followed by "(warning)"; prose after " — " is ignored."""
    head = cell.split(" — ")[0].strip()
    if head == "none":
        return []
    found = [(m.group(1), "warning" if m.group(2) else "error") for m in _CODE.finditer(head)]
    assert found, f"no diagnostics in {cell!r}"
    return found


def _error_code(cell: str) -> str | None:
    match = re.fullmatch(r"error `([a-z0-9-]+)`", cell)
    return match.group(1) if match else None


def _json_block(marker: str) -> Any:
    match = re.search(rf"<!-- {marker} -->\n```json\n(.*?)```", TEXT, re.DOTALL)
    assert match is not None, f"docs/semantics.md has no {marker} block"
    return json.loads(match.group(1))


RECORDS: list[dict[str, Any]] = _json_block("example-records")
USERS: list[dict[str, Any]] = _json_block("example-users")
# What the patterns of the examples reach: an error message must never quote one of these.
STORED_TEXT = sorted({r[f] for r in RECORDS for f in ("campaign_name", "template_name") if f in r})


def _quoted_stored_values(message: str, query: str) -> list[str]:
    return [value for value in STORED_TEXT if value in message and value not in query]


# ---------------------------------------------------------------- the page's shape


def test_the_page_has_every_kind_of_example_table() -> None:
    counts = {kind: sum(r.kind == kind for r in ROWS) for kind in KINDS.values()}
    assert all(counts[kind] >= 5 for kind in counts), counts


def test_every_pending_row_is_on_the_page() -> None:
    keys = {(row.kind, row.key) for row in ROWS}
    assert [key for key in PENDING if key not in keys] == []


# ---------------------------------------------------------------- text -> parameters -> query


@pytest.mark.parametrize("row", _rows("decode"))
def test_decode_row(row: Row) -> None:
    query = _query(row.cells[0])
    code = _error_code(row.cells[1])
    if code is not None:
        with pytest.raises(querylang.QuerySyntaxError) as caught:
            querylang.decode(query)
        assert caught.value.diagnostic.code == code
    else:
        assert querylang.decode(query) == json.loads(_code_span(row.cells[1]))


def _check(query: str) -> list[tuple[str, str]]:
    return [(d.code, d.severity) for d in querylang.check(query)]


@pytest.mark.parametrize("row", _rows("check"))
def test_check_row(row: Row) -> None:
    assert _check(_query(row.cells[0])) == _diagnostics(row.cells[1])


@pytest.mark.parametrize("row", _rows("differences"))
def test_difference_row(row: Row) -> None:
    assert _check(_query(row.cells[0])) == _diagnostics(row.cells[2])


@pytest.mark.parametrize("row", _rows("serialize"))
def test_written_back_row(row: Row) -> None:
    assert querylang.serialize(querylang.parse(_query(row.cells[0]))) == _code_span(row.cells[1])


# ---------------------------------------------------------------- find


@pytest.mark.parametrize("row", _rows("find"))
def test_find_row(row: Row) -> None:
    query = _query(row.cells[0])
    code = _error_code(row.cells[1])
    if code is not None:
        with pytest.raises(querylang.QueryError) as caught:
            querylang.find(RECORDS, query, users=USERS)
        assert caught.value.diagnostic.code == code
        message = str(caught.value)
        field = query.split("[", 1)[0]
        assert field in message
        assert _quoted_stored_values(message, query) == []
        return
    page = querylang.find(RECORDS, query, users=USERS)
    ids = [int(i) for i in row.cells[3].split()]
    assert (page["total"], page["limit"], [r["id"] for r in page["data"]]) == (
        int(row.cells[1]),
        int(row.cells[2]),
        ids,
    )


@pytest.mark.parametrize("row", _rows("data"))
def test_data_row(row: Row) -> None:
    page = querylang.find(RECORDS, _query(row.cells[0]), users=USERS)
    assert page["data"] == json.loads(_code_span(row.cells[1]))


def test_find_leaves_the_records_as_they_were() -> None:
    before = json.dumps(RECORDS)
    for row in (r for r in ROWS if r.kind in ("find", "data") and _error_code(r.cells[1]) is None):
        querylang.find(RECORDS, _query(row.cells[0]), users=USERS)
    assert json.dumps(RECORDS) == before


# ---------------------------------------------------------------- the endpoint


def _service() -> CampaignCommunications:
    return CampaignCommunications(RECORDS, contacts=[Contact(76, owner_user_id=3)], users=USERS)


@pytest.mark.parametrize("row", _rows("service"))
def test_service_row(row: Row) -> None:
    query = _query(row.cells[0])
    match = re.fullmatch(r"`(\d{3})`, (?:total (\d+)|`([a-z0-9-]+)`)", row.cells[1])
    assert match is not None, row.cells[1]
    status, total, code = int(match.group(1)), match.group(2), match.group(3)
    if status == 200:
        assert _service().find(contact_id=76, query=query)["total"] == int(total)
        return
    with pytest.raises(ServiceError) as caught:
        _service().find(contact_id=76, query=query)
    body = caught.value.to_dict()
    assert (body["code"], [d.code for d in caught.value.diagnostics if d.severity == "error"][:1]) == (status, [code])
    assert _quoted_stored_values(json.dumps(body, ensure_ascii=False), query) == []


def _make_app() -> Callable[..., Any]:
    # querylang serve's WSGI application, wherever the package keeps it.
    for name in ("querylang.service.http", "querylang.serve"):
        try:
            return importlib.import_module(name).make_app  # type: ignore[no-any-return]
        except ImportError:
            continue
    raise AssertionError("no make_app in querylang.service.http or querylang.serve")


def _request(method: str, target: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
    path, _, query = target.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query.encode("utf-8").decode("latin-1"),  # PEP 3333: bytes as latin-1
        "HTTP_AUTHORIZATION": "Bearer token-3",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
    }
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    status: list[str] = []
    data = b"".join(_make_app()(_service(), stand_in)(environ, lambda s, headers: status.append(s)))
    return int(status[0].split()[0]), json.loads(data)


@pytest.mark.parametrize("row", _rows("http"))
def test_http_row(row: Row) -> None:
    request, content_type, body, status, name = row.cells
    method, target = _code_span(request).split(" ", 1)
    sent = _code_span(body).encode("utf-8") if body else b""
    got, answer = _request(method, target, _code_span(content_type) if content_type else "", sent)
    if name:
        assert (got, answer.get("name"), answer.get("code")) == (int(status), _code_span(name), int(status))
    else:
        assert got == int(status), answer


# ---------------------------------------------------------------- diagnostic codes

# What a diagnostic's code is given to: Diagnostic(code, ...), QuerySyntaxError.at(code, ...),
# a validator's error/warn/problem(code, ...), ValueProblem(code, ...).
_MAKERS = {"Diagnostic", "at", "error", "warn", "problem", "ValueProblem"}
_KEBAB = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def _source_codes() -> set[str]:
    codes: set[str] = set()
    for path in Path(querylang.__file__).resolve().parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _MAKERS:
                codes.update(c for c in _strings(node.args[0]) if _KEBAB.fullmatch(c))
    return codes


def _strings(node: ast.expr) -> list[str]:
    """The string constants an argument can be: itself, or either side of ``a if test else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


SOURCE_CODES = _source_codes()
DOC_CODES = {_code_span(r.cells[0]): r.cells[1] for r in ROWS if r.kind == "codes"}


@pytest.mark.parametrize("row", _rows("codes"))
def test_documented_code_exists(row: Row) -> None:
    assert _code_span(row.cells[0]) in SOURCE_CODES
    assert row.cells[1] in ("error", "warning")


def test_every_code_querylang_can_give_is_documented() -> None:
    assert sorted(SOURCE_CODES - DOC_CODES.keys()) == []


def test_examples_agree_with_the_code_table_on_severity() -> None:
    found = [
        (code, severity, DOC_CODES.get(code))
        for row in ROWS
        if row.kind in ("check", "differences")
        for code, severity in _diagnostics(row.cells[1 if row.kind == "check" else 2])
    ]
    assert [f for f in found if f[1] != f[2]] == []


def test_reading_the_doc_needs_no_private_module() -> None:
    # Users see public names only: the doc names no querylang module but the public ones.
    named = set(re.findall(r"querylang(?:\.[A-Za-z_]+)+", TEXT))
    public = {"querylang.find", "querylang.decode", "querylang.check", "querylang.values.FarInstant"}
    public |= {f"querylang.{name}" for name in querylang.__all__}
    public |= {"querylang.service.CampaignCommunications", "querylang.service.ServiceError"}
    public |= {"querylang.sql"} | {f"querylang.sql.{name}" for name in querylang.sql.__all__}
    assert sorted(named - public) == []
