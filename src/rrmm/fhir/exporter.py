"""A patient record as a FHIR R4 collection Bundle (``rrmm export-fhir``).

Each record entry becomes the resource an EHR would hold for it, coded with the standard codes of the shared
code tables (the first code of each concept: SNOMED CT before ICD-10-CM for conditions, LOINC for
observations, RxNorm for drugs) and with rrmm's code beside it (:mod:`rrmm.fhir.local`), so that
:func:`rrmm.fhir.importer.import_bundle` gives the same record back:

====================  ==================================================================================
record                FHIR
====================  ==================================================================================
id, sex, birth_date   Patient (identifier in rrmm's naming system, gender, birthDate)
location              Patient.address (postalCode, country; geolocation extension)
preferences           Patient extensions
as_of                 Bundle.timestamp
age                   Observation age (LOINC where the table has it), value in years (UCUM ``a``)
weight_kg, height_cm  Observation body weight (kg), body height (cm)
diagnosis             Condition multiple myeloma (onset = diagnosis date; heavy/light chain extensions);
                      plasma cell leukemia, AL amyloidosis, extramedullary disease, CNS involvement as
                      Conditions confirmed (true) or refuted (false)
performance_status    Observation ECOG (valueInteger)
cytogenetics          Observation (value = the abnormality; interpretation POS/NEG; method; clone fraction)
labs                  Observation (valueQuantity in UCUM; referenceRange.high = upper limit of normal)
findings              Observation (value positive/negative; interpretation POS/NEG; sensitivity)
therapies             MedicationStatement (effectivePeriod; dosage; setting extension; statusReason)
medications           MedicationStatement of another medicine (medication text = its name; effectivePeriod)
transplants           Procedure
events                Observation disease status (progression, or the IMWG response of an assessment)
adverse_events        AdverseEvent (CTCAE term; grade and resolution-date extensions; suspect drugs)
symptoms              Observation (rrmm symptom code, severity 0-4)
comorbidities         Condition (onset = since; grade extension)
====================  ==================================================================================
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from rrmm.fhir import local
from rrmm.record import Record
from rrmm.record.units import ucum_code
from rrmm.terminology.codes import SYSTEMS, CodeTables, code_tables

Json = dict[str, Any]

_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
#: Preferred order of standard systems when a concept has codes in several.
_PREFERENCE = (
    SYSTEMS["loinc"],
    SYSTEMS["rxnorm"],
    SYSTEMS["snomed"],
    SYSTEMS["icd10cm"],
    SYSTEMS["icd10pcs"],
)


def fhir_id(value: str) -> str:
    """A FHIR resource id for ``value``: itself when FHIR allows it, else a stable hash."""
    if _FHIR_ID.match(value):
        return value
    return "r-" + hashlib.sha256(value.encode()).hexdigest()[:40]


def concept(
    tables: CodeTables, kind: str, value: str, text: str | None = None, local_kind: str | None = None
) -> Json:
    """A CodeableConcept: the standard code of each system that has one (in :data:`_PREFERENCE` order), then
    rrmm's own code."""
    coding: list[Json] = []
    found = tables.codes_for(kind, value)
    for system in _PREFERENCE:
        for sys, code in found:
            if sys == system:
                coding.append({"system": sys, "code": code.code, "display": code.display})
                break
    coding.append({"system": local.system(local_kind or kind), "code": value})
    return {"coding": coding, "text": text or value}


def _quantity(value: float, unit: str) -> Json:
    return {"value": value, "unit": unit, "system": local.UCUM, "code": ucum_code(unit)}


def _interpretation(positive: bool) -> list[Json]:
    code = "POS" if positive else "NEG"
    return [{"coding": [{"system": local.OBSERVATION_INTERPRETATION, "code": code}]}]


class _Writer:
    def __init__(self, record: Record, tables: CodeTables) -> None:
        self.record = record
        self.tables = tables
        self.pid = fhir_id(record.id)
        self.entries: list[Json] = []
        self.counter: dict[str, int] = {}

    def add(self, resource: Json, stem: str) -> None:
        n = self.counter.get(stem, 0)
        self.counter[stem] = n + 1
        resource["id"] = f"{stem}-{n}"
        if resource["resourceType"] != "Patient":
            resource["subject"] = {"reference": f"Patient/{self.pid}"}
        self.entries.append(
            {
                "fullUrl": f"urn:rrmm:{self.pid}:{resource['resourceType']}/{resource['id']}",
                "resource": resource,
            }
        )

    def observation(self, stem: str, code: Json, when: dt.date | None, **value: Any) -> Json:
        obs: Json = {"resourceType": "Observation", "status": "final", "code": code}
        if when is not None:
            obs["effectiveDateTime"] = when.isoformat()
        obs.update(value)
        self.add(obs, stem)
        return obs


