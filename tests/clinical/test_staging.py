"""ISS (Greipp 2005), R-ISS (Palumbo 2015), R2-ISS (D'Agostino 2022) and staging at diagnosis."""

from __future__ import annotations

import pytest

from clinical.builders_fitness import albumin, b2m, creatinine, cyto, lab, ldh, make_record
from rrmm.clinical.staging import (
    DIAGNOSIS_WINDOW_DAYS,
    iss,
    ldh_high,
    r2_iss,
    r_iss,
    stage_at_diagnosis,
)

# --- ISS: stage I B2M < 3.5 mg/L and albumin >= 3.5 g/dL; stage III B2M >= 5.5 mg/L; II otherwise ---------


@pytest.mark.parametrize(
    ("b2m_mg_l", "albumin_g_dl", "stage"),
    [
        (3.49, 3.5, "I"),  # albumin exactly 3.5 is ">= 3.5"
        (3.0, 3.49, "II"),  # low albumin
        (3.5, 4.2, "II"),  # B2M exactly 3.5 is not "< 3.5"
        (5.49, 4.2, "II"),
        (5.5, 4.2, "III"),  # B2M exactly 5.5 is ">= 5.5"
        (5.5, 2.0, "III"),
        (6.1, None, "III"),  # albumin cannot change stage III
        (4.0, None, "II"),  # nor stage II by B2M
    ],
)
def test_iss_boundaries(b2m_mg_l: float, albumin_g_dl: float | None, stage: str) -> None:
    assert iss(b2m_mg_l, albumin_g_dl).value == stage


def test_iss_unknown_when_albumin_decides_and_is_missing() -> None:
    result = iss(3.0, None)
    assert result.value is None
    assert "albumin missing" in result.reasons[0]


def test_iss_unknown_without_beta2_microglobulin() -> None:
    result = iss(None, 4.0)
    assert result.value is None
    assert "beta-2 microglobulin missing" in result.reasons[0]


# --- LDH above the laboratory's upper limit of normal -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "uln", "high"),
    [
        (300.0, 250.0, True),
        (250.0, 250.0, False),
        (180.0, 250.0, False),
        (300.0, None, None),
        (None, 250.0, None),
    ],
)
def test_ldh_high(value: float | None, uln: float | None, high: bool | None) -> None:
    assert ldh_high(value, uln) is high


# --- R-ISS: I = ISS I + standard-risk CA + normal LDH; III = ISS III + (high-risk CA or high LDH) -----------


@pytest.mark.parametrize(
    ("iss_stage", "high_risk_ca", "ldh_is_high", "stage"),
    [
        ("I", False, False, "I"),
        ("I", True, False, "II"),
        ("I", False, True, "II"),
        ("I", True, None, "II"),  # an adverse factor found: not I whatever LDH is
        ("I", None, False, None),  # I or II depending on the untested cytogenetics
        ("I", False, None, None),
        ("II", None, None, "II"),  # ISS II is R-ISS II regardless of LDH and cytogenetics
        ("II", True, True, "II"),
        ("III", None, True, "III"),  # high LDH makes III even with cytogenetics unknown
        ("III", True, None, "III"),
        ("III", False, False, "II"),
        ("III", None, False, None),
        (None, False, False, None),
    ],
)
def test_r_iss(
    iss_stage: str | None, high_risk_ca: bool | None, ldh_is_high: bool | None, stage: str | None
) -> None:
    assert r_iss(iss_stage, high_risk_ca, ldh_is_high).value == stage


# --- R2-ISS: ISS II 1, ISS III 1.5, del(17p) 1, high LDH 1, t(4;14) 1, 1q+ 0.5; I 0, II 0.5-1, III 1.5-2.5,
# IV 3-5 -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iss_stage", "del_17p", "ldh_is_high", "t_4_14", "gain_1q", "stage"),
    [
        ("I", False, False, False, False, "I"),  # 0
        ("I", False, False, False, True, "II"),  # 0.5
        ("II", False, False, False, False, "II"),  # 1
        ("III", False, False, False, False, "III"),  # 1.5
        ("II", True, False, False, True, "III"),  # 1 + 1 + 0.5 = 2.5
        ("III", False, True, False, True, "IV"),  # 1.5 + 1 + 0.5 = 3
        ("III", True, True, True, True, "IV"),  # 5, the maximum
        ("I", True, False, False, False, "II"),  # 1
        ("I", True, True, False, False, "III"),  # 2
    ],
)
def test_r2_iss_scores(
    iss_stage: str, del_17p: bool, ldh_is_high: bool, t_4_14: bool, gain_1q: bool, stage: str
) -> None:
    assert r2_iss(iss_stage, del_17p, ldh_is_high, t_4_14, gain_1q).value == stage


def test_r2_iss_unknown_factor_that_could_change_the_group() -> None:
    # ISS I, all else absent, 1q+ untested: 0 (I) or 0.5 (II).
    result = r2_iss("I", False, False, False, None)
    assert result.value is None
    assert "1q+" in result.reasons[0]


def test_r2_iss_unknown_factors_that_cannot_change_the_group() -> None:
    # ISS III + del(17p) + high LDH = 3.5 already: IV whatever t(4;14) and 1q+ are (at most 5).
    result = r2_iss("III", True, True, None, None)
    assert result.value == "IV"
    assert "cannot change it" in result.reasons[0]


def test_r2_iss_with_iss_unknown() -> None:
    # del(17p) + high LDH + t(4;14) = 3: IV whatever the ISS adds.
    assert r2_iss(None, True, True, True, False).value == "IV"
    assert r2_iss(None, False, False, False, False).value is None  # 0 to 1.5: I, II or III


