"""A plan as FHIR R4 (``rrmm plan --format fhir``): a collection Bundle with

- a **RequestGroup** (status draft, intent proposal): one action per recommended option in rank order, its
  rationale, cautions and dose adjustments in the description, its evidence as RelatedArtifact citations
  (DOI or PubMed link); a last action group with the matching clinical trials (ClinicalTrials.gov links);
  the options not recommended, with their reasons, as notes; the knowledge-base version as an extension;
- **Observations** of the disease state: lines of therapy, refractory status (refractory drugs and classes,
  triple-class and penta refractoriness as components), the R-ISS stage in mCODE's Myeloma RISS Stage shape
  (code NCIt C141392 "RISS Stage", values C141394-C141396, as in mCODE STU3/STU4's value set
  mcode-myeloma-riss-stage-value-vs) and the ISS stage (values NCIt C70658-C70660, mCODE's
  mcode-myeloma-iss-stage-value-vs), and the current IMWG response;
- a **DetectedIssue** per interaction of the patient's other medicines with a myeloma drug given now
  (code v3 ActCode ``DRG`` "Drug Interaction Alert", of FHIR's detectedissue-category value set), with the
  label's text as detail and its action as mitigation; the interactions of the options are in their actions'
  descriptions.
"""

from __future__ import annotations

from typing import Any

from rrmm.fhir import local
from rrmm.fhir.exporter import fhir_id
from rrmm.planning.plan import Plan

Json = dict[str, Any]

NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
RISS_STAGE = {"I": "C141394", "II": "C141395", "III": "C141396"}
ISS_STAGE = {"I": "C70658", "II": "C70659", "III": "C70660"}


def _code(name: str, text: str) -> Json:
    return {"coding": [{"system": local.system("plan"), "code": name}], "text": text}


def _citation(e: Any) -> Json:
    artifact: Json = {"type": "citation", "label": e.trial, "citation": e.citation}
    if e.doi:
        artifact["url"] = f"https://doi.org/{e.doi}"
    elif e.pmid:
        artifact["url"] = f"https://pubmed.ncbi.nlm.nih.gov/{e.pmid}/"
    return artifact


def _stage(value: str | None) -> str | None:
    if value is None:
        return None
    roman = value.replace("R-ISS", "").replace("R2-ISS", "").replace("ISS", "").strip().upper()
    return roman if roman in ("I", "II", "III") else None


