"""The playground in a real Chromium: what a person typing a query sees, checked against the library.

Each test opens ``/playground`` on a server over ``examples/``, types (or pastes) a query, waits
until the page shows what it asked the server for that exact state (``body[data-settled]``), then
compares the page with what querylang itself says of the same query.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from support.tokens import stand_in

from querylang import check, parse, serialize, validate
from querylang.service import CampaignCommunications
from querylang.service.http import MAX_QUERY_STRING
from querylang.service.server import create_server
from querylang.sql import to_sql
from querylang.text.show import outline

pytest.importorskip("selenium", reason="selenium is not installed (the test extra)")

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

CONTACT = 76
VALID = "type[$in][]=Text%20Contact&send_at[$gte]=2019-01-01&$sort[send_at]=-1&$limit=5&$load=completing_user"

_SETTLED = """
const [box, contact, dialect, token] = ["query", "contact", "dialect", "token"].map(
  (id) => document.getElementById(id)
);
const now = JSON.stringify([box.value, contact.value.trim(), dialect.value, token.value.trim()]);
return document.body.dataset.settled === now;
"""
_PASTE = """
const [id, value] = arguments;
const element = document.getElementById(id);
element.value = value;
element.dispatchEvent(new Event("input", {bubbles: true}));
"""


def _settle(browser: Any) -> None:
    WebDriverWait(browser, 15).until(lambda driver: driver.execute_script(_SETTLED))


def _open(browser: Any, server: Any, search: str = "", *, token: str | None = None) -> None:
    """Open the page, with the token of user 3 (``server.token``) unless another is given."""
    browser.get(f"{server.url}/playground{search}")
    _settle(browser)
    _paste(browser, "token", getattr(server, "token", "") if token is None else token)


def _type(browser: Any, text: str) -> None:
    box = browser.find_element(By.ID, "query")
    box.clear()
    box.send_keys(text)
    _settle(browser)


def _paste(browser: Any, element_id: str, text: str) -> None:
    """Set a control's value at once (text chromedriver cannot type, such as emoji, or a long text)."""
    browser.execute_script(_PASTE, element_id, text)
    _settle(browser)


def _text(browser: Any, element_id: str) -> str:
    return str(browser.find_element(By.ID, element_id).get_attribute("textContent"))


def _underlined(browser: Any) -> dict[int, str]:
    """Diagnostic index -> the characters the backdrop marks for it."""
    found: dict[int, str] = {}
    for mark in browser.find_elements(By.CSS_SELECTOR, "#backdrop mark"):
        for index in str(mark.get_attribute("data-diagnostics")).split():
            found[int(index)] = found.get(int(index), "") + str(mark.get_attribute("textContent"))
    return found


def _listed(browser: Any) -> list[dict[str, Any]]:
    items = browser.find_elements(By.CSS_SELECTOR, "ul.diagnostics li")
    return [
        {
            "severity": item.get_attribute("class"),
            "code": item.get_attribute("data-code"),
            "start": int(item.get_attribute("data-start")),
            "end": int(item.get_attribute("data-end")),
            "text": item.text,
        }
        for item in items
    ]


def test_a_valid_query_shows_its_results_total_canonical_form_and_ast(
    browser: Any, served: Any, example_service: CampaignCommunications
) -> None:
    _open(browser, served, f"?contact={CONTACT}")
    _type(browser, VALID)
    page = example_service.find(CONTACT, VALID)
    assert _text(browser, "query-status") == "The query is valid."
    assert _text(browser, "total").startswith(f"total {page['total']}, showing 1–{len(page['data'])} (limit 5, skip 0)")
    rows = browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")
    assert [int(row.get_attribute("data-id")) for row in rows] == [record["id"] for record in page["data"]]
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#results thead th")]
    assert "completing_user" in headers  # the $loaded users are there
    assert _text(browser, "canonical") == serialize(parse(VALID))
    assert _text(browser, "outline") == outline(validate(VALID))
    assert _text(browser, "url") == f"https://api-v2.liondesk.com/contacts/{CONTACT}/campaign-communications?" + (
        serialize(parse(VALID))
    )
    assert _listed(browser) == []
    assert not browser.find_elements(By.CSS_SELECTOR, "#backdrop mark")