# --- Staging a record at diagnosis --------------------------------------------------------------------------


def test_stage_at_diagnosis_uses_values_at_diagnosis_and_names_them() -> None:
    record = make_record(
        labs=[b2m(6.1), albumin(3.1), ldh(320.0, uln=250.0), creatinine(1.0)],
        cytogenetics=[
            cyto("del(17p)", True, 0.62),
            cyto("t(4;14)", False),
            cyto("t(14;16)", False),
            cyto("gain(1q)", True, 0.4),
        ],
    )
    stage = stage_at_diagnosis(record)
    assert (stage.iss, stage.r_iss, stage.r2_iss) == ("III", "III", "IV")  # 1.5 + 1 + 1 + 0.5 = 4
    assert "beta-2 microglobulin 6.1 mg/L on 2019-03-01" in stage.reasons
    assert "albumin 3.1 g/dL on 2019-03-01" in stage.reasons
    assert "del(17p) in 62% of plasma cells on 2019-03-01 (FISH)" in stage.reasons
    assert "t(4;14) absent on 2019-03-01 (FISH)" in stage.reasons


def test_iss_ii_gives_r_iss_ii_without_ldh_or_cytogenetics() -> None:
    stage = stage_at_diagnosis(make_record(labs=[b2m(4.0), albumin(3.8)]))
    assert (stage.iss, stage.r_iss) == ("II", "II")
    assert stage.r2_iss is None  # 1 point known, up to 4.5 with the unknown factors
    assert "no LDH in that window" in stage.reasons
    assert "del(17p) not tested in that window" in stage.reasons


def test_iss_iii_with_high_ldh_is_r_iss_iii_with_cytogenetics_unknown() -> None:
    stage = stage_at_diagnosis(make_record(labs=[b2m(7.0), albumin(3.0), ldh(400.0, uln=250.0)]))
    assert (stage.iss, stage.r_iss) == ("III", "III")
    # R2-ISS: 2.5 known (ISS III 1.5, high LDH 1) is III, but the untested del(17p), t(4;14) and 1q+ could
    # add up to 2.5 more: III or IV.
    assert stage.r2_iss is None


def test_iss_iii_with_normal_ldh_and_untested_cytogenetics_is_open() -> None:
    stage = stage_at_diagnosis(make_record(labs=[b2m(7.0), albumin(3.0), ldh(200.0, uln=250.0)]))
    assert stage.iss == "III"
    assert stage.r_iss is None
    assert any("R-ISS II or III" in r for r in stage.reasons)


def test_tested_absent_counts_as_absent() -> None:
    negative = [cyto(n, False) for n in ("del(17p)", "t(4;14)", "t(14;16)", "gain(1q)", "amp(1q)")]
    stage = stage_at_diagnosis(make_record(labs=[b2m(2.5), albumin(4.0), ldh(200.0)], cytogenetics=negative))
    assert (stage.iss, stage.r_iss, stage.r2_iss) == ("I", "I", "I")


def test_ldh_without_upper_limit_is_unknown() -> None:
    negative = [cyto(n, False) for n in ("del(17p)", "t(4;14)", "t(14;16)", "gain(1q)")]
    stage = stage_at_diagnosis(
        make_record(labs=[b2m(2.5), albumin(4.0), ldh(200.0, uln=None)], cytogenetics=negative)
    )
    assert stage.r_iss is None
    assert "LDH upper limit of normal not recorded: high or normal LDH unknown" in stage.reasons


def test_albumin_in_g_per_l_is_converted_before_staging() -> None:
    # 35 g/L = 3.5 g/dL: exactly the ISS stage I albumin threshold.
    record = make_record(labs=[b2m(3.0), lab("albumin", "2019-03-01", 35.0, "g/L")])
    assert stage_at_diagnosis(record).iss == "I"


def test_values_after_first_therapy_are_not_used() -> None:
    record = make_record(labs=[b2m(6.5, date="2019-04-01"), albumin(3.0, date="2019-04-01")])
    stage = stage_at_diagnosis(record)
    assert stage.iss is None
    assert "no beta-2 microglobulin in that window" in stage.reasons
    assert any("to the start of the first therapy" in r for r in stage.reasons)


def test_values_outside_the_window_are_not_used() -> None:
    # The window opens DIAGNOSIS_WINDOW_DAYS before diagnosis (2018-12-01 for 2019-03-01 and 90 days).
    assert DIAGNOSIS_WINDOW_DAYS == 90
    record = make_record(labs=[b2m(2.0, date="2018-11-30"), albumin(4.0, date="2018-11-30")])
    assert stage_at_diagnosis(record).iss is None
    record = make_record(labs=[b2m(2.0, date="2018-12-01"), albumin(4.0, date="2018-12-01")])
    assert stage_at_diagnosis(record).iss == "I"


def test_nearest_value_to_diagnosis_is_used() -> None:
    record = make_record(labs=[b2m(2.0, date="2019-01-10"), b2m(6.0, date="2019-02-25"), albumin(4.0)])
    stage = stage_at_diagnosis(record)
    assert stage.iss == "III"
    assert "beta-2 microglobulin 6 mg/L on 2019-02-25" in stage.reasons


def test_window_without_therapy_extends_after_diagnosis() -> None:
    record = make_record(therapies=[], labs=[b2m(2.0, date="2019-05-01"), albumin(4.0, date="2019-05-01")])
    assert stage_at_diagnosis(record).iss == "I"
