"""Agreement of the criteria parser with the hand-labelled criteria (fixtures/labelled_criteria.yaml).

Each labelled entry is parsed with :func:`rrmm.trials.criteria.parse_criterion` (its text and section) and the
constraints are compared with ``expected`` as sets, every field exactly. An entry agrees when the two sets are
equal. The test prints agreement overall, per split (dev: the part the parser author could read; test: held
out) and per kind (entries that expect the kind, and constraint recall and precision), lists every
disagreement, and fails when overall agreement is below :data:`MINIMUM_AGREEMENT`.

Run with ``-s`` to see the report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import yaml

from rrmm.trials.constraints import Constraint
from rrmm.trials.criteria import parse_criterion

LABELLED = Path(__file__).resolve().parent / "fixtures" / "labelled_criteria.yaml"
MINIMUM_AGREEMENT = 0.90


@dataclass(frozen=True)
class Outcome:
    nct_id: str
    section: str
    split: str
    text: str
    expected: frozenset[Constraint]
    got: frozenset[Constraint]

    @property
    def agrees(self) -> bool:
        return self.expected == self.got


@cache
def outcomes() -> tuple[Outcome, ...]:
    if not LABELLED.is_file():
        pytest.skip("the labelled criteria (fixtures/labelled_criteria.yaml) are not written yet")
    entries = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    return tuple(
        Outcome(
            nct_id=e["nct_id"],
            section=e["section"],
            split=e["split"],
            text=e["text"],
            expected=frozenset(Constraint.model_validate(x) for x in e["expected"]),
            got=frozenset(parse_criterion(e["text"], e["section"])),
        )
        for e in entries
    )


def _share(n: int, total: int) -> str:
    return f"{n}/{total} = {n / total:.1%}" if total else "-"


def _show(c: Constraint) -> str:
    return str(c.model_dump(exclude_defaults=True))


def report(results: tuple[Outcome, ...]) -> float:
    """Print the agreement figures and the disagreements; return overall agreement."""
    agree = sum(o.agrees for o in results)
    print(f"\nParser agreement with the labelled criteria: {_share(agree, len(results))}")
    for split in sorted({o.split for o in results}):
        part = [o for o in results if o.split == split]
        print(f"  {split:5} {_share(sum(o.agrees for o in part), len(part))}")

    kinds = sorted({c.kind for o in results for c in o.expected | o.got})
    print(f"\n{'kind':20} {'entries agreeing':>22} {'recall':>18} {'precision':>18}")
    for kind in kinds:
        with_kind = [o for o in results if any(c.kind == kind for c in o.expected)]
        expected = Counter(c for o in results for c in o.expected if c.kind == kind)
        got = Counter(c for o in results for c in o.got if c.kind == kind)
        found = sum(
            len({c for c in o.expected & o.got if c.kind == kind}) for o in results
        )  # constraints of this kind both labelled and parsed, entry by entry
        print(
            f"{kind:20} {_share(sum(o.agrees for o in with_kind), len(with_kind)):>22} "
            f"{_share(found, sum(expected.values())):>18} {_share(found, sum(got.values())):>18}"
        )

    disagreements = [o for o in results if not o.agrees]
    print(f"\nDisagreements ({len(disagreements)}):")
    for o in disagreements:
        print(f"- [{o.split}] {o.nct_id} {o.section}: {o.text}")
        for c in sorted(o.expected - o.got, key=_show):
            print(f"    missing {_show(c)}")
        for c in sorted(o.got - o.expected, key=_show):
            print(f"    extra   {_show(c)}")
    return agree / len(results)


def test_parser_agrees_with_the_labelled_criteria():
    results = outcomes()
    overall = report(results)
    assert overall >= MINIMUM_AGREEMENT, f"agreement {overall:.1%} is below {MINIMUM_AGREEMENT:.0%}"


def test_both_splits_are_measured():
    splits = Counter(o.split for o in outcomes())
    assert splits["dev"] and splits["test"]
