"""The labelled eligibility criteria (fixtures/labelled_criteria.yaml) are well formed.

The set measures the criteria parser; these tests check only the set itself: every expected constraint is a
valid :class:`rrmm.trials.constraints.Constraint`, every text is real registry text of its study, and the
splits are usable. They do not run the parser (its agreement test lives with the parser).

Run with ``-s`` to see the counts by kind and split.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from rrmm.trials.constraints import Constraint

LABELLED = Path(__file__).resolve().parent / "fixtures" / "labelled_criteria.yaml"
STUDIES = Path(__file__).resolve().parents[3] / "shared" / "data" / "trials" / "hint-myeloma-studies.json"

ENTRY_KEYS = {"nct_id", "section", "text", "expected", "split"}
SPLITS = ("dev", "test")


def _collapse(text: str) -> str:
    return " ".join(text.split())


@cache
def entries() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    assert isinstance(loaded, list), "the labelled set is a YAML list of entries"
    return loaded


@cache
def criteria_text() -> dict[str, str]:
    """nctId -> the study's eligibility criteria text, whitespace collapsed."""
    if not STUDIES.is_file():
        pytest.skip(f"the shared trial corpus {STUDIES} is not beside this clone (../shared/data/trials)")
    studies = json.loads(STUDIES.read_text(encoding="utf-8"))
    return {
        s["protocolSection"]["identificationModule"]["nctId"]: _collapse(
            s["protocolSection"]["eligibilityModule"].get("eligibilityCriteria", "")
        )
        for s in studies
    }


def _entry_id(entry: dict[str, Any]) -> str:
    return f"{entry['nct_id']}-{entry['section'][:3]}-{_collapse(entry['text'])[:40]}"


def test_the_set_is_large_enough_and_has_both_splits():
    assert len(entries()) >= 150
    splits = Counter(e["split"] for e in entries())
    assert set(splits) == set(SPLITS), splits
    # dev is about a third: the parser author reads it, the rest measures.
    assert 0.2 <= splits["dev"] / len(entries()) <= 0.45, splits


@pytest.mark.parametrize("entry", entries(), ids=_entry_id)
def test_entry_is_well_formed(entry: dict[str, Any]):
    assert set(entry) == ENTRY_KEYS
    assert entry["nct_id"].startswith("NCT") and len(entry["nct_id"]) == 11
    assert entry["section"] in ("inclusion", "exclusion")
    assert entry["split"] in SPLITS
    assert isinstance(entry["text"], str) and entry["text"] == _collapse(entry["text"]) != ""
    assert isinstance(entry["expected"], list) and entry["expected"], "expected may not be empty"


@pytest.mark.parametrize("entry", entries(), ids=_entry_id)
def test_expected_constraints_validate(entry: dict[str, Any]):
    constraints = [Constraint.model_validate(c) for c in entry["expected"]]
    assert len(set(constraints)) == len(constraints), "a constraint is listed twice"
    if any(c.kind == "unstructured" for c in constraints):
        # one unstructured marks whatever no kind carries; it is never repeated
        assert sum(c.kind == "unstructured" for c in constraints) == 1


@pytest.mark.parametrize("entry", entries(), ids=_entry_id)
def test_text_occurs_in_its_study(entry: dict[str, Any]):
    texts = criteria_text()
    assert entry["nct_id"] in texts, f"{entry['nct_id']} is not in the corpus"
    assert _collapse(entry["text"]) in texts[entry["nct_id"]]


def test_no_entry_is_labelled_twice():
    keys = Counter((e["nct_id"], e["section"], _collapse(e["text"])) for e in entries())
    assert [k for k, n in keys.items() if n > 1] == []


def test_splits_are_by_whole_study():
    split_of: dict[str, set[str]] = {}
    for e in entries():
        split_of.setdefault(e["nct_id"], set()).add(e["split"])
    assert {nct: s for nct, s in split_of.items() if len(s) > 1} == {}


def test_counts_by_kind_and_split():
    """Constraints and entries by kind in each split (printed); every common kind is in both splits."""
    constraints = {s: Counter() for s in SPLITS}
    with_kind = {s: Counter() for s in SPLITS}
    for e in entries():
        kinds = [c["kind"] for c in e["expected"]]
        constraints[e["split"]].update(kinds)
        with_kind[e["split"]].update(set(kinds))
    all_kinds = sorted(set(constraints["dev"]) | set(constraints["test"]))
    print(f"\n{'kind':20} {'entries dev':>11} {'entries test':>12} {'constraints dev':>15} {'test':>6}")
    for kind in all_kinds:
        print(
            f"{kind:20} {with_kind['dev'][kind]:11} {with_kind['test'][kind]:12} "
            f"{constraints['dev'][kind]:15} {constraints['test'][kind]:6}"
        )
    split_sizes = Counter(e["split"] for e in entries())
    print(f"{'entries':20} {split_sizes['dev']:11} {split_sizes['test']:12}")
    for kind in ("age", "performance_status", "prior_lines", "prior_therapy", "lab", "transplant"):
        assert with_kind["dev"][kind] and with_kind["test"][kind], kind
    for kind in ("infection", "disease_feature", "unstructured"):
        assert with_kind["dev"][kind] and with_kind["test"][kind], kind
