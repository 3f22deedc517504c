"""Hypothesis profiles for every test folder: a quick default, and a long ``fuzz`` run.

QUERYLANG_HYPOTHESIS_PROFILE=fuzz .venv/bin/pytest tests/property tests/differential

The machines are shared and small (two cores), so no profile fails a test for slow input
generation or a slow example: speed is measured by the scripts in benchmarks/, not here.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_IS_FINE = [HealthCheck.too_slow]

settings.register_profile("querylang", max_examples=100, deadline=None, suppress_health_check=_SLOW_IS_FINE)
settings.register_profile(
    "fuzz",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[*_SLOW_IS_FINE, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("QUERYLANG_HYPOTHESIS_PROFILE", "querylang"))
