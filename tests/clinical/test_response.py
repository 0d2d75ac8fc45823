"""IMWG 2016 response and progression rules (Kumar et al., Lancet Oncol 2016, Table 3).

Each case restates the row of the criteria it comes from.
"""

from __future__ import annotations

import datetime as dt

import pytest

from builders import lab, make_record, serum
from rrmm.clinical.response import (
    Baseline,
    Snapshot,
    dflc_progression,
    disease_measures,
    first_progression,
    marrow_progression,
    measurable_disease,
    response_category,
    response_course,
    serum_progression,
    urine_progression,
)

D = dt.date


def base(serum_g_dl=None, urine=None, dflc=None, marrow=None, measurable=("serum",)) -> Baseline:
    return Baseline(D(2020, 1, 1), serum_g_dl, urine, dflc, None, None, marrow, measurable)


def snap(serum_g_dl=None, urine=None, dflc=None, ratio=None, marrow=None, ife_s=None, ife_u=None, mrd=False):
    return Snapshot(D(2020, 3, 1), serum_g_dl, urine, dflc, ratio, marrow, ife_s, ife_u, mrd)


class TestMeasurableDisease:
    # "Serum M-protein >= 1 g/dL; urine M-protein >= 200 mg/24 h; involved FLC >= 10 mg/dL with an abnormal
    # kappa/lambda ratio" (IMWG 2016, measurable disease).
    def test_serum_threshold_is_one_gram(self):
        assert measurable_disease(1.0, None, None, None) == ("serum",)
        assert measurable_disease(0.99, None, None, None) == ()

    def test_urine_threshold_is_200_mg(self):
        assert measurable_disease(None, 200.0, None, None) == ("urine",)
        assert measurable_disease(None, 199.0, None, None) == ()

    def test_flc_needs_100_mg_per_l_and_an_abnormal_ratio(self):
        assert measurable_disease(0.2, 50.0, 100.0, 8.0) == ("flc",)
        assert measurable_disease(0.2, 50.0, 99.0, 8.0) == ()
        assert measurable_disease(0.2, 50.0, 300.0, 1.2) == ()  # ratio in 0.26-1.65: not measurable

    def test_flc_is_not_the_measure_when_serum_is_measurable(self):
        assert measurable_disease(2.0, None, 500.0, 20.0) == ("serum",)


class TestResponseCategory:
    def test_partial_response_at_fifty_percent(self):
        # PR: ">= 50% reduction of serum M-protein"
        assert response_category(base(4.0), snap(2.0)) == "PR"
        assert response_category(base(4.0), snap(2.04)) == "MR"

    def test_minimal_response_between_25_and_49_percent(self):
        assert response_category(base(4.0), snap(3.0)) == "MR"
        assert response_category(base(4.0), snap(3.04)) == "SD"

    def test_vgpr_at_ninety_percent_with_urine_below_100(self):
        assert response_category(base(4.0), snap(0.4)) == "VGPR"
        assert response_category(base(4.0), snap(0.4, urine=150.0)) == "PR"  # urine not < 100 mg/24 h

    def test_vgpr_when_only_immunofixation_detects_it(self):
        # "Serum and urine M-protein detectable by immunofixation but not on electrophoresis"
        assert response_category(base(1.2), snap(0.0, ife_s=True)) == "VGPR"

    def test_partial_response_needs_the_urine_criterion_when_urine_was_measurable(self):
        b = base(3.0, urine=1000.0, measurable=("serum", "urine"))
        assert response_category(b, snap(1.4, urine=150.0)) == "PR"  # urine < 200 mg/24 h
        assert response_category(b, snap(1.4, urine=400.0)) == "MR"  # urine down 60%: MR's 50-89%

    def test_complete_response_needs_negative_immunofixation_and_marrow_below_five_percent(self):
        assert response_category(base(3.0), snap(0.0, ife_s=False, ife_u=False, marrow=3.0)) == "CR"
        assert response_category(base(3.0), snap(0.0, ife_s=False, ife_u=False, marrow=5.0)) == "VGPR"
        assert response_category(base(3.0), snap(0.0, ife_s=False, ife_u=False)) == "VGPR"  # no marrow

    def test_an_m_spike_on_electrophoresis_rules_out_cr(self):
        # detectable by electrophoresis: not CR whatever the immunofixation says (VGPR at 97% reduction)
        assert response_category(base(3.0), snap(0.1, ife_s=False, ife_u=False, marrow=2.0)) == "VGPR"

    def test_stringent_cr_adds_a_normal_flc_ratio_and_no_clonal_cells(self):
        cr = dict(ife_s=False, ife_u=False, marrow=2.0)
        assert response_category(base(3.0), snap(0.0, ratio=1.0, mrd=True, **cr)) == "sCR"
        assert response_category(base(3.0), snap(0.0, ratio=2.0, mrd=True, **cr)) == "CR"
        assert response_category(base(3.0), snap(0.0, ratio=1.0, **cr)) == "CR"

    def test_flc_only_disease_is_graded_on_dflc(self):
        b = base(dflc=500.0, measurable=("flc",))
        assert response_category(b, snap(dflc=50.0)) == "VGPR"  # >= 90% decrease
        assert response_category(b, snap(dflc=250.0)) == "PR"  # >= 50% decrease
        assert response_category(b, snap(dflc=300.0)) == "SD"  # no MR category for FLC-only disease

    def test_flc_only_complete_response_needs_a_normal_ratio(self):
        b = base(dflc=500.0, measurable=("flc",))
        cr = dict(ife_s=False, ife_u=False, marrow=2.0, dflc=5.0)
        assert response_category(b, snap(ratio=1.0, **cr)) == "CR"
        assert response_category(b, snap(ratio=3.0, **cr)) == "VGPR"

    def test_no_measurable_disease_and_low_marrow_cannot_be_graded(self):
        assert response_category(base(marrow=20.0, measurable=()), snap(marrow=5.0)) is None

    def test_marrow_only_partial_response_needs_a_baseline_of_thirty_percent(self):
        assert response_category(base(marrow=40.0, measurable=()), snap(marrow=20.0)) == "PR"

    def test_missing_serum_value_cannot_be_graded(self):
        assert response_category(base(3.0), snap(None)) is None


