"""The grammar's terminals saved beside it (``make terminals``): current, used, and not trusted when stale."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import lark
import pytest
from hypothesis import given
from hypothesis import strategies as st

from querylang.text import params
from querylang.text.params import TERMINALS, derive_terminals, grammar_path, read_params, terminals_path

ROOT = Path(__file__).resolve().parents[2]


def _saved() -> dict[str, object]:
    saved: dict[str, object] = json.loads(terminals_path().read_text(encoding="utf-8"))
    return saved


def test_saved_terminals_are_of_this_grammar() -> None:
    saved, derived = _saved(), derive_terminals()
    assert saved["grammar_sha256"] == derived["grammar_sha256"], "grammar/querylang.lark changed: run `make terminals`"


@pytest.mark.skipif(
    lark.__version__ != json.loads(terminals_path().read_text(encoding="utf-8"))["lark"],
    reason="saved by another Lark version, which may write the same patterns otherwise (compared by behaviour below)",
)
def test_saved_terminals_are_what_lark_derives() -> None:
    assert _saved()["terminals"] == derive_terminals()["terminals"], "run `make terminals`"


# Text made of the characters the terminals treat specially.
_QUERYISH = st.text(alphabet="&=[]%5bBdD?a$x", max_size=24)


@given(_QUERYISH)
def test_saved_and_derived_terminals_match_the_same_text(text: str) -> None:
    saved = _saved()["terminals"]
    derived = derive_terminals()["terminals"]
    assert isinstance(saved, dict)
    assert isinstance(derived, dict)
    for name in TERMINALS:
        assert (re.fullmatch(saved[name], text) is None) == (re.fullmatch(derived[name], text) is None), name


def test_a_valid_query_is_read_without_importing_lark() -> None:
    code = (
        "import sys; import querylang; "
        "querylang.parse('type[$in][]=Text%20Contact&send_at[$gte]=2019-01-01&$sort[send_at]=-1&$limit=10'); "
        "print('lark' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "False"


def test_a_grammar_edited_since_falls_back_to_lark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "querylang.terminals.json"
    saved = _saved()
    terminals = saved["terminals"]
    assert isinstance(terminals, dict)
    # Saved from another grammar: patterns that would read nothing as a query.
    stale.write_text(
        json.dumps({**saved, "grammar_sha256": "0" * 64, "terminals": dict.fromkeys(terminals, "(?!)")}),
        encoding="utf-8",
    )
    monkeypatch.setattr(params, "terminals_path", lambda: stale)
    params._patterns.cache_clear()
    try:
        assert params._saved_terminals() is None
        assert [p.full_key for p in read_params("a=1&b[$gt]=2")] == ["a", "b[$gt]"]
    finally:
        params._patterns.cache_clear()


@pytest.mark.parametrize("content", ["", "not json", "[]", '{"grammar_sha256": 1}'])
def test_an_unreadable_terminals_file_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    broken = tmp_path / "querylang.terminals.json"
    broken.write_text(content, encoding="utf-8")
    monkeypatch.setattr(params, "terminals_path", lambda: broken)
    assert params._saved_terminals() is None


def test_the_terminals_ship_beside_the_grammar() -> None:
    assert terminals_path().parent == grammar_path().parent
    assert terminals_path().name == "querylang.terminals.json"
