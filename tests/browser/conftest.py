"""Fixtures of the browser tests: one headless Chromium (``support.browser``) and a server over ``examples/``.

The tests skip, saying why, where Selenium, ``chromium`` or ``chromedriver`` is missing (the
Debian packages ``chromium`` and ``chromium-driver``; ``.ci/run`` installs them as root), or
where waitress (the ``serve`` extra) is.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from support import Unavailable
from support import browser as chromium

from querylang.service import CampaignCommunications
from querylang.service.server import create_server, demo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    try:
        driver = chromium.start(tmp_path_factory.mktemp("chromium-profile"))
    except Unavailable as why:
        pytest.skip(str(why))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def example_service() -> CampaignCommunications:
    """The examples in memory: what the page's answers are checked against."""
    return CampaignCommunications.from_folder(EXAMPLES)


@pytest.fixture(scope="session")
def served() -> Iterator[Any]:
    """``querylang serve --data examples``: the demo database, with ``url`` and user 3's ``token``."""
    if importlib.util.find_spec("waitress") is None:
        pytest.skip("waitress (the serve extra) is not installed")
    with demo(EXAMPLES) as (service, tokens, issued), create_server(service, tokens=tokens.user_for, port=0) as server:
        server.start()
        yield SimpleNamespace(url=server.url, token=issued[3])