class TestProgressionRules:
    def test_serum_needs_25_percent_and_half_a_gram(self):
        assert serum_progression(0.2, 0.7)  # +0.5 g/dL, well over 25%
        assert not serum_progression(0.2, 0.69)
        assert serum_progression(2.0, 2.5)  # +0.5 = exactly 25%
        assert not serum_progression(3.0, 3.5)  # +0.5 but only 17%
        assert serum_progression(3.0, 3.75)

    def test_serum_nadir_of_five_grams_needs_one_gram(self):
        # "Serum M-protein increase >= 1 g/dL, if the lowest M component was >= 5 g/dL"
        assert serum_progression(5.0, 6.0)
        assert not serum_progression(5.0, 5.9)
        assert not serum_progression(4.9, 5.9)  # below 5 g/dL the 25% rule applies: 1.225 needed

    def test_urine_needs_200_mg(self):
        assert urine_progression(100.0, 300.0)
        assert not urine_progression(100.0, 299.0)
        assert not urine_progression(1000.0, 1240.0)  # +240 mg but only 24%

    def test_dflc_needs_more_than_10_mg_per_dl(self):
        assert not dflc_progression(50.0, 150.0)  # exactly 10 mg/dL: "> 10 mg/dL" not met
        assert dflc_progression(50.0, 151.0)

    def test_marrow_needs_ten_points(self):
        assert marrow_progression(20.0, 30.0)
        assert not marrow_progression(20.0, 29.0)


