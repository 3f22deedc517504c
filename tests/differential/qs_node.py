"""The real qs, through node: decode many query strings in one batch (skips without node or qs).

The qs to use comes from conftest.py's ``qs_path`` fixture: ``QUERYLANG_QS_PATH``, else the one
``npm ci`` installed beside the reference server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("qs_decode.js")


def run_qs(texts: list[str], qs: Path) -> dict[str, object]:
    """What qs (as Express calls it) makes of each text, by text; skips the test without node or qs."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH")
    env = {**os.environ, "QUERYLANG_QS_PATH": str(qs)}
    inputs = sorted(set(texts))
    done = subprocess.run(
        [node, str(SCRIPT)], input=json.dumps(inputs), capture_output=True, text=True, env=env, timeout=300, check=False
    )
    if done.returncode == 3:
        pytest.skip(f"qs cannot be required: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    out: dict[str, object] = {}
    for text, result in zip(inputs, results, strict=True):
        assert "ok" in result, f"qs threw on {text!r}: {result}"
        out[text] = result["ok"]
    return out
