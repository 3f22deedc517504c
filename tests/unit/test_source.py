"""Spans, line and column maths, and caret rendering (source.py, errors.render)."""

from __future__ import annotations

import pytest

from querylang import Diagnostic, QueryError, Span
from querylang.errors import render
from querylang.source import NOWHERE, caret_lines, line_and_column

# ---- Span


def test_span_is_half_open() -> None:
    text = "a=1&b=2"
    span = Span(4, 7)
    assert text[span.start : span.end] == "b=2"


def test_zero_width_span_is_allowed() -> None:
    assert Span(3, 3).known


def test_nowhere_is_not_a_position() -> None:
    assert not NOWHERE.known
    assert Span(0, 0).known


def test_cover_holds_both_spans() -> None:
    assert Span(4, 6).cover(Span(1, 2)) == Span(1, 6)
    assert Span(1, 9).cover(Span(2, 3)) == Span(1, 9)
    assert NOWHERE.cover(Span(2, 3)) == Span(2, 3)
    assert Span(2, 3).cover(NOWHERE) == Span(2, 3)


# ---- line and column


@pytest.mark.parametrize(
    ("text", "offset", "expected"),
    [
        pytest.param("abc", 0, (1, 1), id="start"),
        pytest.param("abc", 2, (1, 3), id="same-line"),
        pytest.param("abc", 3, (1, 4), id="end-of-text"),
        pytest.param("ab\ncd", 3, (2, 1), id="start-of-second-line"),
        pytest.param("ab\ncd", 4, (2, 2), id="second-line"),
        pytest.param("ab\ncd", 2, (1, 3), id="at-newline"),
        pytest.param("a\n\nb", 3, (3, 1), id="after-empty-line"),
    ],
)
def test_line_and_column_are_one_based(text: str, offset: int, expected: tuple[int, int]) -> None:
    assert line_and_column(text, offset) == expected


# ---- carets


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        pytest.param("a[b", Span(1, 2), "  a[b\n   ^", id="one-character"),
        pytest.param("$foo=1", Span(0, 4), "  $foo=1\n  ^^^^", id="several-characters"),
        pytest.param("abc", Span(3, 3), "  abc\n     ^", id="zero-width-at-end"),
        pytest.param("abc", Span(1, 1), "  abc\n   ^", id="zero-width-inside"),
        pytest.param("", Span(0, 0), "  \n  ^", id="empty-text"),
        pytest.param("ab\ncd\nef", Span(3, 5), "  cd\n  ^^", id="second-line"),
        pytest.param("ab\ncd\nef", Span(7, 8), "  ef\n   ^", id="last-line"),
        pytest.param("ab\ncd\nef", Span(4, 8), "  cd\n   ^", id="past-line-end-is-cut"),
        pytest.param("abc", Span(1, 10), "  abc\n   ^^", id="past-text-end-is-cut"),
        pytest.param("abc", Span(5, 7), "  abc\n     ^", id="start-past-text-end"),
        pytest.param("ab\n", Span(3, 3), "  \n  ^", id="after-final-newline"),
        pytest.param("a\tb=1", Span(2, 5), "  a\tb=1\n   \t^^^", id="tab-kept-for-alignment"),
        pytest.param("é=%ZZ", Span(2, 5), "  é=%ZZ\n    ^^^", id="non-ascii-counts-one-column"),
    ],
)
def test_caret_lines(text: str, span: Span, expected: str) -> None:
    assert caret_lines(text, span) == expected


def test_caret_lines_for_nowhere_is_empty() -> None:
    assert caret_lines("abc", NOWHERE) == ""


def test_caret_lines_indent_is_configurable() -> None:
    assert caret_lines("abc", Span(1, 2), indent="> ") == "> abc\n>  ^"


# ---- render and QueryError.__str__


def test_render_puts_the_hint_in_parentheses() -> None:
    diagnostic = Diagnostic("unknown-field", "unknown field 'sendat'", Span(27, 33), "did you mean 'send_at'?")
    text = "type[$in][]=Text%20Contact&sendat[$gte]=2019-01-01T11:00:00Z"
    assert render(text, diagnostic) == (
        "unknown field 'sendat' (did you mean 'send_at'?)\n"
        "  type[$in][]=Text%20Contact&sendat[$gte]=2019-01-01T11:00:00Z\n"
        "                             ^^^^^^"
    )


def test_render_with_prefix_names_severity_and_code() -> None:
    error = Diagnostic("stray-bracket", "']' without a matching '['", Span(1, 2))
    warning = Diagnostic("raw-value", "kept raw", Span(2, 5), severity="warning")
    assert render("a]", error, prefix=True) == "error[stray-bracket]: ']' without a matching '['\n  a]\n   ^"
    assert render("a=%ZZ", warning, prefix=True) == "warning[raw-value]: kept raw\n  a=%ZZ\n    ^^^"


def test_render_without_position_is_the_headline() -> None:
    assert render("abc", Diagnostic("cannot-encode", "cannot encode int")) == "cannot encode int"


def test_render_of_multi_line_text_shows_the_line_of_the_span() -> None:
    text = "a=1\n&b]=2"
    assert render(text, Diagnostic("stray-bracket", "stray", Span(6, 7))) == "stray\n  &b]=2\n    ^"


def test_query_error_str_renders_each_diagnostic() -> None:
    error = QueryError([Diagnostic("x", "first", Span(0, 1)), Diagnostic("y", "second", Span(2, 3), "hint")], "abc")
    assert str(error) == "first\n  abc\n  ^\nsecond (hint)\n  abc\n    ^"
    assert error.diagnostic.code == "x"
    assert error.args == ("first",)


def test_with_text_shifts_spans() -> None:
    error = QueryError([Diagnostic("x", "m", Span(0, 1)), Diagnostic("y", "n")]).with_text("?a]", offset=2)
    assert [d.span for d in error.diagnostics] == [Span(2, 3), NOWHERE]
    assert error.text == "?a]"


def test_diagnostic_shifted_keeps_nowhere() -> None:
    assert Diagnostic("x", "m").shifted(5).span == NOWHERE
    assert Diagnostic("x", "m", Span(1, 2)).shifted(5).span == Span(6, 7)


def test_caret_lines_show_a_lone_surrogate_as_a_replacement_character() -> None:
    assert caret_lines("a=\udcff&b", Span(4, 5)) == "  a=\ufffd&b\n      ^"
