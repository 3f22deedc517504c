"""Record files -> records: JSON arrays, JSON Lines, CSV, gzip and stdin, for the CLI (``output`` writes results).

Files are streamed (a JSON array is read whole); each record is a dict. ``RecordReader.pick``
reads only the records at given positions (``querylang.sql.files`` has DuckDB find them);
Parquet files are known by name but read by DuckDB only. ``orjson`` reads
JSON when it is installed (the ``fast`` extra), the standard ``json`` otherwise. A record
that cannot be read is reported with its file and line; the caller decides whether that stops
the run. A progress bar goes to stderr for large files when asked.
"""

from __future__ import annotations

import bisect
import collections
import csv
import gzip
import io
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, cast

from .values import json_problem

__all__ = [
    "INPUT_FORMATS",
    "FileInfo",
    "InputError",
    "RecordReader",
    "csv_header",
    "file_info",
    "loads",
]

INPUT_FORMATS = ("json", "jsonl", "csv", "parquet")
PROGRESS_BYTES = 32 * 1024 * 1024  # a file at least this large gets a progress bar
_EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
_GZIP_MAGIC = b"\x1f\x8b"


try:
    import orjson

    loads: Callable[[bytes | str], Any] = orjson.loads
except ImportError:  # pragma: no cover - orjson is optional
    loads = json.loads


class InputError(Exception):
    """Input that cannot be read: a missing file, bad JSON, a record that is not an object."""


OnBad = Callable[[str, str], None]
"""Called with where (``export.jsonl line 12``) and what is wrong; return to skip, raise to stop."""


def _stop(where: str, message: str) -> None:
    raise InputError(f"{where}: {message}")


def input_format(path: str, given: str | None) -> str:
    """The format of ``path``: ``given``, else by extension (``.json``, ``.jsonl``, ``.csv``, ``.parquet``, ``.gz``)."""
    if given:
        return given
    name = path[:-3] if path.endswith(".gz") else path
    ext = os.path.splitext(name)[1].lower()
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    raise InputError(f"{path}: cannot tell the format from the name; use --input-format json, jsonl or csv")


@dataclass(frozen=True)
class FileInfo:
    """A record file as ``RecordReader`` opens it.

    Attributes:
        path: the file.
        format: ``json``, ``jsonl``, ``csv`` or ``parquet``.
        gzipped: whether it is gzip-compressed (by its name or its first bytes).
        head: its first bytes (up to 4), uncompressed.
    """

    path: str
    format: str
    gzipped: bool
    head: bytes


def file_info(path: str, given: str | None = None) -> FileInfo:
    """The format of a record file, whether it is gzipped, and its first bytes.

    Raises:
        InputError: the file cannot be read, or its format cannot be told from its name.
    """
    kind = input_format(path, given)
    try:
        with open(path, "rb") as plain:
            gzipped = path.endswith(".gz") or plain.peek(2)[:2] == _GZIP_MAGIC
            if not gzipped:
                return FileInfo(path, kind, gzipped=False, head=plain.read(4))
            with gzip.GzipFile(fileobj=plain) as unpacked:
                return FileInfo(path, kind, gzipped=True, head=unpacked.read(4))
    except OSError as error:
        if isinstance(error, gzip.BadGzipFile) or not error.strerror:
            raise InputError(f"{path}: cannot read: {error}") from None
        raise InputError(f"{path}: cannot read: {error.strerror}") from None
    except EOFError as error:
        raise InputError(f"{path}: cannot read: {error}") from None


