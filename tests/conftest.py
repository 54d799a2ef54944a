"""Shared test configuration.

tinynet picks its array backend once, at import (``TINYNET_BACKEND``). The
``backend`` fixture is parametrized over every backend, so each backend-dependent
test appears once per backend: the active one runs, the other is skipped with the
reason (for cupy: why it is unavailable, or how to select it). Run the whole suite on
a GPU with ``TINYNET_BACKEND=cupy python -m pytest``.

The third value, ``standin``, is :mod:`tinynet._standin`: a CPU test double of cupy's
host/device boundary (device arrays that refuse implicit conversion to numpy and refuse
numpy operands), not a GPU. ``tasks.py test`` runs the backend-dependent tests (marked
``backend`` automatically, as every test taking this fixture is) a second time with
``TINYNET_BACKEND=standin``, so code that would cross the boundary on a GPU fails in CI.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tinynet.backend import backend_name, cupy_status

settings.register_profile(
    "tinynet",
    deadline=None,  # the first call of an op can be slow (imports, GPU kernels)
    max_examples=int(os.environ.get("TINYNET_HYPOTHESIS_EXAMPLES", "60")),
    suppress_health_check=[HealthCheck.too_slow],
    # In CI the examples are derived from each test's name, so a CI verdict can be
    # reproduced exactly; locally every run explores new inputs.
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("tinynet")


def pytest_report_header(config: pytest.Config) -> str:
    _, reason = cupy_status()
    return f"tinynet backend: {backend_name()} (cupy: {reason})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that takes the ``backend`` fixture with ``backend``."""
    for item in items:
        if "backend" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.backend)


@pytest.fixture(scope="session", params=["numpy", "cupy", "standin"])
def backend(request: pytest.FixtureRequest) -> str:
    """Name of the backend under test; skips the backends not active in this run."""
    wanted = request.param
    if wanted != backend_name():
        if wanted == "cupy":
            _, reason = cupy_status()
            if reason == "ok":
                reason = "cupy works here: rerun with TINYNET_BACKEND=cupy to test it"
            pytest.skip(f"cupy backend not tested in this run: {reason}")
        if wanted == "standin":
            pytest.skip(
                "the cupy stand-in (a CPU test double of the host/device boundary) is tested "
                "with TINYNET_BACKEND=standin (tasks.py test does this)"
            )
        pytest.skip(f"this run uses the {backend_name()} backend (TINYNET_BACKEND)")
    return wanted
