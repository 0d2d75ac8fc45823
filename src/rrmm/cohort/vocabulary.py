"""OMOP vocabularies and concepts as rrmm reads them: a concept maps through (vocabulary_id, concept_code).

- The standard vocabularies of the shared code tables (:mod:`rrmm.terminology.codes`) under their OMOP
  ``vocabulary_id``: LOINC, RxNorm, SNOMED, ICD10CM, ICD10, ICD10PCS, and UCUM for units.
- A local vocabulary ``rrmm`` for what no standard code of the tables names (symptoms, IMWG responses,
  CTCAE adverse-event terms and grades, therapy settings, preferences, location, ...). A local concept code
  is ``<kind>/<value>`` (``symptom/fatigue``, ``response/VGPR``); a value that would make the code longer than
  the CDM's ``concept_code varchar(50)`` is written ``<kind>/#<first 16 hex digits of its SHA-256>`` and is
  resolved through the catalogue of known values (CTCAE terms, drug INNs).
- The writer numbers every concept it writes from :data:`FIRST_LOCAL_CONCEPT_ID` (2,000,000,000, the start
  of the OMOP range for site-local concepts). The numbers mean nothing: :class:`Concepts` maps a concept id to
  its (vocabulary_id, concept_code) and then to the record's meaning, so a real OMOP database whose concept
  ids are Athena's maps the same way.

A few OMOP-defined concept ids are used as they are (their own ids in every OMOP vocabulary release, so they
are not repeated in the concept table the writer writes):

- Gender: 8507 MALE, 8532 FEMALE. Checked 2026-11 in stored copies: answerdigital/oxford-omop-data-mapper
  ``Person_gender_concept_id.md`` maps NHS code 1 -> 8507 Male, 2 -> 8532 Female, 9 and X -> 0; a French
  FHIR ConceptMap (hl7-gender-to-ohdsi-gender) lists ``#8507 "MALE"``, ``#8532 "FEMALE"``. Only those two are
  standard Gender concepts of the CDM conventions; 'other' and 'unknown' are written as 0 (No matching
  concept) with the record's sex in ``gender_source_value``.
- Type concept 32817 "EHR" for every ``*_type_concept_id`` (a stored OMOP value-count listing shows
  ``condition_type_concept_id | 32817 | ... | EHR``).
- Episode concept 32531 "Treatment Regimen" (OMOP CDM v5.4 field-level conventions,
  ``inst/csv/OMOP_CDMv5.4_Field_Level.csv``, episode_object_concept_id: "if the EPISODE_CONCEPT_ID is
  treatment regimen (athena .../terms/32531) ...").
- Field concepts 1147094 ``drug_exposure.drug_exposure_id`` (a stored OMOP query joins
  ``episode_event_field_concept_id = 1147094`` to ``drug_exposure.drug_exposure_id``) and 1147127
  ``condition_occurrence.condition_occurrence_id`` (OHDSI OncologyWG measurement-modifier text:
  "modifier_of_field_concept_id = 1147127 (indicates it refers to field
  condition_occurrence.condition_occurrence_id)").
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from pydantic import ValidationError

from rrmm.terminology import ctcae_vocabulary, drug_vocabulary
from rrmm.terminology.codes import SYSTEMS, CodeTables, Meaning, code_tables

#: Code-table system -> OMOP vocabulary_id.
VOCABULARY_OF_SYSTEM: dict[str, str] = {
    SYSTEMS["loinc"]: "LOINC",
    SYSTEMS["rxnorm"]: "RxNorm",
    SYSTEMS["snomed"]: "SNOMED",
    SYSTEMS["icd10cm"]: "ICD10CM",
    SYSTEMS["icd10"]: "ICD10",
    SYSTEMS["icd10pcs"]: "ICD10PCS",
    SYSTEMS["ucum"]: "UCUM",
}
#: OMOP vocabulary_id -> code-table system.
SYSTEM_OF_VOCABULARY: dict[str, str] = {v: k for k, v in VOCABULARY_OF_SYSTEM.items()}

LOCAL_VOCABULARY = "rrmm"
FIRST_LOCAL_CONCEPT_ID = 2_000_000_000
CONCEPT_CODE_MAX = 50  # concept.concept_code varchar(50)

NO_MATCHING_CONCEPT = 0
MALE = 8507
FEMALE = 8532
GENDER_OF_SEX: dict[str, int] = {"male": MALE, "female": FEMALE}
SEX_OF_GENDER: dict[int, str] = {MALE: "male", FEMALE: "female"}
EHR = 32817
TREATMENT_REGIMEN = 32531
DRUG_EXPOSURE_ID_FIELD = 1147094
CONDITION_OCCURRENCE_ID_FIELD = 1147127

#: Kinds of the shared code tables' meanings (a local concept of one of these kinds is a Meaning too).
MEANING_KINDS = frozenset(Meaning.model_fields)

#: Local kinds and the OMOP domain a concept of that kind is written in.
LOCAL_KINDS: dict[str, str] = {
    "lab": "Measurement",
    "finding": "Measurement",
    "observation": "Observation",
    "abnormality": "Measurement",
    "diagnosis": "Condition",
    "comorbidity": "Condition",
    "drug": "Drug",
    "transplant": "Procedure",
    "symptom": "Observation",
    "response": "Meas Value",
    "result": "Meas Value",
    "value": "Meas Value",
    "grade": "Condition Status",
    "adverse_event": "Condition",
    "attribution": "Observation",
    "setting": "Episode",
    "location": "Observation",
    "preference": "Observation",
    "record": "Observation",
}


def _digest(value: str) -> str:
    return "#" + hashlib.sha256(value.encode()).hexdigest()[:16]


def local_code(kind: str, value: str) -> str:
    """The concept_code of a local concept: ``kind/value``, or ``kind/#<hash>`` when that is too long."""
    if kind not in LOCAL_KINDS:
        raise KeyError(f"no local concept kind {kind!r}")
    code = f"{kind}/{value}"
    return code if len(code) <= CONCEPT_CODE_MAX else f"{kind}/{_digest(value)}"


