"""A real Chromium (Debian's chromium and chromium-driver) driven by Selenium, asking only loopback.

``start(profile)`` gives a headless Chromium with a fresh profile in ``profile``; it raises
``Unavailable`` where Selenium, ``chromium`` or ``chromedriver`` is missing. ``SE_OFFLINE=true``
keeps Selenium Manager from downloading a browser or a driver: only the machine's own are used,
and the background networking that a closed network refuses is turned off. The browser tests
and ``make screenshot`` (``docs/make_screenshot.py``) both use it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any

from . import Unavailable

FLAGS = (
    "--headless=new",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def missing() -> str | None:
    """Why the browser cannot run here, or None."""
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (the test extra)"
    for program, package in (("chromium", "chromium"), ("chromedriver", "chromium-driver")):
        if shutil.which(program) is None:
            return f"{program} is not on PATH: install Debian's {package} package"
    return None


def start(profile: Path, *, width: int = 1280, height: int = 1000) -> Any:
    """A headless Chromium driven through the machine's chromedriver; nothing is downloaded.

    Raises:
        Unavailable: Selenium, chromium or chromedriver is missing, or the browser does not start.
    """
    why = missing()
    if why is not None:
        raise Unavailable(why)
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in (*FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    try:
        return webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")))
    except WebDriverException as error:
        raise Unavailable(f"Chromium did not start: {error.msg}") from None
