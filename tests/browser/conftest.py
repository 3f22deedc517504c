"""Fixtures of the browser tests: one headless Chromium (``support.browser``) and a server over ``examples/``.

The tests skip, saying why, where Selenium, ``chromium`` or ``chromedriver`` is missing (the
Debian packages ``chromium`` and ``chromium-driver``; ``.ci/run`` installs them as root), or
where waitress (the ``serve`` extra) is.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import Unavailable
from support import browser as chromium

from querylang.service import CampaignCommunications
from querylang.service.http import Server, create_server

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
    return CampaignCommunications.from_folder(EXAMPLES)


@pytest.fixture(scope="session")
def served(example_service: CampaignCommunications) -> Iterator[Server]:
    if importlib.util.find_spec("waitress") is None:
        pytest.skip("waitress (the serve extra) is not installed")
    with create_server(example_service, port=0).start() as server:
        yield server
