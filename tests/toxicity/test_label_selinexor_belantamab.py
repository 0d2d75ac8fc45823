"""Label dose modifications of selinexor and belantamab mafodotin, at the boundaries of the label rows.

Selinexor rows: the Swiss product information (Fachinformation) of NEXPOVIO, Tabelle 2, with the dose steps
of the US XPOVIO label; belantamab rows: infusion-related reactions of the 2020 BLENREP label. The tables are
src/rrmm/knowledge/data/toxicity/drugs/selinexor.yaml and belantamab-mafodotin.yaml.
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


def xd() -> list[dict]:
    return [course("selinexor", "2024-01-01"), course("dexamethasone", "2024-01-01")]


def bvd() -> list[dict]:
    return [
        course("belantamab mafodotin", "2024-01-01"),
        course("bortezomib", "2024-01-01"),
        course("dexamethasone", "2024-01-01"),
    ]


def actions_for(r, drug: str):
    return [a for a in r.actions if a.drug == drug]


def selinexor_with_lab(test: str, value: float, unit: str = "10^9/L"):
    return actions_for(report(therapies=xd(), labs=[lab(test, "2024-05-30", value, unit)]), "selinexor")


def event(term: str, grade: int) -> list[dict]:
    return [{"term": term, "grade": grade, "onset": "2024-05-20"}]


class TestSelinexorPlatelets:
    """'Platelet count 25,000 to less than 75,000/microlitre: reduce selinexor by 1 dose level';
    'Platelet count less than 25,000/microlitre: interrupt; monitor until at least 50,000/microlitre;
    resume at the next lower dose level'."""

    def test_75_is_outside_the_table(self):
        """'25,000 to less than 75,000': 75 x 10^9/L does not trigger a row."""
        assert [a.action for a in selinexor_with_lab("platelets", 75.0)] == ["continue"]

    def test_just_below_75_reduces_one_level(self):
        """'25,000 to less than 75,000 ... reduce selinexor by 1 dose level'."""
        (a,) = selinexor_with_lab("platelets", 74.0)
        assert a.action == "reduce" and a.grade == 2
        assert "100 -> 80 -> 60 -> 40 mg once weekly" in (a.dose_level or "")  # XVd steps
        assert "80 mg on days 1 and 3 -> 100 -> 80 -> 60 mg once weekly" in (a.dose_level or "")  # Xd steps

    def test_25_still_reduces(self):
        """The reduce row includes 25,000/microlitre ('25,000 to less than 75,000')."""
        (a,) = selinexor_with_lab("platelets", 25.0)
        assert a.action == "reduce" and a.grade == 3

    def test_below_25_interrupts_until_50(self):
        """'less than 25,000/microlitre: interrupt ... until the platelet count returns to at least
        50,000'."""
        (a,) = selinexor_with_lab("platelets", 24.0)
        assert a.action == "hold" and a.grade == 4
        assert "50" in (a.until or "") and "next lower dose level" in (a.dose_level or "")


class TestSelinexorNeutrophils:
    """'ANC 0.5 to 1.0 x 10^9/L without fever: reduce by 1 dose level'; 'ANC less than 0.5 x 10^9/L OR
    febrile neutropenia: interrupt; monitor until 1.0 x 10^9/L or higher; resume at the next lower level'."""

    def test_grade_2_count_continues(self):
        """ANC 1.2 x 10^9/L is above the label's 0.5-1.0 band."""
        assert [a.action for a in selinexor_with_lab("anc", 1.2)] == ["continue"]

    def test_just_below_1_reduces(self):
        """'0.5 to 1.0 x 10^9/L without fever: reduce selinexor by 1 dose level'."""
        (a,) = selinexor_with_lab("anc", 0.99)
        assert a.action == "reduce"

    def test_0_5_reduces(self):
        """The reduce row includes 0.5 x 10^9/L ('0.5 to 1.0')."""
        (a,) = selinexor_with_lab("anc", 0.5)
        assert a.action == "reduce"

    def test_below_0_5_interrupts_until_1_0(self):
        """'less than 0.5 x 10^9/L: interrupt ... until the neutrophil count returns to 1.0 x 10^9/L or
        higher'."""
        (a,) = selinexor_with_lab("anc", 0.49)
        assert a.action == "hold" and "1.0" in (a.until or "")

    def test_febrile_neutropenia_interrupts(self):
        """'... OR febrile neutropenia: interrupt selinexor'."""
        r = report(therapies=xd(), adverse_events=event("Febrile neutropenia", 3))
        (a,) = actions_for(r, "selinexor")
        assert a.action == "hold" and a.toxicity == "febrile_neutropenia" and "1.0" in (a.until or "")