class TestConfirmedProgression:
    def record_with(self, series, events=(), findings=(), **extra):
        return make_record(
            labs=serum(series) + list(extra.pop("labs", [])),
            events=list(events),
            findings=list(findings),
            therapies=[{"drug": "lenalidomide", "start": "2020-01-01"}],
            **extra,
        )

    def test_two_consecutive_rises_confirm_progression_dated_at_the_first(self):
        rec = self.record_with(
            [
                ("2019-12-20", 3.0),
                ("2020-03-01", 1.0),
                ("2020-06-01", 0.6),
                ("2020-07-01", 1.2),
                ("2020-08-01", 1.3),
            ]
        )
        found = first_progression(disease_measures(rec), (), D(2020, 1, 1), D(2021, 1, 1))
        assert found is not None and found.date == D(2020, 7, 1) and found.measure == "serum"

    def test_a_single_rise_is_not_progression(self):
        rec = self.record_with(
            [("2019-12-20", 3.0), ("2020-06-01", 0.6), ("2020-07-01", 1.2), ("2020-08-01", 0.7)]
        )
        assert first_progression(disease_measures(rec), (), D(2020, 1, 1), D(2021, 1, 1)) is None

    def test_a_recorded_progression_counts_without_labs(self):
        rec = self.record_with([], events=[{"date": "2020-05-05", "type": "progression"}])
        measures = disease_measures(rec)
        found = first_progression(measures, (D(2020, 5, 5),), D(2020, 1, 1), D(2021, 1, 1))
        assert found is not None and found.date == D(2020, 5, 5) and found.measure == "event"

    def test_new_bone_lesion_is_progression_without_confirmation(self):
        rec = self.record_with(
            [("2019-12-20", 3.0), ("2020-03-01", 1.0)],
            findings=[{"date": "2020-04-02", "test": "new_bone_lesion", "result": "positive"}],
        )
        found = first_progression(disease_measures(rec), (), D(2020, 1, 1), D(2021, 1, 1))
        assert found is not None and found.date == D(2020, 4, 2)

    def test_flc_only_disease_progresses_on_dflc(self):
        labs = []
        for day, kappa in (
            ("2019-12-20", 800.0),
            ("2020-03-01", 60.0),
            ("2020-04-01", 180.0),
            ("2020-05-01", 200.0),
        ):
            labs += [lab("flc_kappa", day, kappa, "mg/L"), lab("flc_lambda", day, 10.0, "mg/L")]
        rec = self.record_with([], labs=labs, diagnosis={"date": "2019-12-01", "light_chain": "kappa"})
        found = first_progression(disease_measures(rec), (), D(2020, 1, 1), D(2021, 1, 1))
        # nadir dFLC 50 mg/L; 170 and 190 mg/L are both > 25% and > 100 mg/L above it
        assert found is not None and found.date == D(2020, 4, 1) and found.measure == "flc"

    def test_dflc_is_not_used_when_serum_is_measurable(self):
        labs = []
        for day, kappa in (
            ("2019-12-20", 800.0),
            ("2020-03-01", 60.0),
            ("2020-04-01", 400.0),
            ("2020-05-01", 500.0),
        ):
            labs += [lab("flc_kappa", day, kappa, "mg/L"), lab("flc_lambda", day, 10.0, "mg/L")]
        rec = self.record_with([("2019-12-20", 2.0), ("2020-04-01", 0.3), ("2020-05-01", 0.3)], labs=labs)
        assert first_progression(disease_measures(rec), (), D(2020, 1, 1), D(2021, 1, 1)) is None


class TestResponseCourse:
    def test_best_response_is_the_best_confirmed_category(self):
        rec = make_record(
            labs=serum([("2019-12-20", 4.0), ("2020-02-01", 1.8), ("2020-03-01", 0.35), ("2020-04-01", 0.3)]),
            therapies=[{"drug": "lenalidomide", "start": "2020-01-01"}],
        )
        course = response_course(disease_measures(rec), D(2020, 1, 1), D(2021, 1, 1))
        # PR on 02-01 confirmed by VGPR on 03-01 (lower of the two: PR); VGPR confirmed on 03-01 by 04-01.
        assert [c for _, c in course.confirmed] == ["PR", "VGPR"]
        assert course.best_confirmed == "VGPR"

    def test_an_unconfirmed_response_is_not_a_response(self):
        rec = make_record(
            labs=serum([("2019-12-20", 4.0), ("2020-02-01", 1.8)]),
            therapies=[{"drug": "lenalidomide", "start": "2020-01-01"}],
        )
        assert response_course(disease_measures(rec), D(2020, 1, 1), D(2021, 1, 1)).best_confirmed is None


@pytest.mark.parametrize(
    ("unit", "value", "expected_g_dl"),
    [("g/L", 25.0, 2.5), ("g/dL", 2.5, 2.5), ("mg/dL", 2500.0, 2.5)],
)
def test_m_protein_in_other_units_grades_the_same(unit, value, expected_g_dl):
    rec = make_record(labs=[lab("m_protein_serum", "2020-01-01", value, unit)])
    assert disease_measures(rec).serum[0].value == pytest.approx(expected_g_dl)