class _Progress:
    """A bar on stderr: how far through a file the reading is."""

    def __init__(self, name: str, size: int, position: Callable[[], int]) -> None:
        self.name, self.size, self.position = name, size, position
        self.shown = -1

    def update(self) -> None:
        done = min(self.position(), self.size)
        percent = done * 100 // max(self.size, 1)
        if percent != self.shown:
            self.shown = percent
            bar = "#" * (percent * 30 // 100)
            mb = 1024 * 1024
            sys.stderr.write(f"\r{self.name}: [{bar:<30}] {percent:3d}% {done // mb}/{self.size // mb} MB")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


class RecordReader:
    """The records of one or more files, in order, read lazily and once.

    Attributes:
        csv: whether any input was CSV (its values are text, to be typed for output).
        line: the line (or array item) of the record read last, in file ``name``.
    """

    def __init__(
        self,
        paths: Sequence[str],
        *,
        input_format: str | None = None,
        on_bad: OnBad | None = None,
        progress: bool = False,
        stdin: IO[bytes] | None = None,
    ) -> None:
        self.paths = list(paths) or ["-"]
        self.format = input_format
        self.on_bad = on_bad or _stop
        self.progress = progress
        self.stdin = stdin
        self.csv = False
        self.name = ""
        self.unit = "line"
        self.line = 0

    @property
    def where(self) -> str:
        """The file and line (or array item) of the record read last: ``export.jsonl line 12``."""
        return f"{self.name} {self.unit} {self.line}"

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for path in self.paths:
            yield from self._file(path)

    def pick(self, positions: Iterable[int]) -> dict[int, dict[str, Any]]:
        """The records at ``positions`` (0-based, counted across the files): ``pick_records``."""
        return pick_records(self, positions)

    def _open(self, path: str) -> tuple[IO[bytes], str, _Progress | None, IO[bytes] | None]:
        """The file as bytes (gunzipped), its format, a progress bar if it is large, and the file to close."""
        if path == "-":
            stream: Any = self.stdin if self.stdin is not None else sys.stdin.buffer
            if not hasattr(stream, "peek"):
                stream = io.BufferedReader(stream)
            if stream.peek(2)[:2] == _GZIP_MAGIC:
                stream = gzip.GzipFile(fileobj=stream)
            return stream, self.format or _sniff(stream), None, None
        kind = input_format(path, self.format)
        try:
            plain = open(path, "rb")  # noqa: SIM115 - closed by _file
        except OSError as error:
            raise InputError(f"{path}: cannot read: {error.strerror}") from None
        bar = None
        size = os.fstat(plain.fileno()).st_size
        if self.progress and size >= PROGRESS_BYTES:
            bar = _Progress(os.path.basename(path), size, plain.tell)
        if path.endswith(".gz") or plain.peek(2)[:2] == _GZIP_MAGIC:
            return cast(IO[bytes], gzip.GzipFile(fileobj=plain)), kind, bar, plain
        return plain, kind, bar, plain

    def _file(self, path: str) -> Iterator[dict[str, Any]]:
        f, kind, bar, closing = self._open(path)
        name = self.name = "<stdin>" if path == "-" else path
        self.unit, self.line = ("item" if kind == "json" else "line"), 0
        try:
            if kind == "jsonl":
                yield from self._jsonl(f, name, bar)
            elif kind == "json":
                yield from self._json(f, name)
            elif kind == "csv":
                self.csv = True
                yield from self._csv(f, name, bar)
            elif kind == "parquet":
                raise InputError(f"{name}: Parquet files are read by DuckDB only (querylang find --engine duckdb)")
            else:
                raise InputError(f"{name}: unknown input format {kind!r}")
        except (OSError, EOFError, gzip.BadGzipFile) as error:
            raise InputError(f"{name}: cannot read: {error}") from None
        except UnicodeDecodeError as error:
            raise InputError(f"{self.where}: not UTF-8 text ({error.reason})") from None
        finally:
            if bar is not None:
                bar.close()
            if closing is not None:
                f.close()
                closing.close()

    def _jsonl(self, f: IO[bytes], name: str, bar: _Progress | None) -> Iterator[dict[str, Any]]:
        read = loads
        for line, text in enumerate(f, 1):
            self.line = line
            try:
                record = read(text)
            except (ValueError, RecursionError) as error:
                if text.strip():  # not a blank line
                    self.on_bad(self.where, json_problem(error))
                continue
            if record.__class__ is not dict:
                self.on_bad(self.where, f"a record must be a JSON object, not {_json_kind(record)}")
                continue
            if bar is not None and not line & 0x3FFF:
                bar.update()
            yield record

    def _json(self, f: IO[bytes], name: str) -> Iterator[dict[str, Any]]:
        try:
            data = loads(f.read())
        except (ValueError, RecursionError) as error:
            raise InputError(f"{name}: {json_problem(error)}") from None
        if isinstance(data, dict) and isinstance(data.get("data"), list):
            data = data["data"]  # a saved Feathers page
        if not isinstance(data, list):
            raise InputError(f"{name}: expected a JSON array of records, not {_json_kind(data)}")
        for index, record in enumerate(data):
            self.line = index
            if not isinstance(record, dict):
                self.on_bad(self.where, f"a record must be a JSON object, not {_json_kind(record)}")
                continue
            yield record

    def _csv(self, f: IO[bytes], name: str, bar: _Progress | None) -> Iterator[dict[str, Any]]:
        text = io.TextIOWrapper(f, encoding="utf-8-sig", newline="")
        rows = csv.reader(text)
        try:
            header = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            raise InputError(f"{name} line 1: not CSV: {error}") from None
        self.line = 1
        width = len(header)
        count = 0
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as error:
                self.line = rows.line_num
                self.on_bad(self.where, f"not CSV: {error}")
                continue
            self.line = rows.line_num
            count += 1
            if bar is not None and not count & 0x3FFF:
                bar.update()
            if len(row) != width:
                if row:  # not a blank line
                    self.on_bad(self.where, f"{len(row)} cells where the header has {width}")
                continue
            yield dict(zip(header, row, strict=True))


def pick_records(self: RecordReader, positions: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The records at ``positions`` (0-based, counted across the files as ``self``'s iteration counts them).

    Reading stops after the last position. In JSON Lines files, the lines before a wanted
    one are counted, not parsed (blank lines are passed over as iteration passes over
    them): the caller vouches that each is a record, as DuckDB does when it has read them
    all. Other formats are read as iteration reads them.

    Raises:
        InputError: as iteration does (a wanted line that is not a record, with ``on_bad``
            raising).
    """
    want = set(positions)
    wanted = sorted(want)
    found: dict[int, dict[str, Any]] = {}
    start = 0
    for path in self.paths:
        if not wanted or start > wanted[-1]:
            break
        if path != "-" and input_format(path, self.format) == "jsonl":
            start = _pick_jsonl(self, path, wanted, start, found)
            continue
        for position, record in enumerate(self._file(path), start):
            start = position + 1
            if position in want:
                found[position] = record
            if position >= wanted[-1]:
                break
    return found


def _pick_jsonl(self: RecordReader, path: str, wanted: list[int], start: int, found: dict[int, dict[str, Any]]) -> int:
    """Add the wanted records of one JSON Lines file to ``found``; the position after the last line read.

    PERF: the lines between wanted ones are passed over in C (``filterfalse``, ``islice`` and
    a ``deque`` that keeps only the count): 0.20 s for a million 370-byte lines, against 0.22 s
    with ``bytes.strip`` (which copies each line; ``isspace`` stops at its first character),
    0.24 s for a loop and 0.46 s counting newlines in 1 MB blocks (``bytes.count``). ``where``
    names a record by its position then, not its line.
    """
    f, _, _, closing = self._open(path)
    self.name, self.unit = path, "record"
    # The lines that are not blank (the file's lines are never empty), as iteration counts records.
    records = itertools.filterfalse(bytes.isspace, f)
    index = start
    try:
        for position in wanted[bisect.bisect_left(wanted, start) :]:
            skip = position - index
            if skip:
                passed = collections.deque(enumerate(itertools.islice(records, skip), 1), maxlen=1)
                index += passed[0][0] if passed else 0
                if index < position:
                    return index  # the file ends before it
            text = next(records, None)
            if text is None:
                return index
            self.line = index
            index += 1
            try:
                record = loads(text)
            except (ValueError, RecursionError) as error:
                self.on_bad(self.where, json_problem(error))
                continue
            if record.__class__ is not dict:
                self.on_bad(self.where, f"a record must be a JSON object, not {_json_kind(record)}")
                continue
            found[position] = record
        return index
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise InputError(f"{path}: cannot read: {error}") from None
    finally:
        f.close()
        if closing is not None:
            closing.close()


def csv_header(path: str) -> list[str] | None:
    """The header of a CSV file (gzipped or not) as ``RecordReader`` reads it; None for an empty file.

    Raises:
        InputError: the file cannot be read, or its first row is not CSV or not UTF-8.
    """
    reader = RecordReader([path], input_format="csv")
    f, _, _, closing = reader._open(path)
    try:
        return next(csv.reader(io.TextIOWrapper(f, encoding="utf-8-sig", newline="")), None)
    except csv.Error as error:
        raise InputError(f"{path} line 1: not CSV: {error}") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path} line 1: not UTF-8 text ({error.reason})") from None
    except (OSError, EOFError) as error:
        raise InputError(f"{path}: cannot read: {error}") from None
    finally:
        f.close()
        if closing is not None:
            closing.close()


def _json_kind(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def _sniff(f: Any) -> str:
    head = bytes(f.peek(4096)).lstrip()
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"{") or not head:
        return "jsonl"
    return "csv"