def test_an_invalid_query_underlines_each_diagnostic_at_its_characters(browser: Any, served: Any) -> None:
    # A raw space and a non-ASCII letter come before the problems: the browser sends them
    # percent-encoded, and the underlines must still sit under the characters typed.
    text = "campaign_name=é x&sendat[$gte]=2019&$limit=abc&template_name=null"
    _open(browser, served, f"?contact={CONTACT}")
    _type(browser, text)
    expected = check(text)
    listed = _listed(browser)
    assert [(d["code"], d["severity"]) for d in listed] == [(d.code, d.severity) for d in expected]
    assert [(d["start"], d["end"]) for d in listed] == [(d.span.start, d.span.end) for d in expected]
    underlined = _underlined(browser)
    assert underlined == {i: text[d.span.start : d.span.end] for i, d in enumerate(expected)}
    assert set(underlined.values()) >= {"sendat", "abc", "null"}
    classes = {str(m.get_attribute("textContent")): m.get_attribute("class") for m in browser.find_elements(
        By.CSS_SELECTOR, "#backdrop mark"
    )}
    assert classes["sendat"] == "error" and classes["null"] == "warning"
    for item, diagnostic in zip(listed, expected, strict=True):
        assert diagnostic.message in item["text"]
        assert diagnostic.hint is None or diagnostic.hint in item["text"]
    assert "400 BadRequest" in _text(browser, "total")  # the endpoint refused it too: said, not blank
    assert _text(browser, "sql").startswith("No SQL: 400 BadRequest")
    assert _text(browser, "outline") == "The query has errors: there is no typed AST."


def test_underlines_hold_after_characters_outside_the_basic_plane(browser: Any, served: Any) -> None:
    text = "campaign_name=😀🎉&sendat=1"  # two UTF-16 units per emoji, four UTF-8 bytes
    _open(browser, served)
    _paste(browser, "query", text)
    (diagnostic,) = check(text)
    assert _underlined(browser) == {0: "sendat"} == {0: text[diagnostic.span.start : diagnostic.span.end]}


def test_a_diagnostics_button_selects_its_characters_from_the_keyboard(browser: Any, served: Any) -> None:
    text = "campaign_name=é&sendat=1"
    _open(browser, served)
    _type(browser, text)
    button = browser.find_element(By.CSS_SELECTOR, "ul.diagnostics li.error button")
    button.send_keys(Keys.ENTER)
    start, end = browser.execute_script(
        "const box = document.getElementById('query'); return [box.selectionStart, box.selectionEnd];"
    )
    assert text[start:end] == "sendat"
    assert browser.switch_to.active_element.get_attribute("id") == "query"


@pytest.mark.parametrize("dialect", ["sqlite", "spark", "duckdb"])
def test_switching_the_dialect_shows_that_dialects_sql(browser: Any, served: Any, dialect: str) -> None:
    _open(browser, served)
    _type(browser, VALID)
    Select(browser.find_element(By.ID, "dialect")).select_by_value(dialect)
    _settle(browser)
    data = json.loads(json.dumps(to_sql(VALID, dialect=dialect).to_data()))
    assert _text(browser, "sql") == data["page"]["sql"] + ";"
    assert json.loads(_text(browser, "params")) == data["page"]["params"]
    assert _text(browser, "count-sql") == data["total"]["sql"] + ";"
    assert json.loads(_text(browser, "count-params")) == data["total"]["params"]


def test_the_pages_url_reproduces_its_state_in_a_new_window(browser: Any, served: Any) -> None:
    _open(browser, served)
    _type(browser, "campaign_name=é x&" + VALID)
    browser.find_element(By.ID, "contact").send_keys(str(CONTACT))
    _settle(browser)
    Select(browser.find_element(By.ID, "dialect")).select_by_value("sqlite")
    _settle(browser)
    link = browser.current_url
    assert set(parse_qs(urlsplit(link).query)) == {"q", "contact", "dialect"}  # never the token
    shown = {name: _text(browser, name) for name in ("total", "canonical", "url", "sql", "outline")}
    first = browser.current_window_handle
    browser.switch_to.new_window("window")
    try:
        browser.get(link)
        _settle(browser)
        assert browser.find_element(By.ID, "token").get_attribute("value") == ""  # the token stays in its tab
        assert "401 NotAuthenticated" in _text(browser, "total")
        _paste(browser, "token", served.token)
        assert browser.find_element(By.ID, "query").get_attribute("value") == "campaign_name=é x&" + VALID
        assert browser.find_element(By.ID, "contact").get_attribute("value") == str(CONTACT)
        assert Select(browser.find_element(By.ID, "dialect")).first_selected_option.get_attribute("value") == "sqlite"
        assert {name: _text(browser, name) for name in shown} == shown
    finally:
        browser.close()
        browser.switch_to.window(first)


