"""Cockcroft-Gault (Nephron 1976), CKD-EPI 2021 (Inker et al., NEJM 2021) and kidney function on a date."""

from __future__ import annotations

import datetime as dt

import pytest

from clinical.builders_fitness import creatinine, make_record
from rrmm.clinical.kidney import ckd_epi_2021, cockcroft_gault, kidney_function

AT = dt.date(2019, 6, 1)  # the test patient, born 1959-01-01, is 60 on this date

# --- Cockcroft-Gault: CrCl = (140 - age) x weight / (72 x Scr), x 0.85 in women -----------------------------


def test_cockcroft_gault_worked_example_man() -> None:
    # (140 - 60) x 72 / (72 x 1.0) = 80 mL/min
    assert cockcroft_gault(60, 72.0, 1.0, "male") == pytest.approx(80.0)


def test_cockcroft_gault_women_are_15_percent_lower() -> None:
    # 80 x 0.85 = 68 mL/min
    assert cockcroft_gault(60, 72.0, 1.0, "female") == pytest.approx(68.0)


def test_cockcroft_gault_second_worked_example() -> None:
    # (140 - 80) x 60 / (72 x 1.5) = 3600 / 108 = 33.33; x 0.85 = 28.33 mL/min
    assert cockcroft_gault(80, 60.0, 1.5, "female") == pytest.approx(28.333, abs=1e-3)


@pytest.mark.parametrize("sex", ["other", "unknown"])
def test_cockcroft_gault_has_no_factor_for_other_sexes(sex: str) -> None:
    assert cockcroft_gault(60, 72.0, 1.0, sex) is None


@pytest.mark.parametrize(("creatinine_mg_dl", "weight"), [(0.0, 72.0), (-1.0, 72.0), (1.0, 0.0)])
def test_cockcroft_gault_rejects_impossible_inputs(creatinine_mg_dl: float, weight: float) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        cockcroft_gault(60, weight, creatinine_mg_dl, "male")


# --- CKD-EPI 2021: 142 x min(Scr/k,1)^a x max(Scr/k,1)^-1.200 x 0.9938^age x 1.012 [female] -----------------


def test_ckd_epi_2021_woman_at_the_knot() -> None:
    # Scr 0.7 = k (female): both min and max terms are 1.
    # 142 x 0.9938^50 x 1.012 = 142 x 0.73274 x 1.012 = 105.3 mL/min/1.73 m2
    assert ckd_epi_2021(50, 0.7, "female") == pytest.approx(105.3, abs=0.05)


def test_ckd_epi_2021_man_at_the_knot() -> None:
    # Scr 0.9 = k (male): 142 x 0.9938^60 = 142 x 0.68856 = 97.8 mL/min/1.73 m2
    assert ckd_epi_2021(60, 0.9, "male") == pytest.approx(97.8, abs=0.05)


def test_ckd_epi_2021_above_the_knot() -> None:
    # Man, 60, Scr 1.0: (1.0/0.9)^-1.200 = 0.88123; 142 x 0.88123 x 0.68856 = 86.2
    assert ckd_epi_2021(60, 1.0, "male") == pytest.approx(86.2, abs=0.05)
    # Man, 70, Scr 2.0: (2.0/0.9)^-1.200 = 0.38358; 0.9938^70 = 0.64704; 142 x 0.38358 x 0.64704 = 35.2
    assert ckd_epi_2021(70, 2.0, "male") == pytest.approx(35.2, abs=0.05)


def test_ckd_epi_2021_below_the_knot() -> None:
    # Woman, 40, Scr 0.5: (0.5/0.7)^-0.241 = 1.08447; 0.9938^40 = 0.77976;
    # 142 x 1.08447 x 0.77976 x 1.012 = 121.5
    assert ckd_epi_2021(40, 0.5, "female") == pytest.approx(121.5, abs=0.05)


def test_ckd_epi_2021_has_no_race_term_and_no_factor_for_other_sexes() -> None:
    assert ckd_epi_2021(60, 1.0, "unknown") is None
    with pytest.raises(TypeError):
        ckd_epi_2021(60, 1.0, "male", "black")  # type: ignore[call-arg]


