r"""Record files + query -> the page's total and records, filtered, counted and sorted by DuckDB.

``window(paths, query)`` has DuckDB read JSON Lines, JSON arrays, CSV and Parquet files (gzip
too) straight from disk, with every column named and typed here, never guessed: the fields the
query tests or sorts on are read untyped (JSON values as text, or as ``JSON`` for text fields,
which take only strings; CSV cells as text, ``''`` kept) and typed in SQL as
``Field.from_record`` types them, into a temporary table whose ``rowid`` is ``ORDINAL``, each
record's place in the input (DuckDB keeps the files' order when it fills a table). The total
and the page's places come from the SQL ``to_sql`` writes for that table; the page's records
are then read again at those places by ``querylang.records``, so that they are the very dicts
``find`` prints, byte for byte in every output format.

DuckDB answers only where it gives find's answer; where it cannot promise that, ``NotExact``
says why, and the caller answers in memory (or, for Parquet, which only DuckDB reads, refuses):

- A value the query reads is typed only in its plain spellings: a JSON number or boolean of the
  field's type; text of up to ten digits within 32 bits (integers), a decimal without exponent
  (numbers), ``true``/``false`` in any case (booleans), an enum's value; a date-time
  ``YYYY-MM-DD`` (midnight UTC) or ``YYYY-MM-DD[T ]HH:MM:SS[.f]{Z|±HH:MM}`` with up to six
  fraction digits, and a leap second ``23:59:60`` UTC read as the next second, as find reads it.
  Any other value (``"42 "``, ``1.0`` for an integer, seven fraction digits, a list), even one
  find reads, makes ``NotExact``; empty CSV text is null on a nullable field that is not text.
- Numbers compare as doubles in DuckDB: whole numbers beyond ``2**53`` in records or in the
  query make ``NotExact``.
- A pattern ending in a lone backslash (find stops on some values; ``to_sql`` refuses it).
- A JSON (Lines) file that starts with a byte-order mark, a JSON object with a key the query
  reads twice, a one-column CSV (DuckDB reads its blank lines as empty cells), anything DuckDB
  cannot read.
- A record of the page that the reader reads differently from DuckDB (every page row is
  checked, value for value).

DuckDB's readers are more lenient than find's in a few spellings of fields the query does not
read: ``NaN``, ``Infinity`` and trailing commas in JSON, spaces after a closing quote in CSV.
Find stops on the first three and keeps the spaces; DuckDB answers.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..ast import Membership, Query, conditions
from ..errors import Diagnostic, QueryValidationError, first_line
from ..page import unbounded
from ..records import FileInfo, InputError, RecordReader, csv_header, file_info
from ..schema import CONTACT_COMMUNICATIONS, Field, FieldType, Schema, ValueProblem
from ..validate import validate
from ..values import FarInstant
from .compile import ORDINAL, Statement, to_sql
from .dialects import DIALECTS, micros, require
from .run import EngineError, engine_errors

__all__ = ["FileWindow", "NotExact", "read_fields", "window"]

_D = DIALECTS["duckdb"]
_TABLE, _ROWS = "_querylang_records", "_querylang_rows"
_FILE, _BAD = "_file", "_bad"
_WHOLE_MAX = 2**53  # a double holds every whole number up to here
_BOM = b"\xef\xbb\xbf"
# JSON other than a string, as DuckDB writes it into a VARCHAR column (NaN and Infinity included).
_NOT_A_STRING = re.compile(r"[-+.0-9{\[].*|true|false|[+-]?(nan|inf|infinity)", re.IGNORECASE | re.DOTALL)

# Date-time spellings DuckDB reads as find does (values.record_datetime): year 0001-9999.
_YEAR = "([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_DAY = _YEAR + "-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_CLOCK = "([01][0-9]|2[0-3]):[0-5][0-9]:"
_FRACTION = r"(\.[0-9]{1,6})?"
_INSTANT = _DAY + "[T ]" + _CLOCK + "[0-5][0-9]" + _FRACTION + "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
# values.parse_datetime: a leap second only at 23:59 UTC, an offset within ±15:59.
_LEAP = _DAY + "[T ]" + _CLOCK + "60" + _FRACTION + "(Z|[+-](0[0-9]|1[0-5]):[0-5][0-9])"

# Text -> typed value, or NULL where find would read it otherwise or not at all.
_MACROS = (
    "SET TimeZone = 'UTC'",
    "SET preserve_insertion_order = true",
    "CREATE TEMP MACRO ql_int(s) AS CASE WHEN regexp_full_match(s, '-?[0-9]{1,10}') "
    "AND TRY_CAST(s AS BIGINT) BETWEEN -2147483648 AND 2147483647 THEN CAST(s AS BIGINT) END",
    # + 0.0 turns -0.0 into 0.0: find's -0.0 equals 0 and ties with it.
    f"CREATE TEMP MACRO ql_whole(n) AS CASE WHEN abs(n) <= {_WHOLE_MAX} THEN CAST(n AS DOUBLE) + 0.0 END",
    "CREATE TEMP MACRO ql_double(x) AS CASE WHEN isfinite(x) THEN x + 0.0 END",
    "CREATE TEMP MACRO ql_num(s) AS CASE "
    "WHEN regexp_full_match(s, '-?[0-9]{1,18}') THEN ql_whole(TRY_CAST(s AS BIGINT)) "
    r"WHEN regexp_full_match(s, '-?([0-9]+\.[0-9]*|\.[0-9]+)') THEN ql_double(TRY_CAST(s AS DOUBLE)) END",
    "CREATE TEMP MACRO ql_bool(s) AS CASE lower(s) WHEN 'true' THEN true WHEN 'false' THEN false END",
    # A leap second, read at :59 then moved on: only at 23:59 UTC, and with a fraction not at
    # 23:59 as written (values.parse_datetime).
    "CREATE TEMP MACRO ql_leap(s, t) AS CASE WHEN strftime(t, '%H:%M') = '23:59' AND NOT "
    r"(substr(s, 12, 5) = '23:59' AND regexp_full_match(s, '.{19}\.[0-9]*[1-9].*')) THEN t + INTERVAL 1 SECOND END",
    f"CREATE TEMP MACRO ql_instant(s) AS CASE WHEN regexp_full_match(s, '{_INSTANT}') THEN TRY_CAST(s AS TIMESTAMPTZ) "
    f"WHEN regexp_full_match(s, '{_DAY}') THEN CAST(TRY_CAST(s AS DATE) AS TIMESTAMPTZ) "
    f"WHEN regexp_full_match(s, '{_LEAP}') "
    "THEN ql_leap(s, TRY_CAST(substr(s, 1, 17) || '59' || substr(s, 20) AS TIMESTAMPTZ)) END",
)

# Parquet column types -> the kind of Python value DuckDB hands back for them.
_PARQUET_KINDS = {
    **dict.fromkeys(("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"), "int"),
    **dict.fromkeys(("UBIGINT", "HUGEINT", "UHUGEINT"), "int"),
    "FLOAT": "float",
    "DOUBLE": "float",
    "BOOLEAN": "bool",
    "VARCHAR": "text",
    "TIMESTAMP WITH TIME ZONE": "instant",
}


class NotExact(EngineError):
    """DuckDB cannot promise find's answer over these files (the message says why); answer in memory."""


