"""Plans and records of the shipped examples, built once per test session."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from rrmm.planning import build_plan
from rrmm.planning.plan import Plan
from rrmm.record import Record, record_from_json

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.json"))


@cache
def _load(name: str) -> tuple[Record, Plan]:
    record = record_from_json((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return record, build_plan(record, "us", ())


@pytest.fixture(params=EXAMPLE_NAMES)
def example(request: pytest.FixtureRequest) -> tuple[Record, Plan]:
    """Each shipped example as (record, plan)."""
    return _load(request.param)


@pytest.fixture
def tcr() -> tuple[Record, Plan]:
    """examples/triple-class-refractory.json as (record, plan)."""
    return _load("triple-class-refractory")


@pytest.fixture(scope="session")
def load() -> Callable[[str], tuple[Record, Plan]]:
    """Load an example by name."""
    return _load