class TestSelinexorAnaemia:
    """'Haemoglobin less than 8.0 g/dL: reduce by 1 dose level'; 'life-threatening consequences: interrupt;
    monitor until haemoglobin returns to 8 g/dL or higher; resume at the next lower dose level'."""

    def test_8_0_continues(self):
        """'less than 8.0 g/dL': 8.0 itself does not trigger the row."""
        assert [a.action for a in selinexor_with_lab("hemoglobin", 8.0, "g/dL")] == ["continue"]

    def test_below_8_reduces(self):
        """'Haemoglobin less than 8.0 g/dL ... reduce selinexor by 1 dose level'."""
        (a,) = selinexor_with_lab("hemoglobin", 7.9, "g/dL")
        assert a.action == "reduce" and a.grade == 3

    def test_life_threatening_anaemia_interrupts(self):
        """'Life-threatening consequences (urgent intervention indicated): interrupt ... until 8 g/dL'."""
        r = report(therapies=xd(), adverse_events=event("Anemia", 4))
        (a,) = actions_for(r, "selinexor")
        assert a.action == "hold" and "8 g/dL" in (a.until or "")


class TestSelinexorHyponatraemia:
    """'Sodium level 130 mmol/L or less: interrupt and start supportive care; monitor until 130 mmol/L or
    higher; resume at the next lower dose level' - keyed on the CTCAE grade of a Hyponatremia event."""

    def test_grade_2_interrupts(self):
        """CTCAE grade 2 (125-129 mmol/L, asymptomatic) is below 130 mmol/L: interrupt."""
        r = report(therapies=xd(), adverse_events=event("Hyponatraemia", 2))
        (a,) = actions_for(r, "selinexor")
        assert a.action == "hold" and a.toxicity == "hyponatremia" and "130" in (a.until or "")
        assert "next lower dose level" in (a.dose_level or "")

    def test_grade_1_is_left_to_the_prescriber(self):
        """CTCAE grade 1 (<LLN-130) reaches the label threshold only at exactly 130: no row fires."""
        r = report(therapies=xd(), adverse_events=event("Hyponatremia", 1))
        assert [a.action for a in actions_for(r, "selinexor")] == ["continue"]


class TestBelantamabInfusionReactions:
    """2020 BLENREP label: 'For Grade 2 or 3 reactions, interrupt the infusion ... resume at a lower infusion
    rate ... premedication for all subsequent infusions. Discontinue BLENREP for life-threatening
    infusion-related reactions'."""

    def actions(self, grade: int):
        r = report(therapies=bvd(), adverse_events=event("Infusion related reaction", grade))
        return actions_for(r, "belantamab mafodotin")

    def test_grade_1_continues(self):
        """Grade 1 is not in the label's rows."""
        assert [a.action for a in self.actions(1)] == ["continue"]

    def test_grade_2_interrupts_and_resumes_slower(self):
        """'For Grade 2 or 3 reactions, interrupt the infusion ... resume at a lower infusion rate'."""
        (a,) = self.actions(2)
        assert a.action == "hold" and "lower infusion rate" in (a.until or "")

    def test_grade_3_interrupts(self):
        """'For Grade 2 or 3 reactions, interrupt the infusion'."""
        assert [a.action for a in self.actions(3)] == ["hold"]

    def test_grade_4_discontinues(self):
        """'Discontinue BLENREP for life-threatening infusion-related reactions' (CTCAE grade 4)."""
        assert [a.action for a in self.actions(4)] == ["stop"]
