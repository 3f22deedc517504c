"""The ``querylang`` command: argparse -> one library call -> exit code.

Exit codes: 0 success, 1 a bad query (the diagnostic is printed with carets), 2 bad usage or
unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .build import parse
from .errors import QueryError, render
from .qs import decode, encode
from .schema import CONTACT_COMMUNICATIONS, Schema
from .serialize import serialize
from .show import outline, to_data
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
    for warning in query.warnings:
        print(render(args.query, warning, prefix=True), file=sys.stderr)
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
    if args.format == "json":
        _print_json([d.to_dict() for d in found])
    else:
        for diagnostic in found:
            print(render(args.query, diagnostic, prefix=True))
        if not found:
            print("ok")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except QueryError as error:
        if args.debug:
            raise
        for diagnostic in error.diagnostics:
            print(render(error.text, diagnostic, prefix=True), file=sys.stderr)
        return 1
    except BrokenPipeError:  # pragma: no cover - `querylang ... | head`
        return 0
    return code