def _patient(w: _Writer) -> None:
    r = w.record
    patient: Json = {
        "resourceType": "Patient",
        "identifier": [{"system": local.RECORD_ID, "value": r.id}],
        "gender": r.sex,
    }
    if r.birth_date is not None:
        patient["birthDate"] = r.birth_date.isoformat()
    if r.location is not None:
        loc = r.location
        address: Json = {}
        if loc.postal_code is not None:
            address["postalCode"] = loc.postal_code
        if loc.country is not None:
            address["country"] = loc.country
        if loc.latitude is not None or loc.longitude is not None:
            parts = [
                {"url": name, "valueDecimal": v}
                for name, v in (("latitude", loc.latitude), ("longitude", loc.longitude))
                if v is not None
            ]
            address["extension"] = [{"url": local.GEOLOCATION, "extension": parts}]
        patient["address"] = [address]
    if r.preferences is not None:
        ext = []
        for name, v in r.preferences.model_dump().items():
            if v is None:
                continue
            typed = "valueBoolean" if isinstance(v, bool) else "valueDecimal"
            ext.append({"url": local.extension(f"preference-{name}"), typed: v})
        patient["extension"] = ext
    w.add(patient, "patient")
    w.entries[-1]["resource"]["id"] = w.pid
    w.entries[-1]["fullUrl"] = f"urn:rrmm:{w.pid}:Patient/{w.pid}"


def _diagnosis(w: _Writer) -> None:
    d = w.record.diagnosis
    ext = [
        {"url": local.extension(name), "valueCode": v}
        for name, v in (("heavy-chain", d.heavy_chain), ("light-chain", d.light_chain))
        if v is not None
    ]
    condition: Json = {
        "resourceType": "Condition",
        "code": concept(w.tables, "diagnosis", "multiple_myeloma", "Multiple myeloma"),
        "onsetDateTime": d.date.isoformat(),
        "verificationStatus": _verification(True),
    }
    if ext:
        condition["extension"] = ext
    w.add(condition, "condition")
    for flag in ("plasma_cell_leukemia", "al_amyloidosis", "extramedullary_disease", "cns_involvement"):
        value = getattr(d, flag)
        if value is None:
            continue
        w.add(
            {
                "resourceType": "Condition",
                "code": concept(w.tables, "diagnosis", flag, flag.replace("_", " ")),
                "verificationStatus": _verification(value),
            },
            "condition",
        )


def _verification(confirmed: bool) -> Json:
    code = "confirmed" if confirmed else "refuted"
    return {"coding": [{"system": local.CONDITION_VERIFICATION, "code": code}]}


def _observations(w: _Writer) -> None:
    r, t = w.record, w.tables
    when = r.as_of
    if r.age is not None:
        w.observation("age", concept(t, "observation", "age", "Age"), when, valueQuantity=_age(r.age))
    if r.weight_kg is not None:
        code = concept(t, "observation", "body_weight", "Body weight")
        w.observation("weight", code, when, valueQuantity=_quantity(r.weight_kg, "kg"))
    if r.height_cm is not None:
        code = concept(t, "observation", "body_height", "Body height")
        w.observation("height", code, when, valueQuantity=_quantity(r.height_cm, "cm"))
    for ps in r.performance_status:
        code = concept(t, "observation", "ecog", "ECOG performance status")
        w.observation("ecog", code, ps.date, valueInteger=ps.ecog)
    for c in r.cytogenetics:
        obs = w.observation(
            "cytogenetics",
            concept(t, "observation", "cytogenetics", "Cytogenetic finding"),
            c.date,
            valueCodeableConcept=concept(t, "abnormality", c.abnormality),
            interpretation=_interpretation(c.present),
        )
        if c.method is not None:
            obs["method"] = {"text": c.method}
        if c.clone_fraction is not None:
            obs["component"] = [
                _component(
                    "clone-fraction",
                    {"value": c.clone_fraction, "system": local.UCUM, "code": "1", "unit": "1"},
                )
            ]
    for lab in r.labs:
        obs = w.observation(
            "lab",
            concept(t, "lab", lab.test),
            lab.date,
            valueQuantity=_quantity(lab.value, lab.unit),
        )
        if lab.upper_limit_normal is not None:
            obs["referenceRange"] = [{"high": _quantity(lab.upper_limit_normal, lab.unit)}]
    for f in r.findings:
        obs = w.observation(
            "finding",
            concept(t, "finding", f.test),
            f.date,
            valueCodeableConcept={"text": f.result},
            interpretation=_interpretation(f.result == "positive"),
        )
        if f.sensitivity is not None:
            obs["component"] = [
                _component(
                    "sensitivity", {"value": f.sensitivity, "system": local.UCUM, "code": "1", "unit": "1"}
                )
            ]
    for e in r.events:
        status = concept(t, "observation", "disease_status", "Disease status")
        if e.type == "progression":
            value = concept(t, "progression", "True", "Disease progression", local_kind="response")
            value["coding"][-1]["code"] = "progression"
            w.observation("status", status, e.date, valueCodeableConcept=value)
        elif e.response is not None:
            value = {"coding": [{"system": local.system("response"), "code": e.response}], "text": e.response}
            w.observation("status", status, e.date, valueCodeableConcept=value)
        else:
            w.observation("status", status, e.date, dataAbsentReason={"text": "response not recorded"})
    for s in r.symptoms:
        obs = w.observation(
            "symptom",
            {
                "coding": [{"system": local.system("symptom"), "code": s.symptom}],
                "text": s.symptom.replace("_", " "),
            },
            s.date,
            valueInteger=s.severity,
        )
        if s.reported_by is not None:
            obs["extension"] = [{"url": local.extension("reported-by"), "valueCode": s.reported_by}]


