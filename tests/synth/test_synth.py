"""The synthetic patient generator: deterministic, valid (models and JSON Schema), and medically plausible.

No timing assertions here: the speed of the generator is measured by ``bench/plan_throughput.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rrmm.record import record_from_mapping
from rrmm.synth import frequencies as F
from rrmm.synth import synthesize, synthesize_one
from rrmm.terminology import drug_vocabulary

SCHEMA_PATH = Path(__file__).parents[3] / "shared" / "contracts" / "patient-record.schema.json"
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
PER_SEED = 3  # records checked per hypothesis example
CAR_T = frozenset(
    {
        "ciltacabtagene autoleucel",
        "idecabtagene vicleucel",
        "anitocabtagene autoleucel",
        "arlocabtagene autoleucel",
    }
)


@cache
def cohort() -> tuple[dict[str, Any], ...]:
    """A fixed cohort for the tests of frequencies and patterns (deterministic: fixed seed)."""
    return tuple(synthesize(1500, 2024))


@pytest.fixture(scope="module")
def schema_validator() -> Any:
    if not SCHEMA_PATH.is_file():
        pytest.skip(f"the patient record schema beside the repo is absent ({SCHEMA_PATH})")
    from jsonschema import Draft202012Validator, FormatChecker

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def dates_of(record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every date of a record as (JSON path, ISO string)."""
    yield "diagnosis.date", record["diagnosis"]["date"]
    if "birth_date" in record:
        yield "birth_date", record["birth_date"]
    for key, fields in (
        ("performance_status", ("date",)),
        ("cytogenetics", ("date",)),
        ("labs", ("date",)),
        ("findings", ("date",)),
        ("therapies", ("start", "end")),
        ("transplants", ("date",)),
        ("events", ("date",)),
        ("adverse_events", ("onset", "resolved")),
        ("symptoms", ("date",)),
        ("comorbidities", ("since",)),
    ):
        for i, entry in enumerate(record.get(key, ())):
            for field in fields:
                if entry.get(field) is not None:
                    yield f"{key}[{i}].{field}", entry[field]


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# --------------------------------------------------------------------------- determinism and API


def test_same_seed_gives_the_same_records() -> None:
    assert synthesize(25, 7) == synthesize(25, 7)


def test_different_seeds_give_different_records() -> None:
    assert synthesize(5, 1) != synthesize(5, 2)


def test_a_record_does_not_depend_on_how_many_are_asked_for() -> None:
    assert synthesize(10, 3)[:4] == synthesize(4, 3)


def test_synthesize_one_draws_only_from_the_generator_it_is_given() -> None:
    random.seed(12345)
    before = random.getstate()
    first = synthesize_one(random.Random(99), 4)
    second = synthesize_one(random.Random(99), 4)
    assert first == second
    assert first["id"] == "synth-000004"
    assert random.getstate() == before  # the global random state is untouched


def test_counts() -> None:
    assert synthesize(0, 1) == []
    assert len(synthesize(3, 1)) == 3
    with pytest.raises(ValueError, match="n must be"):
        synthesize(-1, 1)


def test_records_are_plain_json() -> None:
    records = synthesize(20, 5)
    assert json.loads(json.dumps(records)) == records
    assert all(r["schema_version"] == "1" for r in records)
    assert len({r["id"] for r in records}) == 20


# --------------------------------------------------------------------------- validity (property tests)


@settings(max_examples=50, deadline=None)
@given(seed=SEEDS)
def test_every_record_validates_with_the_record_models(seed: int) -> None:
    for record in synthesize(PER_SEED, seed):
        record_from_mapping(record)  # raises RecordError naming the entry at fault


@settings(max_examples=50, deadline=None)
@given(seed=SEEDS)
def test_every_record_validates_against_the_json_schema(schema_validator: Any, seed: int) -> None:
    for record in synthesize(PER_SEED, seed):
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in schema_validator.iter_errors(record)
        ]
        assert not errors, f"{record['id']} (seed {seed}): {errors[:5]}"


@settings(max_examples=50, deadline=None)
@given(seed=SEEDS)
def test_no_date_after_as_of_and_no_end_before_its_start(seed: int) -> None:
    for record in synthesize(PER_SEED, seed):
        as_of = day(record["as_of"])
        latest = max(day(text) for _, text in dates_of(record))
        assert latest <= as_of <= latest + dt.timedelta(days=21), record["id"]
        assert as_of <= F.DATA_CUTOFF
        for path, text in dates_of(record):
            assert len(text) == 10 and day(text).isoformat() == text, path
        for t in record["therapies"]:
            assert t["end"] is None or t["end"] >= t["start"], t
            assert "stop_reason" not in t or t["end"] is not None, t
        for ae in record.get("adverse_events", ()):
            assert ae.get("resolved") is None or ae["resolved"] >= ae["onset"], ae