@cache
def _hashed() -> dict[str, tuple[str, str]]:
    """Known long values by their hashed code: CTCAE terms (adverse events) and drug INNs."""
    terms = sorted({entry.term for entry in ctcae_vocabulary()._by_name.values()})
    values = [("adverse_event", term) for term in terms] + [
        ("drug", d.inn) for d in drug_vocabulary().drugs()
    ]
    return {f"{kind}/{_digest(value)}": (kind, value) for kind, value in values}


def parse_local_code(code: str) -> tuple[str, str] | None:
    """(kind, value) of a local concept code, or None when it is not one rrmm writes."""
    kind, sep, value = code.partition("/")
    if not sep or kind not in LOCAL_KINDS or not value:
        return None
    if value.startswith("#"):
        return _hashed().get(code)
    return kind, value


def local_name(kind: str, value: str) -> str:
    """A readable concept_name for a local concept."""
    return f"{kind.replace('_', ' ')}: {value}"[:255]


class Concepts:
    """The concepts of a database by id: ``{concept_id: (vocabulary_id, concept_code, concept_name)}``.

    Every lookup goes through (vocabulary_id, concept_code); the ids are only keys."""

    def __init__(self, rows: Mapping[int, tuple[str, str, str]], tables: CodeTables | None = None) -> None:
        self._rows = {int(k): v for k, v in rows.items()}
        self._tables = tables or code_tables()
        self._meanings: dict[int, Meaning | None] = {}

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]], tables: CodeTables | None = None) -> Concepts:
        """From concept-table rows (mappings with concept_id, vocabulary_id, concept_code, concept_name)."""
        return cls(
            {
                int(r["concept_id"]): (
                    str(r["vocabulary_id"]),
                    str(r["concept_code"]),
                    str(r.get("concept_name") or ""),
                )
                for r in rows
            },
            tables,
        )

    def __contains__(self, concept_id: object) -> bool:
        return isinstance(concept_id, int) and concept_id in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, concept_id: int | None) -> tuple[str, str, str] | None:
        """(vocabulary_id, concept_code, concept_name) of a concept id, or None when unknown."""
        return None if concept_id is None else self._rows.get(concept_id)

    def describe(self, concept_id: int | None) -> str:
        row = self.get(concept_id)
        return f"concept {concept_id}" if row is None else f"concept {concept_id} ({row[0]} {row[1]})"

    def local(self, concept_id: int | None) -> tuple[str, str] | None:
        """(kind, value) of a concept of the local vocabulary ``rrmm``, else None."""
        row = self.get(concept_id)
        if row is None or row[0] != LOCAL_VOCABULARY:
            return None
        return parse_local_code(row[1])

    def unit(self, concept_id: int | None) -> str | None:
        """The UCUM code of a unit concept, else None."""
        row = self.get(concept_id)
        return row[1] if row is not None and row[0] == "UCUM" else None

    def meaning(self, concept_id: int | None) -> Meaning | None:
        """The code table's meaning of a concept (a standard code of the tables, or a local concept of a
        meaning kind), or None."""
        if concept_id is None:
            return None
        if concept_id in self._meanings:
            return self._meanings[concept_id]
        found: Meaning | None = None
        row = self._rows.get(concept_id)
        if row is not None:
            vocabulary, code, _ = row
            if vocabulary == LOCAL_VOCABULARY:
                parsed = parse_local_code(code)
                if parsed is not None and parsed[0] in MEANING_KINDS:
                    try:
                        found = Meaning.model_validate({parsed[0]: parsed[1]})
                    except ValidationError:
                        found = None
            elif vocabulary in SYSTEM_OF_VOCABULARY:
                known = self._tables.lookup(SYSTEM_OF_VOCABULARY[vocabulary], code)
                found = known.means if known is not None else None
        self._meanings[concept_id] = found
        return found

    def kind_value(self, concept_id: int | None) -> tuple[str, str] | None:
        """(kind, value) of a concept: its code-table meaning, else its local (kind, value)."""
        meaning = self.meaning(concept_id)
        if meaning is not None:
            return meaning.kind, meaning.value
        return self.local(concept_id)
