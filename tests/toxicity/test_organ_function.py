"""Organ-function dose rules of the drugs given now, carried into the toxicity report.

The rules are the label's renal starting doses in ``data/drugs/lenalidomide.yaml`` (REVLIMID US PI, section
2, multiple myeloma): CLcr 30 to < 60 mL/min 10 mg once daily; CLcr < 30 mL/min not on dialysis 15 mg every
other day; end-stage renal disease on dialysis 5 mg once daily. Cockcroft-Gault (1976) with actual weight:
a 65-year-old man of 70 kg has CrCl = (140 - 65) x 70 / (72 x creatinine).
"""

from __future__ import annotations

from builders import course, lab, make_record
from rrmm.clinical.state import disease_state
from rrmm.knowledge import knowledge_base
from rrmm.knowledge.toxicity import toxicity_knowledge
from rrmm.planning.facts import PatientFacts
from rrmm.toxicity.manager import toxicity_report


def report(creatinine: float | None, weight: float | None = 70.0, drug: str = "lenalidomide", **extra):
    labs = [] if creatinine is None else [lab("creatinine", "2024-05-30", creatinine, "mg/dL")]
    rec = make_record(
        as_of="2024-06-01",
        weight_kg=weight,
        therapies=[course(drug, "2024-01-01"), course("dexamethasone", "2024-01-01")],
        labs=labs,
        **extra,
    )
    facts = PatientFacts(state=disease_state(rec), record=rec)
    return toxicity_report(facts, toxicity_knowledge(), knowledge_base().drugs)


def lenalidomide_rules(r) -> list[str]:
    return [o.text for o in r.organ_function if o.drug == "lenalidomide" and o.status == "applies"]


def test_moderate_impairment_gives_10_mg():
    # CrCl = 75 x 70 / (72 x 2.0) = 36.5 mL/min: the 30 to < 60 band
    (text,) = lenalidomide_rules(report(2.0))
    assert "10 mg once daily" in text


def test_severe_impairment_not_on_dialysis():
    # CrCl = 5250 / (72 x 3.0) = 24.3 mL/min: below 30, no dialysis recorded
    (text,) = lenalidomide_rules(report(3.0))
    assert "less than 30" in text and "15 mg every 48 hours" in text


def test_dialysis_gives_5_mg_after_dialysis():
    r = report(6.0, comorbidities=[{"condition": "dialysis"}])
    (text,) = lenalidomide_rules(r)
    assert "5 mg once daily" in text and "after dialysis" in text


def test_normal_function_lists_no_rule():
    # CrCl = 5250 / (72 x 0.9) = 81 mL/min: no renal rule applies and none is listed as unchecked
    r = report(0.9)
    assert not [o for o in r.organ_function if o.drug == "lenalidomide"]


def test_band_edge_60_is_normal():
    # creatinine 1.215 mg/dL gives CrCl = 5250 / 87.48 = 60.01 mL/min: not "below 60"
    assert lenalidomide_rules(report(1.215)) == []


def test_missing_creatinine_is_said_not_assumed():
    r = report(None)
    unchecked = [o for o in r.organ_function if o.drug == "lenalidomide"]
    assert unchecked and all(o.status == "could not check" for o in unchecked)
    assert all("unknown" in o.reason for o in unchecked)


def test_drug_without_organ_rules_lists_nothing_for_it():
    r = report(3.0, drug="daratumumab")
    assert [o for o in r.organ_function if o.drug == "daratumumab"] == []
