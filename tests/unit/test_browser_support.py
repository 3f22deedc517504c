"""tests/support/browser.py: where Chromium or its driver is missing, the browser tests skip and say why."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import Unavailable, browser


@pytest.mark.parametrize(("program", "package"), [("chromium", "chromium"), ("chromedriver", "chromium-driver")])
def test_a_missing_program_is_named_with_its_debian_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, program: str, package: str
) -> None:
    pytest.importorskip("selenium")
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == program else real(name))
    assert browser.missing() == f"{program} is not on PATH: install Debian's {package} package"
    with pytest.raises(Unavailable, match=package):
        browser.start(tmp_path)
