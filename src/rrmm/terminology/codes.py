"""Standard codes (LOINC, RxNorm, SNOMED CT, ICD-10-CM, ICD-10-PCS) and what each means in the record.

One file a code system under ``data/codes/``; each row is a code with its display as the code system writes
it, the record concept it means, and how it was checked against the code system. The FHIR importer and the
OMOP cohort reader share these tables: a code means one thing everywhere.

What a code can mean (``means``, exactly one key):

- ``lab``: a record lab test (``labs[].test``); ``unit`` is the UCUM unit the code is usually reported in;
- ``finding``: a record finding (``findings[].test``: immunofixation, MRD, new lesion, ...);
- ``observation``: ``age``, ``ecog``, ``body_weight``, ``body_height``, ``disease_status``, ``cytogenetics``,
  ``heavy_chain``, ``light_chain``;
- ``abnormality``: a record cytogenetic abnormality (``cytogenetics[].abnormality``);
- ``diagnosis``: ``multiple_myeloma``, ``plasma_cell_leukemia``, ``al_amyloidosis``,
  ``extramedullary_disease``, ``cns_involvement``; ``remission`` (``in_remission``/``relapse``) where the
  code says so;
- ``comorbidity``: a record comorbidity (``comorbidities[].condition``);
- ``drug``: an INN of the drug vocabulary;
- ``transplant``: ``autologous`` or ``allogeneic``;
- ``progression``: a code meaning disease progression (a value of CancerDiseaseStatus).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rrmm.terminology.drugs import drug_vocabulary

SYSTEMS: dict[str, str] = {
    "loinc": "http://loinc.org",
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "snomed": "http://snomed.info/sct",
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "icd10": "http://hl7.org/fhir/sid/icd-10",
    "icd10pcs": "http://www.cms.gov/Medicare/Coding/ICD10",
    "ucum": "http://unitsofmeasure.org",
}

Observation = Literal[
    "age",
    "ecog",
    "body_weight",
    "body_height",
    "disease_status",
    "cytogenetics",
    "heavy_chain",
    "light_chain",
]
Diagnosis = Literal[
    "multiple_myeloma",
    "plasma_cell_leukemia",
    "al_amyloidosis",
    "extramedullary_disease",
    "cns_involvement",
]


def _record_literal(name: str) -> tuple[str, ...]:
    from rrmm.record import models

    return tuple(get_args(getattr(models, name)))


class Meaning(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    lab: str | None = None
    finding: str | None = None
    observation: Observation | None = None
    abnormality: str | None = None
    diagnosis: Diagnosis | None = None
    remission: Literal["in_remission", "relapse"] | None = None
    comorbidity: str | None = None
    drug: str | None = None
    transplant: Literal["autologous", "allogeneic"] | None = None
    progression: Literal[True] | None = None

    @model_validator(mode="after")
    def _one(self) -> Meaning:
        given = {k: v for k, v in self.__dict__.items() if v is not None}
        if set(given) == {"diagnosis", "remission"}:
            return self
        if len(given) != 1:
            raise ValueError(f"a code means exactly one thing, got {sorted(given) or 'nothing'}")
        vocab = {
            "lab": "LabTest",
            "finding": "FindingTest",
            "abnormality": "Abnormality",
            "comorbidity": "Condition",
        }
        for key, literal in vocab.items():
            value = given.get(key)
            if value is not None and value not in _record_literal(literal):
                raise ValueError(f"{key} {value!r} is not in the record's vocabulary")
        if self.drug is not None and self.drug not in drug_vocabulary():
            raise ValueError(f"drug {self.drug!r} is not an INN of the drug vocabulary")
        return self

    @property
    def kind(self) -> str:
        return next(k for k, v in self.__dict__.items() if v is not None)

    @property
    def value(self) -> str:
        return str(self.__dict__[self.kind])


class Code(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1)
    display: str = Field(min_length=2, description="The code system's own display name")
    means: Meaning
    unit: str | None = Field(default=None, description="UCUM unit the code is reported in (labs)")
    checked: str = Field(min_length=3, description="Where and when the code was checked against its system")


class CodeSystemTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    system: str
    name: str
    source: dict[str, str]
    codes: tuple[Code, ...]

    @field_validator("system")
    @classmethod
    def _known_system(cls, system: str) -> str:
        if system not in SYSTEMS.values():
            raise ValueError(f"unknown code system {system!r}; known: {sorted(SYSTEMS.values())}")
        return system

    @field_validator("codes")
    @classmethod
    def _unique(cls, codes: tuple[Code, ...]) -> tuple[Code, ...]:
        seen: set[str] = set()
        for c in codes:
            if c.code in seen:
                raise ValueError(f"code {c.code!r} is given twice")
            seen.add(c.code)
        return codes


class CodeTableError(ValueError):
    pass


class CodeTables:
    """All the code tables: look a coding up by (system, code)."""

    def __init__(self, tables: tuple[CodeSystemTable, ...]) -> None:
        self.tables = tables
        self._by_key: dict[tuple[str, str], Code] = {}
        self._by_meaning: dict[tuple[str, str], list[tuple[str, Code]]] = {}
        for t in tables:
            for c in t.codes:
                self._by_meaning.setdefault((c.means.kind, c.means.value), []).append((t.system, c))
                key = (t.system, _norm(t.system, c.code))
                if key in self._by_key:
                    raise CodeTableError(f"{t.name} code {c.code!r} is in two tables")
                self._by_key[key] = c

    def lookup(self, system: str | None, code: str | None) -> Code | None:
        if not system or not code:
            return None
        return self._by_key.get((system, _norm(system, code)))

    def codes_for(self, kind: str, value: str, system: str | None = None) -> list[tuple[str, Code]]:
        """Every (system, code) that means ``kind`` = ``value``, in table order."""
        found = self._by_meaning.get((kind, value), [])
        return [(s, c) for s, c in found if system is None or s == system]


def _norm(system: str, code: str) -> str:
    """ICD-10 codes are compared without their dot and case (C90.00 = C9000)."""
    code = code.strip()
    if "icd-10" in system or "ICD10" in system:
        return re.sub(r"\.", "", code).upper()
    return code


def load_code_tables(root: object | None = None) -> CodeTables:
    folder = resources.files("rrmm.terminology").joinpath("data/codes") if root is None else root
    tables = []
    for f in sorted(folder.iterdir(), key=lambda p: p.name):  # type: ignore[attr-defined]
        if not f.name.endswith(".yaml"):
            continue
        try:
            tables.append(CodeSystemTable.model_validate(yaml.safe_load(f.read_text(encoding="utf-8"))))
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise CodeTableError(f"codes/{f.name}: {where}: {err['msg']}") from None
    return CodeTables(tuple(tables))


@cache
def code_tables() -> CodeTables:
    """The packaged code tables, loaded and validated once."""
    return load_code_tables()