@dataclass(frozen=True)
class FileWindow:
    """What DuckDB found in the files: the total and the page's records, in order.

    Attributes:
        total: every match (0 without pagination).
        limit: the page's limit, None for every row.
        skip: the rows skipped.
        rows: the page's records as ``querylang.records`` reads them (Parquet rows as DuckDB
            hands them back), before ``$select`` and ``$load``.
        query: the typed query.
        csv: whether any file was CSV (its values are text, shown with the schema's types).
    """

    total: int
    limit: int | None
    skip: int
    rows: list[dict[str, Any]]
    query: Query
    csv: bool


def _not_exact(message: str) -> NotExact:
    return NotExact([Diagnostic("not-exact", message)])


def _quote(name: str) -> str:
    """A DuckDB identifier, quoted as sqlglot quotes it for DuckDB (without importing it: see ``window``)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class _Sql:
    """SQL text with its positional parameters, in order."""

    text: list[str] = dataclasses.field(default_factory=list)
    params: list[object] = dataclasses.field(default_factory=list)

    def bind(self, value: object) -> str:
        self.params.append(value)
        return "?"


def _needs_json(f: Field) -> bool:
    """Whether a JSON value must be read as ``JSON`` to be typed as find types it, not as text.

    DuckDB reads any JSON value into a ``VARCHAR`` column: a number as its digits (``1.50`` as
    ``1.5``, exactly), ``true`` as ``true``, an object as its JSON. For an integer, number,
    boolean or date-time field that is harmless: text of theirs that the ``ql_`` macros accept
    means the same to find whether it was a JSON string or not (``"42"`` and ``42`` are both 42
    to ``Field.from_record``), and anything else does not fit. A text field takes only strings,
    and so does an enum, whose values may look like other JSON (``"1"``, ``"true"``).
    """
    if f.type is FieldType.TEXT:
        return True
    return f.type is FieldType.ENUM and any(_NOT_A_STRING.fullmatch(v) for v in f.values)


def _typed(f: Field, raw: str, kind: str, sql: _Sql) -> tuple[str, str]:
    """``(value, needs)`` of a field read from a raw column.

    ``value`` is the typed value, NULL where find would read the raw value otherwise (or not at
    all); ``needs`` tells when a value is due: not null, nor empty text meaning null.
    """
    t = f.type
    if kind in ("json", "text"):
        if kind == "json":  # only a JSON string: its first character is a quote
            text = f"CASE WHEN starts_with(CAST({raw} AS VARCHAR), '\"') THEN json_extract_string({raw}, '$') END"
        else:
            text = raw
        by_type = {
            FieldType.TEXT: text,
            FieldType.INTEGER: f"ql_int({text})",
            FieldType.NUMBER: f"ql_num({text})",
            FieldType.BOOLEAN: f"ql_bool({text})",
            FieldType.DATETIME: f"ql_instant({text})",
        }
        if t is FieldType.ENUM:
            value = f"CASE WHEN list_contains({sql.bind(list(f.values))}, {text}) THEN {text} END"
        else:
            value = by_type[t]
        empty = f"CAST({raw} AS VARCHAR) = '\"\"'" if kind == "json" else f"{raw} = ''"
    else:  # a typed Parquet column: only its own type fits
        fits = {
            ("int", FieldType.INTEGER): f"TRY_CAST({raw} AS BIGINT)",
            ("int", FieldType.NUMBER): f"ql_whole(TRY_CAST({raw} AS HUGEINT))",
            ("float", FieldType.NUMBER): f"ql_double(CAST({raw} AS DOUBLE))",
            ("bool", FieldType.BOOLEAN): raw,
            ("instant", FieldType.DATETIME): raw,
        }
        value = fits.get((kind, t), f"CAST(NULL AS {_D.types[t]})")
        empty = "false"
    nullable_text = f.nullable and t is not FieldType.TEXT
    needs = f"{raw} IS NOT NULL" + (f" AND NOT ({empty})" if nullable_text else "")
    return f"CAST({value} AS {_D.types[t]})", needs


def _source(info: FileInfo, fields: Sequence[Field], index: int, connection: Any) -> _Sql | None:
    """One file's ``SELECT`` of typed values ``v0, v1, ...`` and needs ``n0, n1, ...``; None for an empty CSV."""
    sql = _Sql()  # the FROM's parameters; the SELECT's go before them
    compression = "gzip" if info.gzipped else "none"
    raws: list[tuple[str, str]]  # (raw column SQL, kind)
    if info.format in ("json", "jsonl"):
        if info.head.startswith(_BOM):
            raise _not_exact(f"{info.path} starts with a byte-order mark, which find does not read as JSON")
        kinds = {f.name: "json" if _needs_json(f) else "text" for f in fields}
        columns = {name: "JSON" if kind == "json" else "VARCHAR" for name, kind in kinds.items()}
        layout = "array" if info.format == "json" else "newline_delimited"
        read = (
            f"read_json({sql.bind(info.path)}, format = {sql.bind(layout)}, "
            f"columns = {sql.bind(columns or {'_': 'JSON'})}, compression = {sql.bind(compression)})"
        )  # DuckDB reads at least one column
        raws = [(_quote(f.name), kinds[f.name]) for f in fields]
    elif info.format == "csv":
        header = csv_header(info.path)
        if header is None:
            return None
        if len(header) == 1:
            raise _not_exact(
                f"{info.path} has one column: DuckDB reads its blank lines as empty cells, find skips them"
            )
        columns = {f"c{i}": "VARCHAR" for i in range(len(header))}
        last = {name: i for i, name in enumerate(header)}  # a name twice: the last cell counts, as in a dict
        read = (
            f"read_csv({sql.bind(info.path)}, columns = {sql.bind(columns)}, header = true, delim = ',', "
            "quote = '\"', escape = '\"', auto_detect = false, strict_mode = true, null_padding = false, "
            f"force_not_null = {sql.bind(list(columns))}, compression = {sql.bind(compression)}, encoding = 'utf-8')"
        )
        raws = [(f"c{last[f.name]}" if f.name in last else "CAST(NULL AS VARCHAR)", "text") for f in fields]
    elif info.format == "parquet":
        if info.gzipped:
            raise _not_exact(f"{info.path}: a gzipped Parquet file")
        described = connection.execute("DESCRIBE SELECT * FROM read_parquet(?)", [info.path]).fetchall()
        types = {row[0]: str(row[1]) for row in described}
        read = f"read_parquet({sql.bind(info.path)})"
        raws = [
            (_quote(f.name), _PARQUET_KINDS.get(types[f.name], "other"))
            if f.name in types
            else ("CAST(NULL AS VARCHAR)", "text")
            for f in fields
        ]
    else:
        raise InputError(f"{info.path}: unknown input format {info.format!r}")
    select = _Sql([f"CAST({index} AS INTEGER) AS {_FILE}"])
    for i, (f, (raw, kind)) in enumerate(zip(fields, raws, strict=True)):
        value, needs = _typed(f, raw, kind, select)
        select.text += [f"{value} AS v{i}", f"{needs} AS n{i}"]
    return _Sql([f"SELECT {', '.join(select.text)} FROM {read}"], select.params + sql.params)


