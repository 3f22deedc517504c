"""The ``querylang`` command: argparse -> one library call -> exit code.

Exit codes: 0 success, 1 a bad query (the diagnostics are printed with carets, at most
``MAX_SHOWN_DIAGNOSTICS``, then how many more), 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Sequence
from typing import cast

from . import __version__
from .errors import QueryError, RecordError, render_shown
from .schema import CONTACT_COMMUNICATIONS, Schema, SchemaError
from .text.qs import decode, encode
from .text.read import parse
from .text.show import outline, to_data
from .text.write import serialize
from .url import from_url, to_url
from .validate import check

__all__ = ["build_parser", "main"]


def _print_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _cmd_parse(args: argparse.Namespace) -> int:
    query = parse(args.query)
    if args.json:
        _print_json(to_data(query))
    else:
        print(outline(query))
    if query.warnings:
        print(render_shown(args.query, query.warnings, prefix=True), file=sys.stderr)
    return 0


def _cmd_format(args: argparse.Namespace) -> int:
    print(serialize(parse(args.query)))
    return 0


def _cmd_decode(args: argparse.Namespace) -> int:
    _print_json(decode(args.query))
    return 0


def _cmd_encode(args: argparse.Namespace) -> int:
    source = sys.stdin.read() if args.json == "-" else args.json
    try:
        data = json.loads(source)
    except json.JSONDecodeError as error:
        print(f"querylang: not JSON: {error}", file=sys.stderr)
        return 2
    print(encode(data))
    return 0


def _schema(args: argparse.Namespace) -> Schema:
    return Schema.load(args.schema) if getattr(args, "schema", None) else CONTACT_COMMUNICATIONS


def _cmd_check(args: argparse.Namespace) -> int:
    found = check(args.query, _schema(args))
    if args.format == "json":  # the tools' interface: every diagnostic, as check() returns them
        _print_json([d.to_dict() for d in found])
    else:
        print(render_shown(args.query, found, prefix=True) if found else "ok")
    return 1 if any(d.severity == "error" for d in found) else 0


def _cmd_schema(args: argparse.Namespace) -> int:
    schema = _schema(args)
    _print_json(schema.json_schema() if args.json_schema else schema.to_dict())
    return 0


def _cmd_url(args: argparse.Namespace) -> int:
    if args.parse:
        where, query = from_url(args.text)
        data = {"contact_id": where.contact_id, "id": where.id, "query": serialize(query)}
        data["url"] = to_url(query, contact_id=where.contact_id, id=where.id, base_url=where.base_url)
        _print_json(data)
        return 0
    if args.contact_id is None:
        print("querylang url: --contact-id is required (or --parse URL)", file=sys.stderr)
        return 2
    print(to_url(parse(args.text), contact_id=args.contact_id, id=args.id, base_url=args.base_url))
    return 0


def _print_urls(url: str) -> None:
    print(url, flush=True)  # the first line is the URL alone: scripts read it
    print(f"playground: {url}/playground", flush=True)


def _cmd_serve(args: argparse.Namespace) -> int:
    # Imported here: the server (and waitress, the optional `serve` extra) only for this command.
    import logging

    from .service import CampaignCommunications
    from .service.auth import Tokens
    from .service.database import Database
    from .service.http import ACCESS_LOG
    from .service.server import ServeUnavailable, demo, serve

    if (args.db is None) == (args.data is None):
        print("querylang serve: give --db URL (a database) or --data DIR (a demo over a folder)", file=sys.stderr)
        return 2
    handler = logging.StreamHandler(sys.stderr)
    ACCESS_LOG.addHandler(handler)
    ACCESS_LOG.setLevel(logging.INFO)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" under any load
    options = {"host": args.host, "port": args.port, "threads": args.threads, "on_ready": _print_urls}
    try:
        if args.db is not None:
            db = Database(args.db)  # one set of connections for the service and its tokens
            service = CampaignCommunications.from_database(db)
            serve(service, tokens=Tokens(db).user_for, **options)
            return 0
        with demo(args.data) as (service, tokens, issued):

            def ready(url: str) -> None:
                _print_urls(url)
                print("demo: a throwaway SQLite database, one token per user (gone when this stops):", flush=True)
                for user, token in issued.items():
                    print(f"  user {user}: {token}", flush=True)

            serve(service, tokens=tokens.user_for, **(options | {"on_ready": ready}))
    except (ValueError, ServeUnavailable, OSError, QueryError) as error:  # bad data, database, host or port
        print(f"querylang serve: {error}", file=sys.stderr)
        return 2
    finally:
        ACCESS_LOG.removeHandler(handler)
    return 0


def _cmd_db(args: argparse.Namespace) -> int:
    from .service.database import Database, init, load

    if args.action == "load" and args.data is None:
        print("querylang db load: give --data DIR (the layout of examples/)", file=sys.stderr)
        return 2
    db = Database(args.db)
    try:
        if args.action == "init":
            print("made the tables" if init(db) else "the tables are there already")
        else:
            counts = load(db, args.data)
            print(", ".join(f"{n} {what}" for what, n in counts.items()) + f" loaded into {db!r}")
    except (ValueError, QueryError) as error:  # DataError, DatabaseError, EngineError
        print(f"querylang db {args.action}: {error}", file=sys.stderr)
        return 2
    finally:
        db.close()
    return 0


def _cmd_token(args: argparse.Namespace) -> int:
    from .service.auth import Tokens
    from .service.database import Database

    db = Database(args.db)
    try:
        tokens = Tokens(db)
        if args.action == "create":
            if args.user is None:
                print("querylang token create: give --user ID", file=sys.stderr)
                return 2
            token_id, token = tokens.create(args.user)
            print(f"token {token_id} for user {args.user} (shown once; keep it secret):", file=sys.stderr)
            print(token)
        elif args.action == "list":
            for info in tokens.list():
                state = f"revoked {info.revoked_at}" if info.revoked_at else "live"
                print(f"{info.id}  user {info.user_id}  created {info.created_at}  {state}")
        elif args.id is None or not tokens.revoke(args.id):
            print(f"querylang token revoke: no live token {args.id!r} (see 'querylang token list')", file=sys.stderr)
            return 1
        else:
            print(f"revoked {args.id}")
    except (ValueError, QueryError) as error:
        print(f"querylang token {args.action}: {error}", file=sys.stderr)
        return 2
    finally:
        db.close()
    return 0


def _cmd_sql(args: argparse.Namespace) -> int:
    # Imported here: sqlglot (the optional `sql` extra) only for this command.
    from .sql import create_table, to_sql

    if args.ddl:
        print(";\n".join(create_table(_schema(args), args.dialect, table=args.table)) + ";")
        return 0
    if args.query is None:
        print("querylang sql: give a QUERY (or --ddl)", file=sys.stderr)
        return 2
    stmt = to_sql(args.query, dialect=args.dialect, schema=_schema(args), table=args.table, paginate=not args.all)
    data = stmt.to_data()
    if args.json:
        _print_json(data)
        return 0
    for name in ("page", "total"):
        part = cast(dict[str, object], data[name])
        print(f"-- {name}")
        print(f"{part['sql']};" if part["sql"] else "-- none: $limit=0 reads no rows")
        print(f"-- parameters: {json.dumps(part['params'], ensure_ascii=False)}")
    return 0


def _find_failed(error: QueryError) -> int:
    """Exit 2 for what the input or the users lack; a bad query goes on up (exit 1, with its diagnostics)."""
    if error.diagnostic.code == "missing-users":
        print("querylang find: the query has $load: give the users to load with --users FILE", file=sys.stderr)
        return 2
    if not isinstance(error, RecordError):
        raise error
    print(f"querylang find: {error.diagnostic.headline}", file=sys.stderr)
    return 2


def _cmd_find(args: argparse.Namespace) -> int:
    schema = _schema(args)
    found = check(args.query, schema)
    if not any(d.severity == "error" for d in found):
        # A query that runs may still deserve a word (undefined, %ZZ, ...).
        warnings = [w for w in found if not (args.all and w.code == "limit-lowered")]
        if warnings:
            print(render_shown(args.query, warnings, prefix=True), file=sys.stderr)
    if args.engine == "duckdb":
        code = _find_duckdb(args, schema)
        if code is not None:
            return code
    return _find_memory(args, schema)


def _find_memory(args: argparse.Namespace, schema: Schema) -> int:
    # Imported here: orjson and the record readers only for this command.
    from .memory.find import find
    from .output import write_result
    from .records import InputError, RecordReader

    skipped = 0

    def bad(where: str, message: str) -> None:
        nonlocal skipped
        if args.on_error == "stop":
            raise InputError(f"{where}: {message}")
        skipped += 1
        if skipped <= 20:
            print(f"querylang find: {where}: {message} (skipped)", file=sys.stderr)

    progress = sys.stderr.isatty() and not args.no_progress
    reader = RecordReader(args.files, input_format=args.input_format, on_bad=bad, progress=progress)
    try:
        users = list(RecordReader([args.users])) if args.users else None
        result = find(
            reader,
            args.query,
            schema=schema,
            paginate=not args.all,
            users=users,
            on_error=lambda _, error: bad(reader.where, error.diagnostic.headline),
        )
    except QueryError as error:
        return _find_failed(error)
    except (InputError, ValueError) as error:
        print(f"querylang find: {error}", file=sys.stderr)
        return 2
    if skipped:
        print(f"querylang find: skipped {skipped} bad record(s); total counts the others", file=sys.stderr)
    # CSV values are text: the output shows them with the schema's types.
    write_result(result, args.format, sys.stdout.buffer, schema=schema if reader.csv else None)
    sys.stdout.buffer.flush()
    return 0


def _find_duckdb(args: argparse.Namespace, schema: Schema) -> int | None:
    """``find --engine duckdb``: the exit code, or None where DuckDB cannot promise find's answer."""
    # Imported here: DuckDB and sqlglot only for this engine.
    from .memory.find import find
    from .output import write_result
    from .page import Page
    from .records import InputError, RecordReader
    from .sql.dialects import MissingExtra
    from .sql.files import NotExact, window
    from .sql.run import EngineError

    if not args.files or "-" in args.files:
        print(
            "querylang find: --engine duckdb reads files, not stdin (-): give FILE..., or use --engine memory",
            file=sys.stderr,
        )
        return 2
    try:
        users = list(RecordReader([args.users])) if args.users else None
        answer = window(args.files, args.query, schema=schema, input_format=args.input_format, paginate=not args.all)
        # $select and $load as find applies them, on the page's records.
        shape = dataclasses.replace(answer.query, where=None, sort=(), limit=None, skip=None)
        data = find(answer.rows, shape, schema=schema, paginate=False, users=users)
    except NotExact as error:
        if any(_is_parquet(path, args.input_format) for path in args.files):
            print(f"querylang find: {error.diagnostic.headline}", file=sys.stderr)  # nothing else reads Parquet
            return 2
        print(f"querylang find: --engine duckdb: {error.diagnostic.headline}; answering in memory", file=sys.stderr)
        return None
    except (MissingExtra, EngineError) as error:
        hint = f" ({error.diagnostic.hint})" if error.diagnostic.hint else ""
        print(f"querylang find: --engine duckdb: {error.diagnostic.headline}{hint}", file=sys.stderr)
        return 2
    except QueryError as error:
        return _find_failed(error)
    except (InputError, ValueError) as error:
        print(f"querylang find: {error}", file=sys.stderr)
        return 2
    result = data if args.all else Page(total=answer.total, limit=answer.limit or 0, skip=answer.skip, data=list(data))
    write_result(result, args.format, sys.stdout.buffer, schema=schema if answer.csv else None)
    sys.stdout.buffer.flush()
    return 0


