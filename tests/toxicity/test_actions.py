"""Label dose modifications for the drugs given now, from the knowledge base's label tables.

Each case restates the label row it tests (the tables are in src/rrmm/knowledge/data/toxicity/drugs/).
"""

from __future__ import annotations

from builders import course, lab, make_record
from rrmm.clinical.state import disease_state
from rrmm.knowledge.toxicity import toxicity_knowledge
from rrmm.planning.facts import PatientFacts
from rrmm.toxicity.manager import toxicity_report


def report(**fields):
    rec = make_record(as_of="2024-06-01", **fields)
    return toxicity_report(PatientFacts(state=disease_state(rec), record=rec), toxicity_knowledge())


def on(drug: str) -> list[dict]:
    return [course(drug, "2024-01-01"), course("dexamethasone", "2024-01-01")]


def neuropathy(grade: int, pain: bool = False) -> list[dict]:
    events = [{"term": "Peripheral sensory neuropathy", "grade": grade, "onset": "2024-05-01"}]
    if pain:
        events.append({"term": "Neuralgia", "grade": 2, "onset": "2024-05-01"})
    return events


def actions_for(r, drug: str):
    return [a for a in r.actions if a.drug == drug]


class TestBortezomibNeuropathy:
    """VELCADE label, dose modification for neuropathic pain and/or peripheral sensory neuropathy."""

    def test_grade_1_without_pain_continue(self):
        (a,) = actions_for(report(therapies=on("bortezomib"), adverse_events=neuropathy(1)), "bortezomib")
        assert a.action == "continue"

    def test_grade_2_without_pain_reduce_to_1_mg(self):
        (a,) = actions_for(report(therapies=on("bortezomib"), adverse_events=neuropathy(2)), "bortezomib")
        assert a.action == "reduce" and a.dose_level == "1 mg/m2"

    def test_grade_2_with_pain_hold_then_0_7_weekly(self):
        (a,) = actions_for(
            report(therapies=on("bortezomib"), adverse_events=neuropathy(2, pain=True)), "bortezomib"
        )
        assert a.action == "hold" and "0.7 mg/m2" in (a.dose_level or "") and a.until
        assert a.source  # cites the label

    def test_grade_4_stop(self):
        acts = actions_for(report(therapies=on("bortezomib"), adverse_events=neuropathy(4)), "bortezomib")
        assert "stop" in {a.action for a in acts}


class TestLenalidomideCounts:
    """REVLIMID label (multiple myeloma): platelets below 30 x 10^9/L, ANC below 1 x 10^9/L: interrupt."""

    def test_platelets_below_30_hold(self):
        r = report(therapies=on("lenalidomide"), labs=[lab("platelets", "2024-05-30", 28.0, "10^9/L")])
        (a,) = actions_for(r, "lenalidomide")
        assert a.action == "hold" and "30" in (a.until or "")
        assert any(
            g.toxicity == "thrombocytopenia" and g.grade == 3 for g in r.grades
        )  # CTCAE: < 50 is grade 3

    def test_platelets_at_30_is_not_a_hold(self):
        r = report(therapies=on("lenalidomide"), labs=[lab("platelets", "2024-05-30", 30.0, "10^9/L")])
        assert all(a.action == "continue" for a in actions_for(r, "lenalidomide"))

    def test_first_neutropenia_hold_with_resume_dose(self):
        r = report(therapies=on("lenalidomide"), labs=[lab("anc", "2024-05-30", 0.8, "10^9/L")])
        acts = actions_for(r, "lenalidomide")
        assert [a.action for a in acts] == ["hold"] and "25 mg" in (acts[0].dose_level or "")


class TestCtcaeBoundaries:
    """CTCAE v5.0: neutrophils grade 3 < 1.0, grade 4 < 0.5; platelets grade 3 < 50, grade 4 < 25."""

    def grade(self, test: str, value: float) -> int:
        r = report(therapies=on("lenalidomide"), labs=[lab(test, "2024-05-30", value, "10^9/L")])
        return max((g.grade for g in r.grades if g.source == "lab"), default=0)

    def test_anc(self):
        assert self.grade("anc", 1.0) == 2 and self.grade("anc", 0.99) == 3
        assert self.grade("anc", 0.5) == 3 and self.grade("anc", 0.49) == 4

    def test_platelets(self):
        assert self.grade("platelets", 50.0) == 2 and self.grade("platelets", 49.0) == 3
        assert self.grade("platelets", 25.0) == 3 and self.grade("platelets", 24.0) == 4


def test_a_drug_without_label_rules_says_so():
    r = report(therapies=[course("ixazomib", "2024-01-01")])
    assert any("ixazomib" in n and "no dose-modification rules" in n for n in r.notes)
    assert not actions_for(r, "ixazomib")


def test_stopped_drugs_get_no_actions():
    r = report(therapies=[course("bortezomib", "2024-01-01", "2024-04-01")], adverse_events=neuropathy(3))
    assert not actions_for(r, "bortezomib")


class TestUncoveredToxicity:
    """A grade 3-4 toxicity that no row of a drug's table covers gives "see label", never "continue"
    (labels end their tables with a row for other grade 3 or 4 adverse reactions)."""

    def test_grade_3_diarrhea_on_daratumumab_is_a_question_for_the_label(self):
        r = report(
            therapies=on("daratumumab"),
            adverse_events=[{"term": "Diarrhea", "grade": 3, "onset": "2024-05-20"}],
        )
        acts = actions_for(r, "daratumumab")
        assert [a.action for a in acts] == ["see label"] and acts[0].toxicity == "diarrhea"

    def test_grade_2_uncovered_toxicity_leaves_continue(self):
        r = report(
            therapies=on("daratumumab"),
            adverse_events=[{"term": "Diarrhea", "grade": 2, "onset": "2024-05-20"}],
        )
        assert [a.action for a in actions_for(r, "daratumumab")] == ["continue"]

    def test_grade_below_a_lab_threshold_row_is_covered(self):
        # REVLIMID: platelets below 30 interrupt; platelets 45 (CTCAE grade 3) do not reach the row
        r = report(therapies=on("lenalidomide"), labs=[lab("platelets", "2024-05-30", 45.0, "10^9/L")])
        assert [a.action for a in actions_for(r, "lenalidomide")] == ["continue"]

    def test_pulmonary_hypertension_is_not_a_cardiac_event(self):
        # CTCAE v5.0 files pulmonary hypertension under respiratory disorders; KYPROLIS's cardiac row
        # (withhold, consider 1 dose level reduction) must not fire for it; its pulmonary row is not read
        r = report(
            therapies=on("carfilzomib"),
            adverse_events=[{"term": "Pulmonary hypertension", "grade": 3, "onset": "2024-05-20"}],
        )
        acts = actions_for(r, "carfilzomib")
        assert [(a.action, a.toxicity) for a in acts] == [("see label", "pulmonary")]
