"""Label dose modifications of carfilzomib (KYPROLIS) and teclistamab (TECVAYLI): the boundaries of the rows
the knowledge base holds (src/rrmm/knowledge/data/toxicity/drugs/{carfilzomib,teclistamab}.yaml).

Each test quotes the label row it checks, as read in the stored copy named in the YAML. Rows that could not be
read in any stored copy (teclistamab CRS, infections and cytopenias; carfilzomib renal, hepatic, pulmonary,
other non-hematologic and the mg/m2 dose levels) are not encoded, so they are not tested here; the last tests
check that the tables say so instead of holding an unsourced row.
"""

from __future__ import annotations

from builders import course, lab, make_record
from rrmm.clinical.state import disease_state
from rrmm.knowledge.toxicity import toxicity_knowledge
from rrmm.planning.facts import PatientFacts
from rrmm.toxicity.manager import toxicity_report

AS_OF = "2024-06-01"
LAB_DAY = "2024-05-30"


def report(drug: str, **fields):
    rec = make_record(
        as_of=AS_OF,
        therapies=[course(drug, "2024-01-01"), course("dexamethasone", "2024-01-01")],
        **fields,
    )
    return toxicity_report(PatientFacts(state=disease_state(rec), record=rec), toxicity_knowledge())


def actions_for(r, drug: str):
    return [a for a in r.actions if a.drug == drug]


def held(r, drug: str, toxicity: str):
    return [a for a in actions_for(r, drug) if a.toxicity == toxicity and a.action == "hold"]


def event(term: str, grade: int, onset: str = "2024-05-25", resolved: str | None = None) -> dict:
    ae = {"term": term, "grade": grade, "onset": onset}
    if resolved is not None:
        ae["resolved"] = resolved
    return ae


#: An earlier, resolved episode of the same toxicity makes the current one "recurrent".
EARLIER_NEUTROPENIA = event("Neutrophil count decreased", 4, "2024-03-01", "2024-03-15")
EARLIER_THROMBOCYTOPENIA = event("Platelet count decreased", 4, "2024-03-01", "2024-03-15")


class TestCarfilzomibNeutrophils:
    def test_anc_below_0_5_withholds(self):
        """KYPROLIS 2.3: 'Absolute neutrophil count (ANC) less than 0.5 x 10^9/L: Withhold dose'."""
        r = report("carfilzomib", labs=[lab("anc", LAB_DAY, 0.49, "10^9/L")])
        (a,) = held(r, "carfilzomib", "neutropenia")
        assert a.until and a.dose_level is None  # first episode: the restart level was not read
        assert "2.3" in a.source

    def test_anc_at_0_5_is_not_withheld(self):
        """KYPROLIS 2.3: the row is 'ANC less than 0.5 x 10^9/L'; 0.5 itself is not less than 0.5."""
        r = report("carfilzomib", labs=[lab("anc", LAB_DAY, 0.5, "10^9/L")])
        assert [a.action for a in actions_for(r, "carfilzomib")] == ["continue"]

    def test_subsequent_drop_names_one_dose_level_reduction(self):
        """KYPROLIS 2.3: 'For subsequent drops to less than 0.5 x 10^9/L, follow the same recommendations as
        above and consider 1 dose level reduction when restarting KYPROLIS'."""
        r = report(
            "carfilzomib",
            labs=[lab("anc", LAB_DAY, 0.3, "10^9/L")],
            adverse_events=[EARLIER_NEUTROPENIA],
        )
        (a,) = held(r, "carfilzomib", "neutropenia")
        assert "1 dose level reduction" in (a.dose_level or "")

    def test_febrile_neutropenia_withholds(self):
        """KYPROLIS 2.3: 'Febrile neutropenia (ANC less than 0.5 x 10^9/L and an oral temperature more than
        38.5 C or two consecutive readings of more than 38.0 C for 2 hours): Withhold dose'."""
        r = report(
            "carfilzomib",
            labs=[lab("anc", LAB_DAY, 0.3, "10^9/L")],
            adverse_events=[event("Febrile neutropenia", 3)],
        )
        assert held(r, "carfilzomib", "febrile_neutropenia")

    def test_febrile_neutropenia_with_anc_at_0_5_is_not_this_row(self):
        """KYPROLIS 2.3 defines febrile neutropenia by 'ANC less than 0.5 x 10^9/L': at 0.5 the row does not
        fire."""
        r = report(
            "carfilzomib",
            labs=[lab("anc", LAB_DAY, 0.5, "10^9/L")],
            adverse_events=[event("Febrile neutropenia", 3)],
        )
        assert not held(r, "carfilzomib", "febrile_neutropenia")