def _engine() -> Any:
    """DuckDB's engine module: the compiled ``_duckdb`` that the ``duckdb`` package wraps, where it is one.

    PERF: ``import duckdb`` takes ~105 ms: ~25 ms for the engine and ~80 ms for the package's
    Python API (relations, expressions, its version through ``importlib.metadata``), none of
    which this module uses: it needs ``connect`` and the connection only. Without ``_duckdb``
    (a DuckDB release that names it otherwise), the package.
    """
    try:
        import _duckdb
    except ImportError:
        return require("duckdb", "duckdb")
    return _duckdb


def read_fields(query: Query, schema: Schema) -> tuple[Field, ...]:
    """The fields the query tests or sorts on, in schema order."""
    names = {c.field for c in conditions(query.where)} | {s.field for s in query.sort}
    return tuple(f for f in schema.fields if f.name in names)


def _check_query(query: Query, fields: Sequence[Field]) -> None:
    reserved = {ORDINAL, _FILE, _BAD}
    for f in fields:
        if f.name.lower() in reserved:
            raise _not_exact(f"field '{f.name}' has a name DuckDB's table uses")
    numbers = {f.name for f in fields if f.type is FieldType.NUMBER}
    for c in conditions(query.where):
        values = c.values if isinstance(c, Membership) else (c.value,)
        if c.field in numbers and any(type(v) is int and abs(v) > _WHOLE_MAX for v in values):
            raise _not_exact(f"'{c.field}' is compared with a whole number beyond 2**53, which a double does not hold")