@settings(max_examples=50, deadline=None)
@given(seed=SEEDS)
def test_lists_are_sorted_by_date(seed: int) -> None:
    for record in synthesize(PER_SEED, seed):
        starts = [t["start"] for t in record["therapies"]]
        assert starts == sorted(starts), record["id"]
        for key in ("labs", "events", "performance_status", "symptoms", "transplants", "findings"):
            dates = [e["date"] for e in record.get(key, ())]
            assert dates == sorted(dates), (record["id"], key)


@settings(max_examples=50, deadline=None)
@given(seed=SEEDS)
def test_demographics_are_in_range(seed: int) -> None:
    for record in synthesize(PER_SEED, seed):
        diagnosed = day(record["diagnosis"]["date"])
        assert F.DIAGNOSIS_FIRST <= diagnosed <= F.DIAGNOSIS_LAST
        if "birth_date" in record:
            born = day(record["birth_date"])
            age = diagnosed.year - born.year - ((diagnosed.month, diagnosed.day) < (born.month, born.day))
            assert F.AGE_MIN <= age <= F.AGE_MAX
        else:
            assert F.AGE_MIN <= record["age"] <= F.AGE_MAX + 15


# --------------------------------------------------------------------------- vocabulary and plausibility


def test_every_drug_is_an_inn_of_the_vocabulary() -> None:
    vocabulary = drug_vocabulary()
    names = {t["drug"] for r in cohort() for t in r["therapies"]}
    names |= {d for r in cohort() for ae in r.get("adverse_events", ()) for d in ae.get("attributed_to", ())}
    assert names
    assert {n for n in names if vocabulary.resolve(n) != n} == set()


def test_isotype_and_fish_frequencies_are_roughly_those_configured() -> None:
    records = cohort()
    heavy = Counter(r["diagnosis"].get("heavy_chain") for r in records)
    n = len(records)
    assert 0.45 < heavy["IgG"] / n < 0.62
    assert 0.15 < heavy["IgA"] / n < 0.28
    assert 0.12 < heavy["none"] / n < 0.26
    assert heavy["IgD"] > 0
    tested = [r for r in records if r.get("cytogenetics")]
    assert 0.78 < len(tested) / n < 0.92

    def share(abnormality: str) -> float:
        at_diagnosis = [[c for c in r["cytogenetics"] if c["abnormality"] == abnormality][:1] for r in tested]
        rows = [c[0] for c in at_diagnosis if c]
        return sum(c["present"] for c in rows) / len(rows)

    assert 0.08 < share("t(4;14)") < 0.17
    assert 0.01 < share("t(14;16)") < 0.06
    assert 0.12 < share("t(11;14)") < 0.23
    assert 0.06 < share("del(17p)") < 0.15
    assert 0.27 < share("gain(1q)") < 0.44
    assert 0.05 < share("del(1p)") < 0.16
    del17p = [c for r in tested for c in r["cytogenetics"] if c["abnormality"] == "del(17p)" and c["present"]]
    assert all(0 < c["clone_fraction"] <= 1 for c in del17p)


def test_light_chain_disease_has_no_serum_m_protein_and_a_high_involved_chain() -> None:
    light = [
        r
        for r in cohort()
        if r["diagnosis"]["heavy_chain"] == "none" and r["diagnosis"]["light_chain"] != "none"
    ]
    assert light
    for r in light:
        assert all(lab["value"] == 0 for lab in r["labs"] if lab["test"] == "m_protein_serum"), r["id"]
        record = record_from_mapping(r)
        involved = "flc_" + r["diagnosis"]["light_chain"]
        first = next(lab for lab in record.labs if lab.test == involved)
        assert first.value > 100, r["id"]


def test_units_vary_and_normalise_to_the_canonical_ones() -> None:
    units = Counter((lab["test"], lab["unit"]) for r in cohort() for lab in r["labs"])
    for test, unit in (
        ("m_protein_serum", "g/L"),
        ("creatinine", "umol/L"),
        ("albumin", "g/L"),
        ("m_protein_serum", "g/dL"),
        ("creatinine", "mg/dL"),
    ):
        assert units[(test, unit)] > 0, (test, unit)
    record = record_from_mapping(
        next(r for r in cohort() if any(lab["unit"] == "umol/L" for lab in r["labs"]))
    )
    assert {lab.unit for lab in record.labs if lab.test == "creatinine"} == {"mg/dL"}


def test_ldh_carries_its_upper_limit_of_normal() -> None:
    ldh = [lab for r in cohort() for lab in r["labs"] if lab["test"] == "ldh"]
    assert ldh and all(lab.get("upper_limit_normal", 0) > 0 for lab in ldh)


