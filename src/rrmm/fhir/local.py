"""rrmm's own FHIR identifiers: the code systems and extensions for record concepts no standard code names.

Every resource rrmm writes codes its concept with the standard code of the shared tables where one exists
(LOINC, RxNorm, SNOMED CT, ICD-10-CM) and, beside it, with rrmm's code for the record field, so that a
bundle rrmm wrote reads back to the same record. The identifiers are URNs: they name, they do not resolve.
"""

from __future__ import annotations

BASE = "urn:rrmm:fhir"

#: Code system of a record vocabulary, e.g. ``system("lab")`` for ``labs[].test``.
KINDS = (
    "lab",
    "finding",
    "observation",
    "abnormality",
    "diagnosis",
    "comorbidity",
    "drug",
    "transplant",
    "symptom",
    "response",
    "setting",
    "stop-reason",
    "plan",
)


def system(kind: str) -> str:
    if kind not in KINDS:
        raise KeyError(kind)
    return f"{BASE}:CodeSystem:{kind}"


def extension(name: str) -> str:
    return f"{BASE}:StructureDefinition:{name}"


#: The record's own id (a record id may be longer than a FHIR id allows).
RECORD_ID = f"{BASE}:NamingSystem:record-id"

#: HL7 code systems used as they are.
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
OBSERVATION_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
GEOLOCATION = "http://hl7.org/fhir/StructureDefinition/geolocation"
UCUM = "http://unitsofmeasure.org"