def _is_parquet(path: str, given: str | None) -> bool:
    from .records import InputError, input_format

    try:
        return input_format(path, given) == "parquet"
    except InputError:
        return False


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``querylang`` command."""
    parser = argparse.ArgumentParser(
        prog="querylang",
        description="Read, check and write Feathers-style query strings (the LionDesk API v2).",
    )
    parser.add_argument("--version", action="version", version=f"querylang {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str, run: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(run=run)
        return sub

    sub = command("parse", "print the query's AST", _cmd_parse)
    sub.add_argument("query", help="the query string, e.g. 'is_active=true&$limit=2'")
    sub.add_argument("--json", action="store_true", help="print the AST as JSON")
    sub = command("format", "print the query's canonical form", _cmd_format)
    sub.add_argument("query")
    sub = command("check", "check a query against the schema; print every error and warning", _cmd_check)
    sub.add_argument("query")
    sub.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or JSON for tools")
    sub.add_argument("--schema", metavar="FILE", help="a schema JSON file (default: contact communications)")
    sub = command("schema", "print the schema, or the JSON Schema of its queries", _cmd_schema)
    sub.add_argument("--json-schema", action="store_true", help="print the JSON Schema of the queries")
    sub.add_argument("--schema", metavar="FILE", help="a schema JSON file (default: contact communications)")
    sub = command("url", "print the LionDesk URL of a query, or read a URL back (--parse)", _cmd_url)
    sub.add_argument("text", metavar="QUERY_OR_URL", help="a query, or with --parse a URL")
    sub.add_argument("--contact-id", type=int, help="the contact in the path")
    sub.add_argument("--id", type=int, help="one communication's id")
    sub.add_argument("--base-url", default="https://api-v2.liondesk.com", help="the API origin")
    sub.add_argument("--parse", action="store_true", help="read a URL: print its contact, id and query as JSON")
    sub = command("decode", "print what qs (Express) decodes the query into, as JSON", _cmd_decode)
    sub.add_argument("query")
    sub = command("encode", "write a JSON object as a query string", _cmd_encode)
    sub.add_argument("json", help="a JSON object, or - to read it from stdin")
    sub = command("find", "answer a query over exported records (JSON, JSON Lines or CSV)", _cmd_find)
    sub.add_argument("query", help="the query string, e.g. 'is_active=true&$sort[send_at]=-1'")
    sub.add_argument(
        "files", nargs="*", metavar="FILE", help="record files (.json, .jsonl, .csv, .parquet, .gz); - for stdin"
    )
    sub.add_argument(
        "--input-format", choices=("json", "jsonl", "csv", "parquet"), help="the files' format (default: by name)"
    )
    sub.add_argument(
        "--engine",
        choices=("memory", "duckdb"),
        default="memory",
        help="memory (default): read every record in Python; duckdb: DuckDB filters, counts and sorts the files "
        "(the duckdb extra), the same answer; it also reads Parquet, not stdin",
    )
    sub.add_argument(
        "--format",
        choices=("json", "jsonl", "csv", "table"),
        default="json",
        help="json: the page {total, limit, skip, data} (default); jsonl, csv: the rows; table: aligned columns",
    )
    sub.add_argument("--all", action="store_true", help="every match: no page, no default or maximum $limit")
    sub.add_argument("--users", metavar="FILE", help="users for $load (a JSON array of {id, first_name, ...})")
    sub.add_argument(
        "--on-error",
        choices=("stop", "skip"),
        default="stop",
        help="a record that cannot be read or whose value does not fit its field: stop (default) ends the run "
        "with exit 2; skip reports it on stderr and leaves it out of the results and the total",
    )
    sub.add_argument("--no-progress", action="store_true", help="no progress bar (shown on a terminal for large files)")
    sub.add_argument("--schema", metavar="FILE", help="a schema JSON file (default: contact communications)")
    sub = command("sql", "print the query as SQL with its parameters, or the tables' DDL (--ddl)", _cmd_sql)
    sub.add_argument("query", nargs="?", help="the query string, e.g. 'id[$in][]=1&$sort[send_at]=1'")
    sub.add_argument(
        "--dialect", choices=("postgres", "sqlite", "duckdb", "spark"), default="postgres", help="the SQL engine"
    )
    sub.add_argument("--json", action="store_true", help="print {dialect, page, total, limit, skip} as JSON")
    sub.add_argument("--ddl", action="store_true", help="print CREATE TABLE and CREATE INDEX for the schema")
    sub.add_argument("--table", default="campaign_communications", help="the records' table")
    sub.add_argument("--all", action="store_true", help="every match: no page, no default or maximum $limit")
    sub.add_argument("--schema", metavar="FILE", help="a schema JSON file (default: contact communications)")
    sub = command("serve", "serve the campaign-communications endpoint over HTTP from a database", _cmd_serve)
    sub.add_argument("--db", metavar="URL", help="a SQLite file (querylang db load) or a postgresql:// URL")
    sub.add_argument("--data", metavar="DIR", help="demo: a data folder in a throwaway database, a token per user")
    sub.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    sub.add_argument("--port", type=int, default=3030, help="the port (default: 3030); 0 picks a free one")
    sub.add_argument("--threads", type=int, default=8, help="worker threads (default: 8)")
    sub = command("db", "make a database and load a data folder into it", _cmd_db)
    sub.add_argument("action", choices=("init", "load"), help="init: the tables; load: a folder, in one transaction")
    sub.add_argument("--db", required=True, metavar="URL", help="a SQLite file's path, or a postgresql:// URL")
    sub.add_argument("--data", metavar="DIR", help="for load: campaign-communications.jsonl, contacts.json, ...")
    sub = command("token", "create, list and revoke the access tokens of a database", _cmd_token)
    sub.add_argument("action", choices=("create", "list", "revoke"))
    sub.add_argument("id", nargs="?", help="for revoke: the token's id (from 'token list')")
    sub.add_argument("--db", required=True, metavar="URL", help="a SQLite file's path, or a postgresql:// URL")
    sub.add_argument("--user", type=int, metavar="ID", help="for create: the user the token stands for")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except SchemaError as error:
        if args.debug:
            raise
        print(f"querylang: error[{error.diagnostic.code}]: {error.diagnostic.headline}", file=sys.stderr)
        return 2  # an unreadable schema file is unreadable input, not a bad query
    except QueryError as error:
        if args.debug:
            raise
        print(render_shown(error.text, error.diagnostics, prefix=True), file=sys.stderr)
        return 1
    except BrokenPipeError:  # pragma: no cover - `querylang ... | head`
        return 0
    return code