def plan_to_bundle(plan: Plan) -> Json:
    """The plan as a FHIR R4 collection Bundle (valid for fhir.resources R4B)."""
    pid = fhir_id(plan.patient_id)
    subject = {"reference": f"Patient/{pid}"}
    day = plan.as_of.isoformat()
    entries: list[Json] = [
        {
            "resourceType": "Patient",
            "id": pid,
            "identifier": [{"system": local.RECORD_ID, "value": plan.patient_id}],
        }
    ]

    def observation(oid: str, code: Json, **value: Any) -> None:
        entries.append(
            {
                "resourceType": "Observation",
                "id": oid,
                "status": "final",
                "code": code,
                "subject": subject,
                "effectiveDateTime": day,
                **value,
            }
        )

    d = plan.disease
    observation(
        "lines-of-therapy",
        _code("lines-of-therapy", "Prior lines of therapy"),
        valueInteger=d.lines_of_therapy,
    )
    components: list[Json] = [
        {"code": _code("refractory-drug", "Refractory drug"), "valueString": drug}
        for drug in d.refractory_drugs
    ] + [
        {"code": _code("refractory-class", "Refractory class"), "valueString": cls}
        for cls in d.refractory_classes
    ]
    components += [
        {
            "code": _code("triple-class-refractory", "Triple-class refractory"),
            "valueBoolean": d.triple_class_refractory,
        },
        {"code": _code("penta-refractory", "Penta-refractory"), "valueBoolean": d.penta_refractory},
    ]
    status: Json = {"component": components}
    if d.status.value is not None:
        status["valueCodeableConcept"] = _code(str(d.status.value).replace(" ", "-"), str(d.status.value))
    else:
        status["dataAbsentReason"] = {"text": "; ".join(d.status.reasons) or "unknown"}
    observation("refractory-status", _code("refractory-status", "Refractory status"), **status)
    r_iss = _stage(d.stage.r_iss)
    riss: Json = (
        {
            "valueCodeableConcept": {
                "coding": [{"system": NCIT, "code": RISS_STAGE[r_iss]}],
                "text": f"R-ISS {r_iss}",
            }
        }
        if r_iss
        else {"dataAbsentReason": {"text": "; ".join(d.stage.reasons) or "R-ISS unknown"}}
    )
    observation(
        "r-iss-stage",
        {"coding": [{"system": NCIT, "code": "C141392", "display": "RISS Stage"}], "text": "R-ISS stage"},
        meta={"profile": ["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-myeloma-riss-stage"]},
        **riss,
    )
    iss = _stage(d.stage.iss)
    if iss:
        observation(
            "iss-stage",
            _code("iss-stage", "ISS stage"),
            valueCodeableConcept={"coding": [{"system": NCIT, "code": ISS_STAGE[iss]}], "text": f"ISS {iss}"},
        )
    if d.current_response is not None:
        observation(
            "current-response",
            _code("current-response", "Current IMWG response"),
            valueCodeableConcept={
                "coding": [{"system": local.system("response"), "code": d.current_response}],
                "text": d.current_response,
            },
        )

    actions: list[Json] = []
    for o in plan.options:
        parts = [
            *o.rationale,
            *(f"Caution: {c}" for c in o.cautions),
            *(f"Dose: {a}" for a in o.dose_adjustments),
            *(f"Interaction: {i.drug} + {i.medicine}: {i.action_words}. {i.text}" for i in o.interactions),
        ]
        action: Json = {
            "prefix": str(o.rank),
            "title": o.name,
            "description": "\n".join(parts) or o.name,
            "code": [_code(o.id, o.name)],
        }
        if o.evidence:
            action["documentation"] = [_citation(e) for e in o.evidence]
        actions.append(action)
    if plan.trials:
        actions.append(
            {
                "title": "Clinical trials",
                "description": "Trials whose criteria the record meets or may meet",
                "action": [
                    {
                        "title": f"{t.nct_id}: {t.title}",
                        "description": f"{t.verdict} (phase {t.phase}, {t.status})",
                        "documentation": [
                            {"type": "documentation", "url": f"https://clinicaltrials.gov/study/{t.nct_id}"}
                        ],
                    }
                    for t in plan.trials
                ],
            }
        )
    for n, i in enumerate(plan.interactions.current, start=1):
        entries.append(
            {
                "resourceType": "DetectedIssue",
                "id": f"interaction-{n}",
                "status": "preliminary",
                "code": {
                    "coding": [{"system": ACT_CODE, "code": "DRG", "display": "Drug Interaction Alert"}],
                    "text": i.pair,
                },
                "patient": subject,
                "identifiedDateTime": day,
                "detail": f"{i.text} Source: {i.source}.",
                "mitigation": [{"action": {"text": i.action_words}}],
            }
        )
    group: Json = {
        "resourceType": "RequestGroup",
        "id": "plan",
        "status": "draft",
        "intent": "proposal",
        "subject": subject,
        "authoredOn": day,
        "extension": [
            {"url": local.extension("knowledge-base-version"), "valueString": plan.knowledge_base.version},
            {"url": local.extension("jurisdiction"), "valueCode": plan.jurisdiction},
        ],
        "note": [{"text": f"Not recommended: {n.name}: {'; '.join(n.reasons)}"} for n in plan.not_recommended]
        + [{"text": f"Warning: {w}"} for w in plan.warnings],
    }
    if actions:
        group["action"] = actions
    if not group["note"]:
        del group["note"]
    entries.append(group)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": f"{day}T00:00:00Z",
        "entry": [
            {"fullUrl": f"urn:rrmm:{pid}:{e['resourceType']}/{e['id']}", "resource": e} for e in entries
        ],
    }