def test_errors_of_the_endpoint_show_as_messages(browser: Any, served: Any) -> None:
    _open(browser, served, "?contact=999999")
    _type(browser, "$limit=1")
    assert "403 Forbidden" in _text(browser, "total")  # as for a contact user 3 may not read
    _paste(browser, "token", "not-a-token")
    assert "401 NotAuthenticated" in _text(browser, "total")
    _paste(browser, "contact", "")
    assert _text(browser, "total") == "No results: enter a contact id (digits) to see its records"


def test_a_server_that_stopped_answering_is_said_on_the_page(
    browser: Any, example_service: CampaignCommunications
) -> None:
    with create_server(example_service, tokens=stand_in, port=0).start() as server:
        _open(browser, server, f"?contact={CONTACT}", token="token-3")
    _type(browser, "$limit=1")  # the server is gone
    assert _text(browser, "query-status").startswith("The query could not be checked: the server did not answer")
    for element_id in ("canonical", "sql", "total"):
        assert "the server did not answer" in _text(browser, element_id), element_id


def test_copy_link_copies_the_pages_url_or_shows_it(browser: Any, served: Any) -> None:
    _open(browser, served, f"?contact={CONTACT}")
    _type(browser, "$limit=1")
    browser.find_element(By.ID, "copy").click()
    WebDriverWait(browser, 5).until(lambda driver: _text(driver, "copy-status"))
    assert _text(browser, "copy-status") in ("Link copied.", f"Copy this link: {browser.current_url}")


def test_a_query_over_the_servers_limit_is_refused_as_the_server_refuses_it(browser: Any, served: Any) -> None:
    _open(browser, served, f"?contact={CONTACT}")
    _paste(browser, "query", "campaign_name=" + "x" * MAX_QUERY_STRING)
    status = _text(browser, "query-status")
    assert status.startswith("The server refused the query: 431 RequestHeaderFieldsTooLarge")
    assert str(MAX_QUERY_STRING) in status
    for element_id in ("canonical", "url", "outline", "sql", "total"):
        assert "431" in _text(browser, element_id), element_id


def test_every_control_is_labelled(browser: Any, served: Any) -> None:
    _open(browser, served)
    _type(browser, "sendat=1")
    unlabelled = browser.execute_script(
        """
        return Array.from(document.querySelectorAll("input, select, textarea, button"))
          .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !el.textContent.trim())
          .map((el) => el.outerHTML);
        """
    )
    assert unlabelled == []


def test_the_controls_are_reached_with_the_tab_key_in_order(browser: Any, served: Any) -> None:
    _open(browser, served)
    browser.find_element(By.ID, "query").click()
    reached = []
    for _ in range(4):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        reached.append(browser.switch_to.active_element.get_attribute("id"))
    assert reached == ["contact", "token", "dialect", "copy"]


@pytest.mark.parametrize("width", [640, 320])
def test_the_page_reflows_without_sideways_scrolling_at_200_and_400_percent_zoom(
    browser: Any, served: Any, width: int
) -> None:
    # 1280 CSS pixels at 200% zoom are 640 wide, at 400% 320 (WCAG's reflow criterion).
    size = browser.get_window_size()
    try:
        browser.set_window_size(width, 800)
        _open(browser, served, f"?contact={CONTACT}")
        _type(browser, VALID)
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"
        )
        assert overflow <= 0
    finally:
        browser.set_window_size(size["width"], size["height"])


def test_the_page_asks_no_other_host(browser: Any, served: Any) -> None:
    _open(browser, served, f"?contact={CONTACT}")
    _type(browser, VALID)
    asked = browser.execute_script("return performance.getEntriesByType('resource').map((e) => e.name);")
    assert asked, "the page asked nothing"
    assert all(url.startswith(served.url + "/") for url in asked), asked
