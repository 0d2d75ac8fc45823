"""Property: whatever JSON arrives, reading it ends in a valid record or one RecordError, never a crash."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import course, lab, record_dict, regimen, serum
from rrmm.planning import build_plan
from rrmm.record import Record, RecordError, record_from_json

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def seed_record() -> dict[str, Any]:
    return record_dict(
        therapies=regimen(["bortezomib", "lenalidomide", "dexamethasone"], "2019-02-01", "2019-08-01")
        + [course("daratumumab", "2019-09-01")],
        labs=serum([("2019-01-20", 3.0), ("2019-03-01", 1.0)])
        + [lab("creatinine", "2019-01-20", 90.0, "umol/L")],
        performance_status=[{"date": "2019-01-20", "ecog": 1}],
        cytogenetics=[{"date": "2019-01-10", "abnormality": "t(4;14)", "present": True}],
        events=[{"date": "2019-08-20", "type": "progression"}],
    )


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            found += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += paths(v, (*prefix, i))
    return found


def replace(doc: Any, path: tuple, new: Any) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return doc


def read(text: str) -> Record | None:
    try:
        return record_from_json(text)
    except RecordError as exc:
        assert exc.path and exc.message and "\n" not in str(exc)
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_value_anywhere_gives_a_record_or_a_clear_error(data):
    doc = seed_record()
    path = data.draw(st.sampled_from(paths(doc)))
    mutated = replace(doc, path, data.draw(json_values))
    record = read(json.dumps(mutated))
    if record is not None:
        build_plan(record)  # a valid record never crashes the engine


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(min_value=0, max_value=2000))
def test_truncated_text_gives_a_clear_error(cut):
    text = json.dumps(seed_record())
    assert read(text[: min(cut, len(text) - 1)]) is None


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text(text):
    read(text)
