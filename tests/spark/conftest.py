"""A local Spark session for ``make test-spark``; ``make test`` does not collect this folder.

Spark needs pyspark (the ``spark`` extra, a large download) and Java 17, and takes seconds to
start, so these tests run only with ``QUERYLANG_SPARK=1``, which ``make test-spark`` sets.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if os.environ.get("QUERYLANG_SPARK") != "1" and collection_path.name.startswith("test_"):
        return True  # run by `make test-spark`
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark", reason="make test-spark installs the 'spark' extra")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers run querylang_ilike
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("querylang-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="session")
def example() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with open(EXAMPLES / "campaign-communications.jsonl", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    with open(EXAMPLES / "users.json", encoding="utf-8") as f:
        users = json.load(f)
    return records, users