def test_ckd_epi_2021_is_for_adults() -> None:
    with pytest.raises(ValueError, match="adults"):
        ckd_epi_2021(17, 1.0, "male")


# --- Kidney function of a record on a date ------------------------------------------------------------------


def test_kidney_function_uses_latest_creatinine_on_or_before_the_date() -> None:
    record = make_record(
        weight_kg=72.0,
        labs=[creatinine(1.4, "2019-04-01"), creatinine(1.0, "2019-05-15"), creatinine(2.0, "2019-07-01")],
    )
    kidney = kidney_function(record, AT)
    assert kidney.creatinine_mg_dl == pytest.approx(1.0)
    assert kidney.creatinine_date == dt.date(2019, 5, 15)
    assert kidney.crcl_ml_min.value == 80.0  # the worked example: age 60, 72 kg, 1.0 mg/dL
    assert kidney.egfr.value == 86.2
    assert kidney.crcl_ml_min.reasons[:4] == (
        "creatinine 1 mg/dL on 2019-05-15",
        "age 60",
        "weight 72 kg",
        "male",
    )
    assert kidney.on_dialysis is False


def test_kidney_function_rounds_to_one_decimal() -> None:
    record = make_record(
        sex="female", birth_date="1939-01-01", weight_kg=60.0, labs=[creatinine(1.5, "2019-05-01")]
    )
    kidney = kidney_function(record, AT)  # age 80: 28.333... -> 28.3
    assert kidney.crcl_ml_min.value == 28.3


def test_creatinine_in_micromoles_is_converted() -> None:
    # 88.4 umol/L x 113.12 g/mol = 10.0 mg/L = 1.0 mg/dL
    record = make_record(weight_kg=72.0, labs=[creatinine(88.4, "2019-05-15", unit="umol/L")])
    assert kidney_function(record, AT).crcl_ml_min.value == 80.0


def test_missing_weight_gives_no_clearance_but_an_egfr() -> None:
    record = make_record(labs=[creatinine(1.0, "2019-05-15")])
    kidney = kidney_function(record, AT)
    assert kidney.crcl_ml_min.value is None
    assert "weight unknown: Cockcroft-Gault needs the actual body weight" in kidney.crcl_ml_min.reasons
    assert kidney.egfr.value == 86.2


@pytest.mark.parametrize("sex", ["other", "unknown"])
def test_sex_other_or_unknown_gives_no_estimate_and_says_why(sex: str) -> None:
    record = make_record(sex=sex, weight_kg=72.0, labs=[creatinine(1.0, "2019-05-15")])
    kidney = kidney_function(record, AT)
    assert kidney.crcl_ml_min.value is None
    assert kidney.egfr.value is None
    assert f"sex {sex}: Cockcroft-Gault has factors for female and male only" in kidney.crcl_ml_min.reasons
    assert f"sex {sex}: CKD-EPI 2021 has coefficients for female and male only" in kidney.egfr.reasons


def test_no_creatinine_before_the_date() -> None:
    record = make_record(weight_kg=72.0, labs=[creatinine(1.0, "2019-07-01")])
    kidney = kidney_function(record, AT)
    assert kidney.crcl_ml_min.value is None
    assert kidney.creatinine_mg_dl is None
    assert kidney.crcl_ml_min.reasons == ("no serum creatinine on or before 2019-06-01",)


def test_dialysis_is_reported() -> None:
    record = make_record(
        weight_kg=72.0,
        labs=[creatinine(5.0, "2019-05-15")],
        comorbidities=[{"condition": "dialysis", "since": "2019-04-01"}],
    )
    kidney = kidney_function(record, AT)
    assert kidney.on_dialysis is True
    assert any(r.startswith("on dialysis") for r in kidney.crcl_ml_min.reasons)
    assert kidney_function(record, dt.date(2019, 3, 31)).on_dialysis is False  # dialysis started later
