"""The planner's generic hard rules, each producing a reason, on a fixture knowledge base."""

from __future__ import annotations

from builders import course, lab, make_record, regimen
from kb_fixture import fixture_kb
from rrmm.clinical.state import disease_state
from rrmm.planning.facts import PatientFacts
from rrmm.planning.planner import plan_options


def plan(jurisdiction: str = "us", **fields):
    record = make_record(**fields)
    facts = PatientFacts(state=disease_state(record), record=record)
    ranked, excluded = plan_options(facts, fixture_kb(), jurisdiction)
    return {a.regimen.id: a for a in ranked}, {a.regimen.id: a for a in excluded}


def vrd_then_progression(**extra):
    therapies = [
        *regimen(
            ["bortezomib", "lenalidomide", "dexamethasone"],
            "2019-02-01",
            "2021-01-01",
            stop_reason="progression",
        ),
    ]
    return dict(therapies=therapies, **extra)


def test_refractory_drug_excludes_the_regimen_with_the_reason():
    therapies = regimen(
        ["daratumumab", "pomalidomide", "dexamethasone"],
        "2019-02-01",
        "2021-01-01",
        stop_reason="progression",
    )
    _, excluded = plan(therapies=therapies)
    assert "XPd" in excluded
    assert any("refractory to pomalidomide" in r for r in excluded["XPd"].exclusions)


def test_daratumumab_refractory_excludes_isatuximab_by_class():
    therapies = regimen(
        ["daratumumab", "lenalidomide", "dexamethasone"],
        "2019-02-01",
        "2021-01-01",
        stop_reason="progression",
    )
    _, excluded = plan(therapies=therapies)
    assert any("CD38" in r and "isatuximab" in r for r in excluded["XIsa"].exclusions)


def test_label_needs_the_required_exposures():
    # only VRd before: lenalidomide and a PI exposed -> the fixture DPd label is met
    options, _ = plan(**vrd_then_progression())
    assert "XPd" in options and "within the US label indication" in " ".join(options["XPd"].rationale)
    # only carfilzomib before: no lenalidomide exposure -> label not met, with the reason
    options, excluded = plan(therapies=regimen(["carfilzomib", "dexamethasone"], "2019-02-01", "2021-01-01"))
    assert "XPd" in excluded
    assert any("requires" in r and "lenalidomide" in r for r in excluded["XPd"].exclusions)


def test_prior_lines_outside_the_label_exclude():
    # four lines of therapy: beyond the fixture Kd label's 1-3 prior lines
    therapies, day = [], 2015
    for drugs in (["bortezomib"], ["lenalidomide"], ["thalidomide"], ["ixazomib"]):
        therapies += regimen(
            [*drugs, "dexamethasone"], f"{day}-01-01", f"{day}-10-01", stop_reason="toxicity"
        )
        day += 1
    _, excluded = plan(therapies=therapies)
    assert any("<= 3 prior lines (patient: 4)" in r for r in excluded["XKd"].exclusions)


def test_withdrawn_in_the_jurisdiction_excludes():
    _, excluded = plan("eu", **vrd_then_progression())
    assert any("withdrawn" in r for r in excluded["XKd"].exclusions)


def test_missing_regulatory_status_is_a_caution_not_a_silent_pass():
    options, _ = plan("eu", **vrd_then_progression())
    assert any("not recorded" in c for c in options["XPd"].cautions)


def test_requirement_unknown_excludes_naming_what_is_missing():
    _, excluded = plan(**vrd_then_progression())
    assert any("t(11;14) not tested" in r for r in excluded["XVen"].exclusions)
    cyto = [{"date": "2019-01-05", "abnormality": "t(11;14)", "present": True}]
    options, _ = plan(cytogenetics=cyto, **vrd_then_progression())
    assert "XVen" in options
    assert any("not approved for this use" in c for c in options["XVen"].cautions)


def test_label_caution_applies_when_the_comorbidity_is_listed():
    options, _ = plan(comorbidities=[{"condition": "heart_failure"}], **vrd_then_progression())
    assert any("fixture cardiac caution" in c and "5.1" in c for c in options["XKd"].cautions)


def test_an_exclusion_that_cannot_be_checked_becomes_a_caution():
    # no creatinine: the kidney exclusion cannot be checked, and the plan says so
    options, _ = plan(**vrd_then_progression())
    assert any(c.startswith("could not check: fixture kidney exclusion") for c in options["XKd"].cautions)
    _, excluded = plan(
        weight_kg=60, labs=[lab("creatinine", "2020-12-01", 6.0, "mg/dL")], **vrd_then_progression()
    )
    assert "XKd" in excluded


def test_preferences_exclude_cell_therapy_and_non_oral_regimens():
    _, excluded = plan(
        preferences={"declines_cell_therapy": True, "oral_only": True}, **vrd_then_progression()
    )
    assert "patient declines cell therapy" in excluded["XCART"].exclusions
    assert any("oral therapy only" in r for r in excluded["XCART"].exclusions)


def test_dose_adjustment_and_supportive_care_from_the_drug_label():
    rec = vrd_then_progression(comorbidities=[{"condition": "dialysis"}])
    options, _ = plan(**rec)
    assert any("fixture dialysis dose" in d for d in options["XPd"].dose_adjustments)
    assert "fixture VTE prophylaxis" in [i for i, _ in options["XPd"].supportive_care]


def test_ranking_explains_every_point():
    options, _ = plan(**vrd_then_progression())
    for a in options.values():
        assert a.rationale, a.regimen.id
    ranked = sorted(options.values(), key=lambda a: -a.score)
    assert [a.score for a in ranked] == sorted((a.score for a in ranked), reverse=True)
    # the CAR-T is a new mechanism and keeps the BCMA sequence open: both said
    cart = " ".join(options["XCART"].rationale)
    assert "new mechanism" in cart and "BCMA CAR-T before other BCMA therapy" in cart


def test_steroid_refractoriness_never_excludes():
    therapies = [
        *regimen(["carfilzomib", "dexamethasone"], "2019-02-01", "2020-01-01", stop_reason="progression"),
        course("lenalidomide", "2020-02-01"),
    ]
    _, excluded = plan(therapies=therapies)
    assert not any("dexamethasone" in r for a in excluded.values() for r in a.exclusions)
