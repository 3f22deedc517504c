"""A local Spark session for ``make test-spark``; ``make test`` does not collect this folder.

Spark needs pyspark (the ``spark`` extra, a large download) and Java 17, and takes seconds to
start, so these tests run only with ``QUERYLANG_SPARK=1``, which ``make test-spark`` sets.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sql"))  # the SQL tests' records and oracle
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "differential"))

import querylang
from querylang.schema import CONTACT_COMMUNICATIONS, Schema
from querylang.sql import TABLE


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


@dataclass
class SparkDatabase:
    """A Spark session with records loaded as a temporary view, and ``find`` in memory over the same records."""

    session: Any
    records: list[dict[str, Any]]
    users: list[dict[str, Any]]
    schema: Schema = CONTACT_COMMUNICATIONS
    engine: str = "spark"

    def find(self, query: object, **options: Any) -> Any:
        from querylang.sql import spark

        return spark.find(self.session, TABLE, query, schema=self.schema, **options)

    def expected(self, query: object, **options: Any) -> Any:
        return querylang.find(self.records, query, schema=self.schema, users=self.users, **options)


@pytest.fixture(scope="session")
def loaded(spark: Any) -> SparkDatabase:
    """The bundled export and the SQL tests' edge records, with the bundled users, in Spark."""
    from databases import bundled_records, bundled_users
    from edge_records import EDGE_RECORDS

    from querylang.sql import spark as on_spark

    records, users = [*bundled_records(), *EDGE_RECORDS], bundled_users()
    on_spark.load(spark, records, users=users)
    return SparkDatabase(spark, records, users)