def _age(years: int) -> Json:
    return {"value": years, "unit": "a", "system": local.UCUM, "code": "a"}


def _component(name: str, quantity: Json) -> Json:
    return {
        "code": {"coding": [{"system": local.system("observation"), "code": name}]},
        "valueQuantity": quantity,
    }


def _therapies(w: _Writer) -> None:
    for th in w.record.therapies:
        period: Json = {"start": th.start.isoformat()}
        if th.end is not None:
            period["end"] = th.end.isoformat()
        statement: Json = {
            "resourceType": "MedicationStatement",
            "status": "active" if th.end is None else "completed",
            "medicationCodeableConcept": concept(w.tables, "drug", th.drug),
            "effectivePeriod": period,
        }
        if th.setting is not None:
            statement["extension"] = [{"url": local.extension("therapy-setting"), "valueCode": th.setting}]
        if th.stop_reason is not None:
            statement["statusReason"] = [
                {
                    "coding": [{"system": local.system("stop-reason"), "code": th.stop_reason}],
                    "text": th.stop_reason,
                }
            ]
        if th.dose is not None:
            dose: Json = {"value": th.dose}
            if th.dose_unit is not None:
                dose["unit"] = th.dose_unit
            statement["dosage"] = [{"doseAndRate": [{"doseQuantity": dose}]}]
        w.add(statement, "medication")


def _medications(w: _Writer) -> None:
    """The patient's other medicines (not myeloma drugs), by name: the importer reads them back as such."""
    for m in w.record.medications:
        ended = m.end is not None and m.end < w.record.evaluation_date
        statement: Json = {
            "resourceType": "MedicationStatement",
            "status": "completed" if ended else "active",
            "medicationCodeableConcept": {"text": m.name},
        }
        period = {k: v.isoformat() for k, v in (("start", m.start), ("end", m.end)) if v is not None}
        if period:
            statement["effectivePeriod"] = period
        w.add(statement, "medication")


def _procedures_and_conditions(w: _Writer) -> None:
    for tx in w.record.transplants:
        w.add(
            {
                "resourceType": "Procedure",
                "status": "completed",
                "code": concept(w.tables, "transplant", tx.type, f"{tx.type} stem cell transplant"),
                "performedDateTime": tx.date.isoformat(),
            },
            "procedure",
        )
    for c in w.record.comorbidities:
        condition: Json = {
            "resourceType": "Condition",
            "code": concept(w.tables, "comorbidity", c.condition, c.condition.replace("_", " ")),
            "verificationStatus": _verification(True),
        }
        if c.since is not None:
            condition["onsetDateTime"] = c.since.isoformat()
        if c.grade is not None:
            condition["extension"] = [{"url": local.extension("grade"), "valueInteger": c.grade}]
        w.add(condition, "comorbidity")


def _adverse_events(w: _Writer) -> None:
    for ae in w.record.adverse_events:
        ext: list[Json] = [{"url": local.extension("ctcae-grade"), "valueInteger": ae.grade}]
        if ae.resolved is not None:
            ext.append({"url": local.extension("resolved"), "valueDate": ae.resolved.isoformat()})
        event: Json = {
            "resourceType": "AdverseEvent",
            "actuality": "actual",
            "event": {"text": ae.term},
            "date": ae.onset.isoformat(),
            "extension": ext,
        }
        if ae.attributed_to:
            event["suspectEntity"] = [{"instance": {"display": drug}} for drug in ae.attributed_to]
        w.add(event, "adverse-event")


def record_to_bundle(record: Record, tables: CodeTables | None = None) -> Json:
    """The record as a FHIR R4 collection Bundle (a plain JSON mapping, valid for fhir.resources R4B)."""
    w = _Writer(record, tables or code_tables())
    _patient(w)
    _diagnosis(w)
    _observations(w)
    _therapies(w)
    _medications(w)
    _procedures_and_conditions(w)
    _adverse_events(w)
    bundle: Json = {"resourceType": "Bundle", "type": "collection", "entry": w.entries}
    if record.as_of is not None:
        bundle["timestamp"] = f"{record.as_of.isoformat()}T00:00:00Z"
    return bundle
