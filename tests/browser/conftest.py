"""A real Chromium (Debian's chromium and chromium-driver) driven by Selenium, and a server to point it at.

The tests skip, saying why, where Selenium, ``chromium`` or ``chromedriver`` is missing.
``SE_OFFLINE=true`` keeps Selenium Manager from downloading a browser or a driver: only the
machine's own are used. Chromium runs headless, with a fresh profile in a temp folder, and with
the background networking that a closed network refuses turned off.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from querylang.service import CampaignCommunications
from querylang.service.http import Server, create_server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _missing() -> str | None:
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (the test extra)"
    if importlib.util.find_spec("waitress") is None:
        return "waitress (the serve extra) is not installed"
    for program, package in (("chromium", "chromium"), ("chromedriver", "chromium-driver")):
        if shutil.which(program) is None:
            return f"{program} is not on PATH: install Debian's {package} package"
    return None


def browser_options(profile: Path) -> Any:
    """Options for a headless Chromium that asks no host but the one it is pointed at."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    return options


def start_browser(profile: Path) -> Any:
    """A Chromium driven through Debian's chromedriver; nothing is downloaded."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"
    service = Service(executable_path=shutil.which("chromedriver"))
    return webdriver.Chrome(options=browser_options(profile), service=service)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    why = _missing()
    if why is not None:
        pytest.skip(why)
    driver = start_browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def example_service() -> CampaignCommunications:
    return CampaignCommunications.from_folder(EXAMPLES)


@pytest.fixture(scope="session")
def served(example_service: CampaignCommunications) -> Iterator[Server]:
    if _missing() is not None:
        pytest.skip(_missing() or "")
    with create_server(example_service, port=0).start() as server:
        yield server