def test_transplant_follows_induction_with_melphalan_conditioning_and_then_maintenance() -> None:
    with_transplant = [r for r in cohort() if r.get("transplants")]
    assert len(with_transplant) > len(cohort()) * 0.2
    maintained = 0
    for r in with_transplant:
        therapies = r["therapies"]
        induction = [t for t in therapies if t.get("setting") == "induction"]
        assert induction, r["id"]
        for transplant in r["transplants"]:
            date = day(transplant["date"])
            melphalan = [
                t
                for t in therapies
                if t["drug"] == "melphalan"
                and t.get("setting") == "conditioning"
                and 1 <= (date - day(t["start"])).days <= 3
            ]
            assert melphalan, (r["id"], transplant)
            assert all(day(t["end"]) < date for t in induction if t["end"] is not None)
        if any(t.get("setting") == "maintenance" and t["drug"] == "lenalidomide" for t in therapies):
            maintained += 1
    assert maintained > len(with_transplant) * 0.5


def test_car_t_is_given_on_one_day_after_lymphodepletion_and_bridging() -> None:
    infusions = [(r, t) for r in cohort() for t in r["therapies"] if t["drug"] in CAR_T]
    assert infusions
    for r, car_t in infusions:
        assert car_t["start"] == car_t["end"], r["id"]
        infused = day(car_t["start"])
        lymphodepletion = {
            t["drug"]
            for t in r["therapies"]
            if t.get("setting") == "conditioning" and 3 <= (infused - day(t["start"])).days <= 7
        }
        assert lymphodepletion == {"fludarabine", "cyclophosphamide"}, r["id"]
        bridging = [
            t
            for t in r["therapies"]
            if t.get("setting") == "bridging" and 0 < (infused - day(t["start"])).days <= 120
        ]
        assert all(t["end"] is not None and (infused - day(t["end"])).days >= 10 for t in bridging), r["id"]
    assert any(t.get("setting") == "bridging" for r, _ in infusions for t in r["therapies"])


def test_progression_is_a_confirmed_rise_of_the_serum_m_protein() -> None:
    """IMWG-style: the two assessments up to a recorded progression are > 25% and >= 0.5 g/dL above the
    nadir since the line started (the latest start of a main drug before the event)."""
    checked = 0
    ignore = {"maintenance", "consolidation", "conditioning", "bridging"}
    vocabulary = drug_vocabulary()
    for raw in cohort():
        if raw["diagnosis"]["heavy_chain"] not in ("IgG", "IgA"):
            continue
        record = record_from_mapping(raw)
        m_protein = [(lab.date, lab.value) for lab in record.labs if lab.test == "m_protein_serum"]
        for event in record.events:
            if event.type != "progression":
                continue
            starts = [
                t.start
                for t in record.therapies
                if t.start <= event.date
                and t.setting not in ignore
                and vocabulary[t.drug].is_anti_myeloma
                and not vocabulary[t.drug].is_corticosteroid
            ]
            line_start = min(s for s in starts if (max(starts) - s).days <= 7)  # drugs may start days apart
            values = [v for d, v in m_protein if line_start <= d <= event.date]
            nadir = min(values)
            assert len(values) >= 3, (raw["id"], event.date)
            for value in values[-2:]:
                assert value > 1.25 * nadir and value - nadir >= 0.5 - 1e-9, (raw["id"], event.date, values)
            checked += 1
    assert checked > 100


def test_relapses_lines_and_endings_vary() -> None:
    records = cohort()
    progressions = Counter(sum(e["type"] == "progression" for e in r.get("events", ())) for r in records)
    assert progressions[0] > 0 and max(progressions) >= 4
    stop_reasons = Counter(t.get("stop_reason") for r in records for t in r["therapies"])
    for reason in ("progression", "toxicity", "completed"):
        assert stop_reasons[reason] > 0, reason
    ongoing = sum(any(t["end"] is None for t in r["therapies"]) for r in records)
    assert 0.2 * len(records) < ongoing < 0.9 * len(records)
    drugs = Counter(t["drug"] for r in records for t in r["therapies"])
    for drug in ("daratumumab", "pomalidomide", "carfilzomib", "selinexor", "teclistamab", "talquetamab"):
        assert drugs[drug] > 0, drug
    terms = Counter(ae["term"] for r in records for ae in r.get("adverse_events", ()))
    for term in ("Peripheral sensory neuropathy", "Neutrophil count decreased", "Cytokine release syndrome"):
        assert terms[term] > 0, term
    assert all(1 <= ae["grade"] <= 5 for r in records for ae in r.get("adverse_events", ()))
    assert all(0 <= p["ecog"] <= 3 for r in records for p in r.get("performance_status", ()))
    assert any("location" in r for r in records) and any("preferences" in r for r in records)
    assert any("comorbidities" in r for r in records)
