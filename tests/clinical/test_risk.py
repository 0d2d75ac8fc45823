"""High-risk myeloma by the IMS/IMWG 2025 consensus (Avet-Loiseau et al., J Clin Oncol 2025)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clinical.builders_fitness import b2m, creatinine, cyto, make_record, negative_panel
from rrmm.clinical.risk import abnormality_status, clone_fraction, high_risk


def standard_risk(**fields: Any) -> dict[str, Any]:
    """A record with every marker tested negative and B2M 3.0 mg/L at diagnosis; fields replace entries."""
    base: dict[str, Any] = {"cytogenetics": negative_panel(), "labs": [b2m(3.0), creatinine(0.9)]}
    base.update(fields)
    return base


def with_findings(*findings: dict[str, Any], labs: list[dict[str, Any]] | None = None) -> Any:
    names = tuple(f["abnormality"] for f in findings)
    return make_record(
        **standard_risk(
            cytogenetics=[*negative_panel(except_=names), *findings],
            **({"labs": labs} if labs is not None else {}),
        )
    )


def test_every_marker_tested_and_negative_is_standard_risk() -> None:
    result = high_risk(make_record(**standard_risk()))
    assert result.value is False
    assert "del(17p) absent on 2019-03-01 (FISH)" in result.reasons
    assert "beta-2 microglobulin 3 mg/L on 2019-03-01: below 5.5" in result.reasons


# --- Criterion 1: del(17p) in more than 20% of plasma cells and/or TP53 mutation ----------------------------


def test_del17p_in_62_percent_is_high_risk() -> None:
    result = high_risk(with_findings(cyto("del(17p)", True, 0.62)))
    assert result.value is True
    assert result.reasons == ("del(17p) in 62% of plasma cells on 2019-03-01 (FISH)",)


@pytest.mark.parametrize(("fraction", "value"), [(0.19, False), (0.20, False), (0.21, True)])
def test_del17p_clone_fraction_boundary(fraction: float, value: bool) -> None:
    # The consensus wording is ">20% clonal fraction": 20% exactly is not above it.
    assert high_risk(with_findings(cyto("del(17p)", True, fraction))).value is value


def test_del17p_at_exactly_20_percent_says_it_sits_on_the_cut_off() -> None:
    result = high_risk(with_findings(cyto("del(17p)", True, 0.20)))
    assert any("exactly at the cut-off" in r for r in result.reasons)


def test_del17p_without_clone_fraction_is_unknown() -> None:
    result = high_risk(with_findings(cyto("del(17p)", True)))
    assert result.value is None
    assert result.reasons[0].startswith("del(17p) present on 2019-03-01 (FISH), clone fraction not recorded")


def test_tp53_mutation_alone_is_high_risk() -> None:
    result = high_risk(with_findings(cyto("TP53 mutation", True)))
    assert result.value is True
    assert result.reasons == ("TP53 mutation present on 2019-03-01",)


def test_untested_tp53_leaves_standard_risk_open() -> None:
    record = make_record(**standard_risk(cytogenetics=negative_panel(except_=("TP53 mutation",))))
    result = high_risk(record)
    assert result.value is None
    assert "TP53 mutation not tested" in result.reasons


# --- Criterion 2: t(4;14), t(14;16) or t(14;20) with 1q+ and/or del(1p32) -----------------------------------


@pytest.mark.parametrize("translocation", ["t(4;14)", "t(14;16)", "t(14;20)"])
@pytest.mark.parametrize("chromosome_1", ["gain(1q)", "amp(1q)", "del(1p)"])
def test_igh_translocation_with_chromosome_1_abnormality(translocation: str, chromosome_1: str) -> None:
    result = high_risk(with_findings(cyto(translocation, True), cyto(chromosome_1, True)))
    assert result.value is True
    assert any(r.startswith(f"{translocation} present") and ", with " in r for r in result.reasons)


def test_translocation_alone_is_not_high_risk() -> None:
    result = high_risk(with_findings(cyto("t(4;14)", True, 0.8)))
    assert result.value is False
    assert "t(4;14) in 80% of plasma cells on 2019-03-01 (FISH), without 1q+ or del(1p32)" in result.reasons


def test_translocation_with_1q_untested_is_open() -> None:
    record = make_record(
        **standard_risk(
            cytogenetics=[*negative_panel(except_=("t(4;14)", "gain(1q)", "amp(1q)")), cyto("t(4;14)", True)]
        )
    )
    assert high_risk(record).value is None


# --- Criterion 3: monoallelic del(1p32) with 1q+, or biallelic del(1p32) ------------------------------------


def test_del1p_with_1q_gain_is_high_risk() -> None:
    result = high_risk(with_findings(cyto("del(1p)", True, 0.5), cyto("gain(1q)", True, 0.6)))
    assert result.value is True
    assert (
        "del(1p32) in 50% of plasma cells on 2019-03-01 (FISH), "
        "with gain(1q) in 60% of plasma cells on 2019-03-01 (FISH)"
    ) in result.reasons


def test_del1p_alone_is_open_because_biallelic_status_is_not_recorded() -> None:
    result = high_risk(with_findings(cyto("del(1p)", True)))
    assert result.value is None
    assert any("biallelic" in r and "cannot tell" in r for r in result.reasons)


# --- Criterion 4: beta-2 microglobulin >= 5.5 mg/L with creatinine < 1.2 mg/dL -----------------------------


@pytest.mark.parametrize(
    ("b2m_mg_l", "creatinine_mg_dl", "value"),
    [
        (5.5, 1.19, True),  # B2M exactly 5.5 counts; creatinine just below 1.2 is normal
        (5.5, 1.2, False),  # creatinine 1.2 is not "< 1.2": the high B2M may be renal
        (5.49, 0.8, False),
        (8.0, 2.5, False),
    ],
)
def test_high_b2m_with_normal_creatinine(b2m_mg_l: float, creatinine_mg_dl: float, value: bool) -> None:
    record = make_record(**standard_risk(labs=[b2m(b2m_mg_l), creatinine(creatinine_mg_dl)]))
    assert high_risk(record).value is value


def test_high_b2m_without_creatinine_is_open() -> None:
    result = high_risk(make_record(**standard_risk(labs=[b2m(6.0)])))
    assert result.value is None
    assert any("no creatinine at diagnosis" in r for r in result.reasons)


def test_b2m_is_read_at_diagnosis_not_at_relapse() -> None:
    # 7.0 mg/L years later, after treatment, does not count; the diagnosis value does.
    labs = [b2m(3.0), creatinine(0.9), b2m(7.0, date="2023-01-10"), creatinine(0.9, date="2023-01-10")]
    assert high_risk(make_record(**standard_risk(labs=labs))).value is False


def test_missing_b2m_at_diagnosis_is_open() -> None:
    result = high_risk(make_record(**standard_risk(labs=[])))
    assert result.value is None
    assert any(r.startswith("no beta-2 microglobulin at diagnosis") for r in result.reasons)


# --- Three-valued logic -------------------------------------------------------------------------------------


def test_a_positive_criterion_decides_even_when_others_are_untested() -> None:
    record = make_record(cytogenetics=[cyto("del(17p)", True, 0.6)])  # nothing else tested, no labs
    result = high_risk(record)
    assert result.value is True
    assert result.reasons == ("del(17p) in 60% of plasma cells on 2019-03-01 (FISH)",)


def test_nothing_tested_is_unknown() -> None:
    result = high_risk(make_record())
    assert result.value is None
    assert "del(17p) not tested" in result.reasons


def test_abnormality_found_at_relapse_counts() -> None:
    cytogenetics = [*negative_panel(), cyto("del(17p)", True, 0.7, date="2023-05-01")]
    record = make_record(**standard_risk(cytogenetics=cytogenetics))
    assert high_risk(record).value is True
    assert high_risk(record, at=dt.date(2022, 1, 1)).value is False


# --- The shared cytogenetics lookup -------------------------------------------------------------------------


def test_abnormality_status_three_values() -> None:
    record = make_record(cytogenetics=[cyto("t(4;14)", False), cyto("del(17p)", True, 0.3)])
    assert abnormality_status(record, "t(4;14)") is False  # tested negative: absent
    assert abnormality_status(record, "del(17p)") is True
    assert abnormality_status(record, "t(14;16)") is None  # never tested: unknown


def test_positive_test_outweighs_a_negative_one_and_period_is_respected() -> None:
    record = make_record(
        cytogenetics=[
            cyto("del(17p)", True, 0.4, date="2019-03-01"),
            cyto("del(17p)", False, date="2021-06-01"),
        ]
    )
    assert abnormality_status(record, "del(17p)") is True
    assert clone_fraction(record, "del(17p)") == pytest.approx(0.4)
    assert abnormality_status(record, "del(17p)", since=dt.date(2020, 1, 1)) is False
    assert clone_fraction(record, "del(17p)", since=dt.date(2020, 1, 1)) is None
    assert abnormality_status(record, "del(17p)", dt.date(2019, 1, 1)) is None