def window(
    paths: Sequence[str],
    query: Query | str | object,
    *,
    schema: Schema | None = None,
    input_format: str | None = None,
    default_limit: int | None = None,
    max_limit: int | None = None,
    paginate: bool = True,
) -> FileWindow:
    """Answer a query over record files with DuckDB: the total and the page's records, as ``find`` finds them.

    ``window(["export.jsonl"], "contact_id=77&$sort[send_at]=-1")``: DuckDB filters, counts
    and sorts; the page's records are read again from the files.

    Args:
        paths: record files, read in order as one input (no ``-``: DuckDB reads files).
        query: query text, a ``Query`` AST, or a builder query.
        schema: the fields; the contact-communication schema by default.
        input_format: ``json``, ``jsonl``, ``csv`` or ``parquet`` for every file; else by name.
        default_limit: the page size without ``$limit``; the schema's by default.
        max_limit: the largest page; the schema's by default.
        paginate: False for every match: ``$limit`` and ``$skip`` apply as written.

    Returns:
        The ``FileWindow``; ``$select`` and ``$load`` are the caller's to apply.

    Raises:
        QuerySyntaxError, QueryValidationError: the query is not valid.
        InputError: a file cannot be read, or its format told.
        NotExact: DuckDB cannot promise find's answer here (the message says why).
        EngineError: DuckDB failed otherwise.
        MissingExtra: without DuckDB or sqlglot (``querylang[duckdb]``).
    """
    duckdb = _engine()
    schema = schema or CONTACT_COMMUNICATIONS
    typed = validate(query, unbounded(schema))  # to_sql's own validation, before any file is read
    fields = read_fields(typed, schema)
    _check_query(typed, fields)
    infos = [file_info(path, input_format) for path in paths]
    connection = duckdb.connect()
    try:
        with engine_errors(_D):
            for macro in _MACROS:
                connection.execute(macro)
            sources = [s for i, info in enumerate(infos) if (s := _source(info, fields, i, connection)) is not None]
        write = functools.partial(
            _statement, typed, schema, default_limit=default_limit, max_limit=max_limit, paginate=paginate
        )
        statement = _load_writing(connection, sources, fields, write)
        with engine_errors(_D):
            bad = connection.execute(
                f"SELECT {ORDINAL}, {_BAD} FROM {_TABLE} WHERE {_BAD} IS NOT NULL ORDER BY {ORDINAL} LIMIT 1"
            ).fetchone()
            if bad is not None:
                raise _not_exact(
                    f"record {bad[0]} (counting from 0) has a value of '{fields[bad[1]].name}' "
                    "that DuckDB does not read as find does"
                )
            total = 0
            if paginate:
                total = int(connection.execute(statement.count_sql, statement.count_params).fetchone()[0])
            ordinals: list[int] = []
            if statement.sql is not None:
                ordinals = [row[0] for row in connection.execute(statement.sql, statement.params).fetchall()]
            rows = _rows(connection, infos, ordinals, fields, input_format)
    finally:
        connection.close()
    return FileWindow(
        total=total,
        limit=statement.limit,
        skip=statement.skip,
        rows=rows,
        query=statement.query,
        csv=any(info.format == "csv" for info in infos),
    )