class TestCarfilzomibPlatelets:
    def test_platelets_below_10_withholds(self):
        """KYPROLIS 2.3: 'Platelets less than 10 x 10^9/L or evidence of bleeding with thrombocytopenia:
        Withhold dose'."""
        r = report("carfilzomib", labs=[lab("platelets", LAB_DAY, 9.0, "10^9/L")])
        (a,) = held(r, "carfilzomib", "thrombocytopenia")
        assert a.until and a.grade == 4

    def test_platelets_at_10_are_not_withheld_without_bleeding(self):
        """KYPROLIS 2.3: the count limb is 'less than 10 x 10^9/L'; 10 is CTCAE grade 4 (< 25) but not this
        row (bleeding, the other limb, is not keyed: see the YAML notes)."""
        r = report("carfilzomib", labs=[lab("platelets", LAB_DAY, 10.0, "10^9/L")])
        assert any(g.toxicity == "thrombocytopenia" and g.grade == 4 for g in r.grades)
        assert [a.action for a in actions_for(r, "carfilzomib")] == ["continue"]

    def test_subsequent_drop_names_one_dose_level_reduction(self):
        """KYPROLIS 2.3: 'For subsequent drops to less than 10 x 10^9/L, follow the same recommendations as
        above and consider 1 dose level reduction when restarting KYPROLIS'."""
        r = report(
            "carfilzomib",
            labs=[lab("platelets", LAB_DAY, 8.0, "10^9/L")],
            adverse_events=[EARLIER_THROMBOCYTOPENIA],
        )
        (a,) = held(r, "carfilzomib", "thrombocytopenia")
        assert "1 dose level reduction" in (a.dose_level or "")


class TestCarfilzomibCardiac:
    def test_heart_failure_grade_3_withholds_with_a_reduced_restart(self):
        """KYPROLIS 5.1: 'Withhold Kyprolis for Grade 3 or 4 cardiac adverse reactions until recovery and
        consider whether to restart Kyprolis at 1 dose level reduction based on a benefit/risk assessment'."""
        r = report("carfilzomib", adverse_events=[event("Heart failure", 3)])
        (a,) = held(r, "carfilzomib", "cardiac")
        assert a.until == "recovery" and "1 dose level reduction" in (a.dose_level or "")

    def test_heart_failure_grade_2_is_below_the_row(self):
        """KYPROLIS 5.1: the withhold rule is for 'Grade 3 or 4 cardiac adverse reactions'."""
        r = report("carfilzomib", adverse_events=[event("Heart failure", 2)])
        assert not held(r, "carfilzomib", "cardiac")


class TestTeclistamabNeurologicToxicity:
    """TECVAYLI (2022) 2.5, neurologic toxicity excluding ICANS, as reproduced in JADPRO 2023 Table 4."""

    def test_grade_3_first_occurrence_withholds(self):
        """'Grade 3 (first occurrence): Withhold teclistamab-cqyv until neurologic toxicity symptoms improve
        to grade 1 or less. Provide supportive therapy.'"""
        r = report("teclistamab", adverse_events=[event("Guillain-Barre syndrome", 3)])
        assert [a.action for a in actions_for(r, "teclistamab")] == ["hold"]

    def test_grade_3_recurrent_stops(self):
        """'Grade 3 (recurrent): Permanently discontinue teclistamab-cqyv.'"""
        r = report(
            "teclistamab",
            adverse_events=[
                event("Guillain-Barre syndrome", 3, "2024-02-01", "2024-03-01"),
                event("Guillain-Barre syndrome", 3),
            ],
        )
        assert [a.action for a in actions_for(r, "teclistamab")] == ["stop"]

    def test_grade_4_stops(self):
        """'Grade 4: Permanently discontinue teclistamab-cqyv.'"""
        r = report("teclistamab", adverse_events=[event("Guillain-Barre syndrome", 4)])
        assert [a.action for a in actions_for(r, "teclistamab")] == ["stop"]


class TestTeclistamabIcans:
    def test_icans_grade_3_first_occurrence_withholds(self):
        """TECVAYLI (2022) 2.5, ICANS table (JADPRO 2023 Table 5): 'Grade 3 (first occurrence) ... Withhold
        teclistamab-cqyv until ICANS resolves.'"""
        r = report("teclistamab", adverse_events=[event("ICANS", 3)])
        (a,) = held(r, "teclistamab", "icans")
        assert a.until == "ICANS resolves"


class TestRowsNotRead:
    """The rows the stored copies did not reach are absent, and each table says so in its notes."""

    def test_teclistamab_has_no_crs_or_cytopenia_rows_and_says_why(self):
        table = toxicity_knowledge().drug_tables["teclistamab"]
        covered = {row.toxicity for row in table.actions if not row.fallback}  # boxed-warning rows aside
        not_read = {"crs", "infection", "neutropenia", "febrile_neutropenia", "thrombocytopenia"}
        assert covered.isdisjoint(not_read)
        assert any("CRS rows are NOT encoded" in n for n in table.notes)

    def test_carfilzomib_has_no_renal_or_hepatic_rows_and_says_why(self):
        table = toxicity_knowledge().drug_tables["carfilzomib"]
        assert {row.toxicity for row in table.actions}.isdisjoint({"renal", "hepatic"})
        assert any("remain NOT encoded" in n for n in table.notes)
