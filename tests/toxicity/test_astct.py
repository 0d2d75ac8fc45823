"""ASTCT consensus grading (Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38), from its tables."""

from __future__ import annotations

import pytest

from rrmm.toxicity.astct import IceAnswers, crs_grade, explain_crs, explain_icans, icans_grade, ice_score


@pytest.mark.parametrize(
    ("fever", "hypotension", "oxygen", "grade"),
    [
        (True, "none", "none", 1),  # fever alone
        (True, "fluids_only", "none", 2),  # hypotension not requiring vasopressors
        (True, "none", "low_flow", 2),  # low-flow nasal cannula <= 6 L/min or blow-by
        (True, "one", "none", 3),  # one vasopressor with or without vasopressin
        (True, "none", "high_flow", 3),  # > 6 L/min, facemask, non-rebreather, Venturi
        (True, "multiple", "none", 4),  # multiple vasopressors excluding vasopressin
        (True, "none", "positive_pressure", 4),  # CPAP, BiPAP, ventilation
        # "a febrile patient on a single vasopressor and low-flow nasal cannula ... grade 3"
        (True, "one", "low_flow", 3),
        (False, "multiple", "positive_pressure", 0),  # no fever, no CRS (unless fever was treated)
    ],
)
def test_crs_grade(fever, hypotension, oxygen, grade):
    assert crs_grade(fever, hypotension, oxygen) == grade


def test_crs_after_antipyretic_or_anticytokine_therapy_is_graded_on_hypotension_and_hypoxia():
    assert crs_grade(False, "fluids_only", "none", fever_treated=True) == 2


def test_ice_score_adds_its_ten_points():
    assert ice_score(IceAnswers(4, 3, True, True, True)) == 10
    assert ice_score(IceAnswers(2, 1, True, False, False)) == 4
    with pytest.raises(ValueError):
        IceAnswers(5, 3, True, True, True)


@pytest.mark.parametrize(("ice", "grade"), [(10, 0), (9, 1), (7, 1), (6, 2), (3, 2), (2, 3), (0, 3)])
def test_icans_by_ice_score(ice, grade):
    assert icans_grade(ice) == grade


def test_icans_takes_the_most_severe_domain():
    assert icans_grade(10, consciousness="voice") == 2
    assert icans_grade(8, consciousness="tactile") == 3
    assert icans_grade(9, seizure="resolved_rapidly") == 3
    assert icans_grade(9, seizure="prolonged") == 4
    assert icans_grade(10, motor_weakness=True) == 4
    assert icans_grade(10, edema="focal") == 3
    assert icans_grade(10, edema="diffuse") == 4
    assert icans_grade(None, unarousable=True) == 4  # ICE 0 because unarousable
    with pytest.raises(ValueError):
        icans_grade(11)


def test_explained_crs_names_the_domain_that_set_the_grade():
    # the paper's example: fever, hypotension on one vasopressor, low-flow oxygen is grade 3 by hypotension
    g = explain_crs(True, "one", "low_flow")
    assert g.grade == 3 and g.because == ("hypotension requiring one vasopressor",)


def test_explained_crs_both_domains_when_they_agree():
    g = explain_crs(True, "multiple", "positive_pressure")
    assert g.grade == 4 and len(g.because) == 2


def test_explained_icans_from_consciousness_over_ice():
    # ICE 8 is grade 1, awakening only to tactile stimulus is grade 3: the worst domain sets the grade
    g = explain_icans(8, "tactile")
    assert g.grade == 3 and g.because == ("depressed level of consciousness: tactile",)


def test_explained_icans_ice_10_alone_is_no_icans():
    assert explain_icans(10).grade == 0