def _statement(
    typed: Query, schema: Schema, *, default_limit: int | None, max_limit: int | None, paginate: bool
) -> Statement:
    """``to_sql``'s page and total over the loaded table."""
    try:
        return to_sql(
            typed,
            dialect=_D,
            schema=schema,
            table=_TABLE,
            default_limit=default_limit,
            max_limit=max_limit,
            paginate=paginate,
            columns=(ORDINAL,),
        )
    except QueryValidationError as error:
        if error.diagnostics and all(d.code == "bad-pattern" for d in error.diagnostics):
            raise _not_exact("a pattern ends in a lone backslash, which find runs and DuckDB refuses") from None
        raise


def _load_writing(
    connection: Any, sources: list[_Sql], fields: Sequence[Field], write: Callable[[], Statement]
) -> Statement:
    """``_load`` the files while ``write`` makes the statement; its statement once both are done.

    PERF: DuckDB reads the files with the GIL released, so this thread imports sqlglot and
    renders the SQL meanwhile (~70 ms of the process, on any machine with a core to spare).
    Where ``write`` fails, the load is interrupted and waited for before the error goes on.
    """
    failed: list[BaseException] = []

    def load() -> None:
        try:
            _load(connection, sources, fields)
        except BaseException as error:  # raised again in the caller's thread
            failed.append(error)

    loading = threading.Thread(target=load, name="querylang-duckdb-load")
    loading.start()
    try:
        statement = write()
    except BaseException:
        connection.interrupt()
        raise
    finally:
        loading.join()
    if failed:
        raise failed[0]
    return statement


