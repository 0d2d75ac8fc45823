"""read_patient on hand-built rows: malformed rows (unknown concept, missing date, end before start) are
reported as problems naming table and row and skipped while the rest is read; a patient without a myeloma
condition, or whose record does not validate, gives no record; nothing raises. Also the concept lookup
through (vocabulary_id, concept_code) and the course builders (episodes, 30-day eras)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rrmm.cohort.reader import courses_from_episodes, courses_from_exposures, read_patient
from rrmm.cohort.vocabulary import (
    CONCEPT_CODE_MAX,
    DRUG_EXPOSURE_ID_FIELD,
    FEMALE,
    TREATMENT_REGIMEN,
    Concepts,
    local_code,
    parse_local_code,
)

D = dt.date
# Athena-like ids: the reader must go through (vocabulary_id, concept_code), never through the numbers.
CONCEPTS = Concepts(
    {
        101: ("ICD10CM", "C90.00", "Multiple myeloma not having achieved remission"),
        102: ("RxNorm", "358258", "bortezomib"),
        103: ("RxNorm", "342369", "lenalidomide"),
        104: ("LOINC", "718-7", "Hemoglobin [Mass/volume] in Blood"),
        105: ("UCUM", "g/dL", "gram per deciliter"),
        106: ("SNOMED", "84114007", "Heart failure"),
        107: ("LOINC", "89247-1", "ECOG Performance Status score"),
        108: ("SNOMED", "38341003", "Hypertensive disorder"),  # not a code of rrmm's tables
        109: ("ICD10CM", "C90.10", "Plasma cell leukemia not having achieved remission"),
        110: ("UCUM", "g/L", "gram per liter"),
    }
)
PERSON = {
    "person_id": 7,
    "gender_concept_id": FEMALE,
    "year_of_birth": 1950,
    "month_of_birth": 3,
    "day_of_birth": 4,
    "person_source_value": "mrn-7",
}
PERIOD = [
    {
        "observation_period_id": 1,
        "observation_period_start_date": D(2020, 1, 1),
        "observation_period_end_date": D(2024, 6, 1),
    }
]


DIAGNOSED, STARTED, STOPPED, DRAWN = D(2020, 2, 1), D(2020, 3, 1), D(2020, 9, 1), D(2024, 5, 1)


def myeloma(row_id: int = 1, start: dt.date | None = DIAGNOSED) -> dict:
    return {"condition_occurrence_id": row_id, "condition_concept_id": 101, "condition_start_date": start}


def course(drug: int = 102, start=STARTED, end=STOPPED, episode_id: int = 1, **more) -> dict:
    return {
        "drug_concept_id": drug,
        "start_date": start,
        "end_date": end,
        "stop_reason": None,
        "quantity": None,
        "dose_unit_source_value": None,
        "setting": None,
        "episode_id": episode_id,
        **more,
    }


def hemoglobin(row_id: int, when=DRAWN, concept: int = 104, value=11.2) -> dict:
    return {
        "measurement_id": row_id,
        "measurement_concept_id": concept,
        "measurement_date": when,
        "value_as_number": value,
        "unit_concept_id": 105,
    }


def read(conditions=None, courses=None, measurements=(), observations=(), procedures=(), person=PERSON):
    return read_patient(
        person,
        PERIOD,
        [myeloma()] if conditions is None else conditions,
        [course()] if courses is None else courses,
        list(measurements),
        list(observations),
        list(procedures),
        CONCEPTS,
    )


def test_a_clean_patient_reads_without_problems():
    got = read(measurements=[hemoglobin(1)])
    assert got.problems == ()
    r = got.record
    assert r is not None and r.id == "mrn-7" and r.sex == "female" and r.birth_date == D(1950, 3, 4)
    assert r.as_of == D(2024, 6, 1) and r.diagnosis.date == D(2020, 2, 1)
    assert [(t.drug, t.start, t.end) for t in r.therapies] == [("bortezomib", D(2020, 3, 1), D(2020, 9, 1))]
    assert [(lab.test, lab.value, lab.unit) for lab in r.labs] == [("hemoglobin", 11.2, "g/dL")]


def test_unknown_concept_is_a_problem_and_the_rest_is_read():
    got = read(measurements=[hemoglobin(1), hemoglobin(2, concept=999), hemoglobin(3, when=D(2024, 5, 8))])
    assert got.problems == ("measurement 2: unknown concept: concept 999: skipped",)
    assert got.record is not None and [lab.date for lab in got.record.labs] == [D(2024, 5, 1), D(2024, 5, 8)]


def test_a_known_concept_rrmm_does_not_read_is_named():
    row = {"condition_occurrence_id": 4, "condition_concept_id": 108, "condition_start_date": D(2021, 1, 1)}
    got = read(conditions=[myeloma(), row])
    assert got.problems == (
        "condition_occurrence 4: concept not read by rrmm: concept 108 (SNOMED 38341003): skipped",
    )
    assert got.record is not None and got.record.comorbidities == ()


def test_missing_dates_are_problems_and_the_rest_is_read():
    heart = {"condition_occurrence_id": 2, "condition_concept_id": 106, "condition_start_date": None}
    got = read(
        conditions=[myeloma(), heart],
        courses=[course(), course(drug=103, start=None, episode_id=2)],
        measurements=[hemoglobin(1), hemoglobin(2, when=None)],
    )
    assert set(got.problems) == {
        "condition_occurrence 2: no condition_start_date: skipped",
        "episode 2: no start date: skipped",
        "measurement 2: no measurement_date: skipped",
    }
    r = got.record
    assert r is not None and len(r.therapies) == 1 and len(r.labs) == 1 and r.comorbidities == ()


def test_end_before_start_is_a_problem_and_the_rest_is_read():
    backwards = course(drug=103, start=D(2022, 5, 1), end=D(2022, 4, 1), episode_id=2)
    ae = {
        "condition_occurrence_id": 3,
        "condition_concept_id": 106,
        "condition_start_date": D(2023, 1, 10),
        "condition_end_date": D(2023, 1, 1),
    }
    period = {
        "observation_period_id": 2,
        "observation_period_start_date": D(2025, 1, 1),
        "observation_period_end_date": D(2024, 1, 1),
    }
    got = read_patient(
        PERSON, [*PERIOD, period], [myeloma(), ae], [course(), backwards], [], [], [], CONCEPTS
    )
    assert set(got.problems) == {
        "observation_period 2: ends (2024-01-01) before it starts (2025-01-01): skipped",
        "condition_occurrence 3: ends (2023-01-01) before it starts (2023-01-10): skipped",
        "episode 2: ends (2022-04-01) before it starts (2022-05-01): skipped",
    }
    r = got.record
    assert r is not None and [t.drug for t in r.therapies] == ["bortezomib"] and r.as_of == D(2024, 6, 1)


def test_no_myeloma_condition_gives_no_record():
    heart = {"condition_occurrence_id": 2, "condition_concept_id": 106, "condition_start_date": D(2019, 1, 1)}
    got = read(conditions=[heart])
    assert got.record is None and got.person_id == 7
    assert got.problems == ("person 7: no multiple myeloma condition with a start date: no record",)


def test_a_myeloma_condition_without_a_date_gives_no_record():
    got = read(conditions=[myeloma(start=None)])
    assert got.record is None
    assert got.problems == (
        "condition_occurrence 1: no condition_start_date: skipped",
        "person 7: no multiple myeloma condition with a start date: no record",
    )


def test_plasma_cell_leukemia_is_a_myeloma_diagnosis():
    pcl = {"condition_occurrence_id": 1, "condition_concept_id": 109, "condition_start_date": D(2020, 2, 1)}
    got = read(conditions=[pcl])
    assert got.record is not None and got.record.diagnosis.plasma_cell_leukemia is True


def test_a_record_that_does_not_validate_gives_the_error_as_a_problem():
    late = myeloma(start=D(2025, 1, 1))  # after as_of (the observation period's end)
    got = read(conditions=[late])
    assert got.record is None
    assert len(got.problems) == 1 and got.problems[0].startswith("person 7: record does not validate: ")
    assert "diagnosis.date" in got.problems[0]


def test_nothing_raises_on_garbage():
    got = read_patient(
        {"person_id": "x"},
        [{"observation_period_end_date": "not a date"}],
        [{"condition_concept_id": "abc", "condition_start_date": 12}],
        [{"drug_concept_id": None}, {}],
        [{"measurement_concept_id": 104, "measurement_date": D(2024, 1, 1), "value_as_number": "n/a"}],
        [{}],
        [{"procedure_concept_id": 1.5}],
        CONCEPTS,
    )
    assert got.record is None and got.problems
    broken = read_patient(None, [], [], [], [], [], [], CONCEPTS)  # type: ignore[arg-type]
    assert broken.record is None and broken.problems[0].startswith("person None: cannot be read")


def test_engine_values_decimal_nan_datetime_and_other_units():
    """What DuckDB/pandas hand over: Decimal for NUMERIC, NaN for NULL, datetimes; g/L converted to g/dL."""
    row = {
        "measurement_id": 1,
        "measurement_concept_id": 104,
        "measurement_date": dt.datetime(2024, 5, 1, 9, 30),
        "value_as_number": Decimal("112"),
        "unit_concept_id": float("nan"),
        "unit_source_value": "g/L",
        "range_high": float("nan"),
    }
    person = {**PERSON, "month_of_birth": float("nan"), "day_of_birth": None}
    got = read(measurements=[row], person=person)
    assert got.record is not None
    assert [(lab.value, lab.unit, lab.upper_limit_normal) for lab in got.record.labs] == [
        (11.2, "g/dL", None)
    ]
    assert got.record.birth_date is None and got.record.age == 2024 - 1950
    assert got.problems == ("person 7: only year_of_birth 1950: age read as 74 (may be a year high)",)


def test_ecog_out_of_range_and_a_bad_unit_are_problems():
    ecog = {
        "measurement_id": 2,
        "measurement_concept_id": 107,
        "measurement_date": D(2024, 1, 1),
        "value_as_number": 7,
    }
    odd = {**hemoglobin(3), "unit_concept_id": None, "unit_source_value": "furlong"}
    got = read(measurements=[ecog, odd, hemoglobin(4)])
    assert got.problems[0] == "measurement 2: ECOG value 7.0 is not 0-4: skipped"
    assert got.problems[1].startswith("measurement 3: hemoglobin: ")
    assert got.record is not None and len(got.record.labs) == 1 and got.record.performance_status == ()


# ---------------------------------------------------------------------------------------------- concepts
def test_concepts_map_through_vocabulary_and_code():
    c = Concepts(
        {5: ("ICD10CM", "C9000", "MM"), 6: ("SNOMED", "109989006", "MM"), 7: ("Gender", "F", "FEMALE")}
    )
    assert c.meaning(5) is not None and c.meaning(5).diagnosis == "multiple_myeloma"  # ICD-10 without its dot
    assert c.kind_value(6) == ("diagnosis", "multiple_myeloma")
    assert c.meaning(7) is None and c.meaning(8) is None and 8 not in c and 5 in c


def test_local_codes_fit_the_cdm_and_read_back():
    term = "Electrocardiogram QT corrected interval prolonged"  # too long for 'adverse_event/' + term
    code = local_code("adverse_event", term)
    assert len(code) <= CONCEPT_CODE_MAX and code.startswith("adverse_event/#")
    assert parse_local_code(code) == ("adverse_event", term)
    assert parse_local_code(local_code("symptom", "fatigue")) == ("symptom", "fatigue")
    assert parse_local_code("nonsense") is None and parse_local_code("adverse_event/#0000") is None
    c = Concepts({2_000_000_001: ("rrmm", local_code("lab", "bm_plasma_cells"), "lab: bm_plasma_cells")})
    assert c.kind_value(2_000_000_001) == ("lab", "bm_plasma_cells")


# ----------------------------------------------------------------------------------------------- courses
def exposure(row_id, drug, start, end, verbatim=None, **more):
    return {
        "drug_exposure_id": row_id,
        "drug_concept_id": drug,
        "drug_exposure_start_date": start,
        "drug_exposure_end_date": end,
        "verbatim_end_date": verbatim,
        **more,
    }


def test_exposures_join_into_courses_within_thirty_days():
    rows = [
        exposure(1, 102, D(2021, 1, 1), D(2021, 1, 10)),
        exposure(2, 102, D(2021, 2, 9), D(2021, 2, 20)),  # 30 days after the end before it: same course
        exposure(3, 102, D(2021, 3, 23), D(2021, 3, 30), stop_reason="toxicity"),  # 31 days: a new course
        exposure(4, 103, D(2021, 1, 5), D(2021, 6, 1)),
    ]
    courses = courses_from_exposures(rows, as_of=D(2024, 1, 1))
    assert [(c["drug_concept_id"], c["start_date"], c["end_date"]) for c in courses] == [
        (102, D(2021, 1, 1), D(2021, 2, 20)),
        (103, D(2021, 1, 5), D(2021, 6, 1)),
        (102, D(2021, 3, 23), D(2021, 3, 30)),
    ]
    assert courses[2]["stop_reason"] == "toxicity"


def test_an_era_is_ongoing_when_it_ends_near_as_of_without_a_stated_end():
    near = [exposure(1, 102, D(2023, 11, 1), D(2023, 12, 15))]
    assert courses_from_exposures(near, as_of=D(2024, 1, 1))[0]["end_date"] is None
    stated = [exposure(1, 102, D(2023, 11, 1), D(2023, 12, 15), verbatim=D(2023, 12, 15))]
    assert courses_from_exposures(stated, as_of=D(2024, 1, 1))[0]["end_date"] == D(2023, 12, 15)
    old = [exposure(1, 102, D(2023, 1, 1), D(2023, 2, 1))]
    assert courses_from_exposures(old, as_of=D(2024, 1, 1))[0]["end_date"] == D(2023, 2, 1)


def test_courses_from_episodes():
    episodes = [
        {
            "episode_id": 20,
            "episode_concept_id": TREATMENT_REGIMEN,
            "episode_start_date": D(2022, 1, 1),
            "episode_end_date": None,
            "episode_object_concept_id": 103,
            "episode_source_value": "maintenance",
        },
        {
            "episode_id": 10,
            "episode_concept_id": TREATMENT_REGIMEN,
            "episode_start_date": D(2021, 1, 1),
            "episode_end_date": D(2021, 6, 1),
            "episode_object_concept_id": 0,
            "episode_source_value": "induction",
        },
        {
            "episode_id": 30,
            "episode_concept_id": 32533,
            "episode_start_date": D(2021, 1, 1),
            "episode_object_concept_id": 0,
        },  # not a treatment episode
    ]
    events = [
        {"episode_id": 10, "event_id": 2, "episode_event_field_concept_id": DRUG_EXPOSURE_ID_FIELD},
        {"episode_id": 10, "event_id": 1, "episode_event_field_concept_id": DRUG_EXPOSURE_ID_FIELD},
        {"episode_id": 10, "event_id": 3, "episode_event_field_concept_id": DRUG_EXPOSURE_ID_FIELD},
        {
            "episode_id": 10,
            "event_id": 99,
            "episode_event_field_concept_id": DRUG_EXPOSURE_ID_FIELD,
        },  # missing
    ]
    exposures = [
        exposure(1, 102, D(2021, 1, 1), D(2021, 3, 1), quantity=1.3, dose_unit_source_value="mg/m2"),
        exposure(2, 102, D(2021, 3, 5), D(2021, 6, 1), verbatim=D(2021, 6, 1), stop_reason="completed"),
        exposure(3, 103, D(2021, 1, 1), D(2021, 5, 1)),
        exposure(4, 102, D(2023, 1, 1), D(2023, 2, 1), verbatim=D(2023, 2, 1)),  # linked to no episode
    ]
    courses = courses_from_episodes(episodes, events, exposures)
    assert [
        (c["drug_concept_id"], c["start_date"], c["end_date"], c["setting"], c["stop_reason"], c["quantity"])
        for c in courses
    ] == [
        (102, D(2021, 1, 1), D(2021, 6, 1), "induction", "completed", 1.3),
        (103, D(2021, 1, 1), D(2021, 5, 1), "induction", None, None),
        (103, D(2022, 1, 1), None, "maintenance", None, None),  # no exposures: the episode's object
        (102, D(2023, 1, 1), D(2023, 2, 1), None, None, None),
    ]
    assert courses[0]["dose_unit_source_value"] == "mg/m2" and courses[0]["episode_id"] == 10


@pytest.mark.parametrize(("setting", "stop"), [("salvage", "progression"), ("weekly", "bored")])
def test_course_setting_and_stop_reason(setting, stop):
    got = read(
        courses=[course(setting=setting, stop_reason=stop, quantity=1.3, dose_unit_source_value="mg/m2")]
    )
    t = got.record.therapies[0]
    assert (t.dose, t.dose_unit) == (1.3, "mg/m2")
    if setting == "salvage":
        assert (t.setting, t.stop_reason) == ("salvage", "progression") and got.problems == ()
    else:
        assert (t.setting, t.stop_reason) == (None, None)
        assert got.problems == (
            "episode 1: setting 'weekly' is not one of rrmm's: not read",
            "episode 1: stop reason 'bored' is not one of rrmm's: not read",
        )
