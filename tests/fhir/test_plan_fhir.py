"""The plan as FHIR: a RequestGroup of the ranked options with their evidence, the disease state as
Observations (mCODE Myeloma RISS Stage: code NCIt C141392, values C141394-C141396)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle

from rrmm.fhir.plan import plan_to_bundle
from rrmm.planning import build_plan
from rrmm.record import record_from_json

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.json"))


def resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_plan_bundle_is_valid_and_follows_the_plan(path):
    plan = build_plan(record_from_json(path.read_bytes()), "us", ())
    bundle = plan_to_bundle(plan)
    Bundle.model_validate(bundle)
    (group,) = resources(bundle, "RequestGroup")
    options = [a for a in group.get("action", []) if a.get("title") != "Clinical trials"]
    assert [a["title"] for a in options] == [o.name for o in plan.options]
    assert len([n for n in group.get("note", []) if n["text"].startswith("Not recommended")]) == len(
        plan.not_recommended
    )
    (lines,) = [o for o in resources(bundle, "Observation") if o["id"] == "lines-of-therapy"]
    assert lines["valueInteger"] == plan.disease.lines_of_therapy


def test_evidence_is_cited_by_doi():
    plan = build_plan(record_from_json(EXAMPLES[0].read_bytes()), "us", ())
    (group,) = resources(plan_to_bundle(plan), "RequestGroup")
    first = group["action"][0]
    dois = [e.doi for e in plan.options[0].evidence if e.doi]
    assert [d["url"] for d in first.get("documentation", []) if "doi.org" in d.get("url", "")] == [
        f"https://doi.org/{d}" for d in dois
    ]


@pytest.mark.parametrize(("stage", "code"), [("I", "C141394"), ("II", "C141395"), ("III", "C141396")])
def test_r_iss_stage_uses_mcode_codes(stage, code):
    path = next(p for p in EXAMPLES)
    plan = build_plan(record_from_json(path.read_bytes()), "us", ())
    staged = plan.model_copy(
        update={
            "disease": plan.disease.model_copy(
                update={"stage": plan.disease.stage.model_copy(update={"r_iss": stage})}
            )
        }
    )
    (riss,) = [o for o in resources(plan_to_bundle(staged), "Observation") if o["id"] == "r-iss-stage"]
    assert riss["code"]["coding"][0]["code"] == "C141392"
    assert riss["valueCodeableConcept"]["coding"][0]["code"] == code


def test_an_interaction_with_a_drug_given_now_is_a_detected_issue():
    """The EHR example: fluvoxamine (strong CYP1A2 inhibitor) with ongoing pomalidomide (Imnovid SmPC 4.5:
    reduce the pomalidomide dose by 50%) is one DetectedIssue coded v3 ActCode DRG."""
    from rrmm.fhir.importer import import_bundle

    searchset = Path(__file__).parents[2] / "examples" / "fhir" / "ehr-searchset.json"
    record = import_bundle(json.loads(searchset.read_text())).record
    bundle = plan_to_bundle(build_plan(record, "us", ()))
    Bundle.model_validate(bundle)
    (issue,) = resources(bundle, "DetectedIssue")
    assert issue["code"]["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "DRG",
            "display": "Drug Interaction Alert",
        }
    ]
    assert (
        issue["code"]["text"] == "pomalidomide + Fluvoxamine maleate 50 mg tablet (strong CYP1A2 inhibitor)"
    )
    assert "reduce the pomalidomide dose by 50%" in issue["detail"]
    assert issue["mitigation"] == [{"action": {"text": "reduce dose"}}]
