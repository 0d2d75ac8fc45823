"""Property tests of the disease-state engine on synthetic records: it never raises, and what it says is
self-consistent (lines in order and not overlapping, refractory drugs a subset of exposed drugs)."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rrmm.clinical.state import disease_state
from rrmm.planning.plan import build_plan
from rrmm.record import record_from_mapping
from rrmm.synth import synthesize

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
PER_SEED = 3


def awaiting_infusion(record: dict[str, Any]) -> bool:
    """The record ends between lymphodepletion and the CAR-T infusion."""
    therapies = record["therapies"]
    infusions = {t["start"] for t in therapies if t["drug"].endswith(("autoleucel", "vicleucel"))}
    for t in therapies:
        if t["drug"] == "fludarabine" and t.get("setting") == "conditioning":
            start = dt.date.fromisoformat(t["start"])
            if not any(0 <= (dt.date.fromisoformat(d) - start).days <= 10 for d in infusions):
                return True
    return False


def check_state(record: dict[str, Any]) -> None:
    state = disease_state(record_from_mapping(record))
    lines = state.lines
    assert state.lines_of_therapy == len(lines)
    assert [line.number for line in lines] == list(range(1, len(lines) + 1))
    for line in lines:
        assert line.end is None or line.end >= line.start, (record["id"], line.number)
        assert set(line.refractory_drugs) <= set(line.drugs), (record["id"], line.number)
    for previous, line in pairwise(lines):
        assert line.start > previous.start, (record["id"], previous.number, line.number)
        assert previous.end is not None, (record["id"], previous.number)
        assert previous.end <= line.start, (record["id"], previous.number, line.number)
    exposed, refractory = state.refractoriness.exposed_drugs, state.refractoriness.refractory_drugs
    assert set(refractory) <= set(exposed), record["id"]
    assert list(exposed) == sorted(exposed) and list(refractory) == sorted(refractory)
    assert len(set(exposed)) == len(exposed)


@settings(max_examples=50, deadline=None)
@given(seed=SEEDS)
def test_disease_state_of_synthetic_records_is_consistent(seed: int) -> None:
    for record in synthesize(PER_SEED, seed):
        check_state(record)


@settings(max_examples=50, deadline=None)
@given(seed=SEEDS)
def test_a_plan_is_built_for_every_synthetic_record(seed: int) -> None:
    for record in synthesize(PER_SEED, seed):
        build_plan(record_from_mapping(record))


def test_every_record_of_a_fixed_cohort() -> None:
    for record in synthesize(300, 77):
        check_state(record)


def cut_at(record: dict[str, Any], day: str) -> dict[str, Any]:
    """The record as it stood on ``day``: later entries dropped, courses still running made ongoing."""
    out = {k: v for k, v in record.items() if not isinstance(v, list)}
    out["as_of"] = day
    for key, value in record.items():
        if not isinstance(value, list):
            continue
        kept = []
        for entry in value:
            first = entry.get("date") or entry.get("start") or entry.get("onset") or entry.get("since")
            if first is not None and first > day:
                continue
            entry = dict(entry)
            for field in ("end", "resolved"):
                if entry.get(field) is not None and entry[field] > day:
                    entry[field] = None
                    entry.pop("stop_reason", None)
            kept.append(entry)
        out[key] = kept
    return out


def test_a_record_as_of_the_days_between_lymphodepletion_and_infusion() -> None:
    # lymphodepletion awaiting its infusion belongs to the line it follows: no line of its own
    record = next(r for r in synthesize(400, 11) if any(t["drug"] == "fludarabine" for t in r["therapies"]))
    lymphodepletion = next(t for t in record["therapies"] if t["drug"] == "fludarabine")
    cut = cut_at(record, lymphodepletion["end"])
    assert awaiting_infusion(cut)
    check_state(cut)
    last = disease_state(record_from_mapping(cut)).lines[-1]
    assert "fludarabine" in last.drugs
    assert set(last.drugs) - {"fludarabine", "cyclophosphamide"}, "lymphodepletion made a line of its own"