def _load(connection: Any, sources: list[_Sql], fields: Sequence[Field]) -> None:
    """Read the files into a table, and ``_TABLE``, a view of it that adds ``ORDINAL``.

    The table holds each record's file, its typed fields, and the first field that does not fit.

    The ordinal is the table's ``rowid``: DuckDB keeps the order of the files, one after the
    other, when it fills a table (``preserve_insertion_order``), and reads them in parallel.
    """
    if not sources:
        columns = [f"{_FILE} INTEGER", f"{_BAD} INTEGER", *(f"{_quote(f.name)} {_D.types[f.type]}" for f in fields)]
        with engine_errors(_D):
            connection.execute(f"CREATE TEMP TABLE {_ROWS} ({', '.join(columns)})")
    else:
        bad = " ".join(f"WHEN n{i} AND v{i} IS NULL THEN {i}" for i in range(len(fields)))
        selected = [
            _FILE,
            f"CASE {bad} END AS {_BAD}" if fields else f"CAST(NULL AS INTEGER) AS {_BAD}",
            *(f"v{i} AS {_quote(f.name)}" for i, f in enumerate(fields)),
        ]
        union = " UNION ALL ".join(t for s in sources for t in s.text)
        try:
            connection.execute(
                f"CREATE TEMP TABLE {_ROWS} AS SELECT {', '.join(selected)} FROM ({union})",
                [p for s in sources for p in s.params],
            )
        except Exception as error:  # duckdb.Error: what its readers refuse (bad JSON, a ragged CSV row, ...)
            raise _not_exact(f"DuckDB cannot read the files as find does: {first_line(error)}") from error
    with engine_errors(_D):
        connection.execute(f"CREATE TEMP VIEW {_TABLE} AS SELECT rowid AS {ORDINAL}, * FROM {_ROWS}")


def _rows(
    connection: Any, infos: list[FileInfo], ordinals: list[int], fields: Sequence[Field], given: str | None
) -> list[dict[str, Any]]:
    """The records at ``ordinals`` as the reader reads them, each checked against what DuckDB read."""
    if not ordinals:
        return []
    wanted = sorted(set(ordinals))
    columns = [ORDINAL, _FILE, *(_quote(f.name) for f in fields)]
    shown = [f"epoch_us({c})" if f.type is FieldType.DATETIME else c for c, f in zip(columns[2:], fields, strict=True)]
    read = connection.execute(
        f"SELECT {', '.join(columns[:2] + shown)} FROM {_TABLE} WHERE {ORDINAL} IN (SELECT unnest(?))", [wanted]
    ).fetchall()
    duck = {row[0]: row for row in read}
    starts = dict(connection.execute(f"SELECT {_FILE}, min({ORDINAL}) FROM {_TABLE} GROUP BY {_FILE}").fetchall())
    by_file: dict[int, list[int]] = {}
    for o in wanted:
        by_file.setdefault(duck[o][1], []).append(o)
    found: dict[int, dict[str, Any]] = {}
    for index, positions in by_file.items():
        info, start = infos[index], starts[index]
        if info.format == "parquet":
            found |= _parquet_rows(connection, info.path, start, positions)
            continue
        try:
            picked = RecordReader([info.path], input_format=given).pick(o - start for o in positions)
        except InputError as error:
            raise _not_exact(f"the reader cannot read a record DuckDB read: {error}") from None
        found |= {start + p: r for p, r in picked.items()}
    for o in wanted:
        if o not in found or not _same(found[o], duck[o][2:], fields):
            raise _not_exact(f"DuckDB and the reader read record {o} (counting from 0) differently")
    return [found[o] for o in ordinals]


def _parquet_rows(connection: Any, path: str, start: int, positions: list[int]) -> dict[int, dict[str, Any]]:
    cursor = connection.execute(
        f"SELECT * EXCLUDE ({ORDINAL}) FROM (SELECT row_number() OVER () - 1 AS {ORDINAL}, * FROM read_parquet(?)) "
        f"WHERE {ORDINAL} IN (SELECT unnest(?)) ORDER BY {ORDINAL}",
        [path, [p - start for p in positions]],
    )
    names = [d[0] for d in cursor.description]
    return {o: dict(zip(names, row, strict=True)) for o, row in zip(positions, cursor.fetchall(), strict=True)}


def _same(record: dict[str, Any], values: Sequence[object], fields: Sequence[Field]) -> bool:
    """Whether find reads the record's fields as DuckDB read them (instants as microseconds)."""
    for f, theirs in zip(fields, values, strict=True):
        try:
            mine = f.from_record(record.get(f.name))
        except ValueProblem:
            return False
        if isinstance(mine, FarInstant) or (f.type is FieldType.DATETIME and mine is not None):
            mine = micros(mine)
        if mine != theirs or (mine is None) != (theirs is None):
            return False
    return True
