"""Performance status and transplant eligibility by guideline defaults."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clinical.builders_fitness import make_record
from rrmm.clinical.fitness import current_ecog, transplant_eligibility
from rrmm.clinical.types import Assessment
from rrmm.record import Record

AT = dt.date(2024, 6, 1)
CRCL = Assessment(72.4, ("creatinine 1 mg/dL on 2024-05-20",))


def ps(date: str, ecog: int) -> dict[str, Any]:
    return {"date": date, "ecog": ecog}


def patient(age: int = 60, ecog: int | None = 1, **fields: Any) -> Record:
    """A patient of ``age`` on 2024-06-01 with ECOG ``ecog`` recorded on 2024-05-01."""
    fields.setdefault("performance_status", [] if ecog is None else [ps("2024-05-01", ecog)])
    return make_record(birth_date=f"{2024 - age}-01-01", **fields)


def eligibility(record: Record, crcl: Assessment[float] = CRCL) -> Assessment[bool]:
    return transplant_eligibility(record, AT, current_ecog(record, AT), crcl)


# --- Current ECOG -------------------------------------------------------------------------------------------


def test_current_ecog_is_the_latest_on_or_before_the_date() -> None:
    record = make_record(performance_status=[ps("2024-03-01", 1), ps("2024-05-01", 2), ps("2024-07-01", 3)])
    result = current_ecog(record, AT)
    assert result.value == 2
    assert result.reasons == ("ECOG 2 on 2024-05-01",)


def test_current_ecog_unknown_when_none_recorded_before_the_date() -> None:
    result = current_ecog(make_record(performance_status=[ps("2024-07-01", 0)]), AT)
    assert result.value is None
    assert result.reasons == ("no ECOG performance status recorded on or before 2024-06-01",)


# --- Transplant eligibility ---------------------------------------------------------------------------------


def test_fit_younger_patient_is_eligible() -> None:
    result = eligibility(patient(age=60, ecog=1))
    assert result.value is True
    assert result.reasons == ("age 60", "ECOG 1 on 2024-05-01", "creatinine clearance 72.4 mL/min")


def test_patient_who_declines_is_not_eligible() -> None:
    result = eligibility(patient(preferences={"declines_transplant": True}))
    assert result.value is False
    assert result.reasons[0] == "patient declines transplant"


@pytest.mark.parametrize(("age", "value"), [(64, True), (65, True), (70, True), (71, False)])
def test_age_default_limit_of_70(age: int, value: bool) -> None:
    result = eligibility(patient(age=age))
    assert result.value is value


def test_age_above_the_limit_says_it_is_a_default_the_hematologist_can_override() -> None:
    result = eligibility(patient(age=78))
    assert result.value is False
    assert result.reasons[0].startswith("age 78: above the guideline default of 70")
    assert "hematologist" in result.reasons[0]


def test_age_65_to_70_notes_that_only_fit_patients_qualify() -> None:
    result = eligibility(patient(age=67))
    assert any(r.startswith("age 67: from 65 to 70") for r in result.reasons)


# ECOG 3-4: the mSMART bar is not verified against its source, so the answer is left open (None).
@pytest.mark.parametrize(("ecog", "value"), [(0, True), (2, True), (3, None), (4, None)])
def test_ecog(ecog: int, value: bool) -> None:
    assert eligibility(patient(ecog=ecog)).value is value


def test_ecog_unknown_leaves_eligibility_open() -> None:
    result = eligibility(patient(ecog=None))
    assert result.value is None
    assert result.reasons[0] == "no ECOG performance status recorded on or before 2024-06-01"


def test_age_unknown_leaves_eligibility_open_unless_something_excludes() -> None:
    # A valid record always gives an age; a record stripped of it stands for a source without one.
    unknown_age = patient().model_copy(update={"birth_date": None, "age": None})
    result = eligibility(unknown_age)
    assert result.value is None
    assert "age unknown" in result.reasons
    declined = patient(preferences={"declines_transplant": True}).model_copy(
        update={"birth_date": None, "age": None}
    )
    assert eligibility(declined).value is False


def test_dialysis_is_not_an_absolute_bar() -> None:
    record = patient(comorbidities=[{"condition": "dialysis"}])
    result = eligibility(record, Assessment(8.1, ()))
    assert result.value is True
    assert any(r.startswith("on dialysis: not by itself a bar") for r in result.reasons)


def test_heart_failure_leaves_eligibility_open_for_cardiac_assessment() -> None:
    result = eligibility(patient(comorbidities=[{"condition": "heart_failure"}]))
    assert result.value is None
    assert result.reasons[0].startswith("heart failure recorded")


def test_exclusion_outweighs_what_is_open() -> None:
    result = eligibility(patient(age=75, ecog=None, comorbidities=[{"condition": "heart_failure"}]))
    assert result.value is False
    assert result.reasons[0].startswith("age 75")


def test_unknown_creatinine_clearance_is_reported_not_guessed() -> None:
    result = eligibility(patient(), Assessment(None, ("no serum creatinine",)))
    assert result.value is True
    assert "creatinine clearance unknown" in result.reasons
