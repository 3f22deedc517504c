"""The README's examples run as written: every Python block, and every querylang command."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
TEXT = README.read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.DOTALL)
SHELL_BLOCKS = [
    [line.split("  #")[0].strip() for line in block.splitlines() if line.strip().startswith("querylang ")]
    for block in re.findall(r"```sh\n(.*?)```", TEXT, re.DOTALL)
]
SHELL_COMMANDS = [command for block in SHELL_BLOCKS for command in block]


def test_readme_has_examples() -> None:
    assert len(PYTHON_BLOCKS) >= 3
    assert len(SHELL_COMMANDS) >= 5
    assert "make demo" in TEXT and "make test" in TEXT


@pytest.mark.parametrize("code", PYTHON_BLOCKS, ids=[f"python-{i}" for i in range(len(PYTHON_BLOCKS))])
def test_python_block_runs(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(README.parent)
    exec(compile(code, str(README), "exec"), {"__name__": "readme"})


@pytest.mark.parametrize("block", [b for b in SHELL_BLOCKS if b], ids=[b[0] for b in SHELL_BLOCKS if b])
def test_shell_commands_run(block: list[str], tmp_path: Path) -> None:
    # One block's commands in order, in a temp folder that sees the repository's examples/, so
    # that a command writing a file (a database) writes it there.
    for name in ("examples", "grammar"):
        (tmp_path / name).symlink_to(README.parent / name)
    for command in block:
        argv = shlex.split(command)
        result = subprocess.run(
            [sys.executable, "-m", "querylang", *argv[1:]],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, (command, result.stderr)
        assert "Traceback" not in result.stderr


def _package_map() -> dict[str, str]:
    block = re.search(r"### A map of the package\n.*?```text\n(.*?)```", TEXT, re.DOTALL)
    assert block is not None, "the README's Development section has a map of the package"
    entries = {}
    for line in block.group(1).splitlines():
        path, _, doc = line.partition(" ")
        entries[path] = doc.strip()
    return entries


def test_the_package_map_names_every_module_with_its_docstring() -> None:
    import ast

    root = README.parent
    modules = {str(p.relative_to(root)) for p in (root / "querylang").rglob("*.py")}
    entries = _package_map()
    assert set(entries) == modules, f"missing from the map: {modules - set(entries)}; gone: {set(entries) - modules}"
    for path, doc in entries.items():
        first = (ast.get_docstring(ast.parse((root / path).read_text(encoding="utf-8"))) or "").splitlines()[0]
        assert doc == first, f"{path}: the map says {doc!r}, the module {first!r}"


def test_the_curl_examples_of_the_check_routes_answer_as_shown() -> None:
    # The README's console lines `$ curl ... 'http://127.0.0.1:8030/_querylang/...'` and the
    # answer printed under each, asked of a real server (on a free port) over examples/.
    import shutil
    import urllib.parse

    section = TEXT[TEXT.index("## The playground") : TEXT.index("## What a query means")]
    shown = re.findall(r"^\$ (curl .*/_querylang/.*)\n(.*)$", section, re.MULTILINE)
    assert len(shown) >= 2
    if shutil.which("curl") is None:
        pytest.skip("curl is not on PATH")
    pytest.importorskip("waitress", reason="waitress (the serve extra) is not installed")
    from support.tokens import stand_in

    from querylang.service import CampaignCommunications
    from querylang.service.server import create_server

    service = CampaignCommunications.from_folder(README.parent / "examples")
    with create_server(service, tokens=stand_in, port=0).start() as server:
        port = urllib.parse.urlsplit(server.url).port
        for command, answer in shown:
            argv = shlex.split(command.replace("127.0.0.1:8030", f"127.0.0.1:{port}"))
            result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
            assert result.returncode == 0, (command, result.stderr)
            assert result.stdout == answer, command
