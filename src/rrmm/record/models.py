"""The patient record, version 1: frozen pydantic models of the contract's patient-record schema.

The schema is ``../shared/contracts/patient-record.schema.json``.

The models mirror the schema field for field (``extra="forbid"``, the same enums and bounds) and add what a
JSON Schema cannot say:

- drug names are resolved to their INN (``Revlimid`` -> ``lenalidomide``); an unknown drug is an error;
- laboratory results are converted to the canonical unit of their test (``g/L`` -> ``g/dL``), so that every
  later step reads one unit; a unit that does not convert is an error;
- dates agree with each other: no end before its start, nothing after ``as_of``.

A validated :class:`Record` is still a valid record of the schema (canonical units are units of the schema).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictFloat,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from rrmm.record.units import UnitError, test_units, to_canonical
from rrmm.terminology import UnknownDrugError, UnknownTermError, ctcae_vocabulary, drug_vocabulary

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_date(value: Any) -> dt.date:
    """An ISO 8601 calendar date (YYYY-MM-DD), as the schema's ``format: date`` requires."""
    if isinstance(value, dt.datetime):
        raise PydanticCustomError("date_type", "expected a date (YYYY-MM-DD), got a date and time")
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise PydanticCustomError(
            "date_type", "expected a date as YYYY-MM-DD, got {value!r}", {"value": value}
        )
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError(
            "date_value", "{value!r} is not a calendar date", {"value": value}
        ) from None


Date = Annotated[
    dt.date, BeforeValidator(_parse_date), PlainSerializer(lambda d: d.isoformat(), return_type=str)
]

Sex = Literal["female", "male", "other", "unknown"]
Response = Literal["sCR", "CR", "VGPR", "PR", "MR", "SD", "PD"]
LabTest = Literal[
    "m_protein_serum",
    "m_protein_urine_24h",
    "flc_kappa",
    "flc_lambda",
    "bm_plasma_cells",
    "creatinine",
    "hemoglobin",
    "calcium",
    "albumin",
    "beta2_microglobulin",
    "ldh",
    "anc",
    "platelets",
    "wbc",
    "bilirubin",
    "alt",
    "ast",
    "igg",
    "iga",
    "igm",
    "plasma_cells_blood",
]
FindingTest = Literal[
    "ife_serum",
    "ife_urine",
    "mrd_bone_marrow",
    "new_bone_lesion",
    "plasmacytoma_growth",
    "soft_tissue_plasmacytoma",
]
Abnormality = Literal[
    "t(4;14)",
    "t(14;16)",
    "t(14;20)",
    "t(11;14)",
    "t(6;14)",
    "del(17p)",
    "TP53 mutation",
    "gain(1q)",
    "amp(1q)",
    "del(1p)",
    "hyperdiploidy",
]
Setting = Literal[
    "induction", "consolidation", "maintenance", "salvage", "bridging", "conditioning", "clinical_trial"
]
StopReason = Literal["progression", "toxicity", "completed", "patient_choice", "other"]
Symptom = Literal[
    "fatigue",
    "numbness_tingling",
    "bone_pain",
    "pain",
    "fever",
    "nausea",
    "diarrhea",
    "constipation",
    "shortness_of_breath",
    "mouth_sores",
    "taste_change",
    "blurred_vision",
    "rash",
    "confusion",
]
Condition = Literal[
    "peripheral_neuropathy",
    "heart_failure",
    "coronary_artery_disease",
    "arrhythmia",
    "uncontrolled_hypertension",
    "prior_vte",
    "diabetes",
    "copd",
    "chronic_kidney_disease",
    "dialysis",
    "cirrhosis",
    "hepatitis_b",
    "hepatitis_c",
    "hiv",
    "active_infection",
    "prior_malignancy",
    "dementia",
    "corneal_disease",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Diagnosis(_Model):
    date: Date
    heavy_chain: Literal["IgG", "IgA", "IgD", "IgE", "IgM", "none"] | None = None
    light_chain: Literal["kappa", "lambda", "none"] | None = None
    extramedullary_disease: StrictBool | None = None
    plasma_cell_leukemia: StrictBool | None = None
    al_amyloidosis: StrictBool | None = None
    cns_involvement: StrictBool | None = None


class PerformanceStatus(_Model):
    date: Date
    ecog: StrictInt = Field(ge=0, le=4)


class Cytogenetics(_Model):
    date: Date
    abnormality: Abnormality
    present: StrictBool
    clone_fraction: StrictFloat | None = Field(default=None, ge=0, le=1)
    method: Literal["FISH", "NGS", "karyotype", "other"] | None = None


class Lab(_Model):
    """A quantitative result, held in the canonical unit of its test once validated."""

    date: Date
    test: LabTest
    value: StrictFloat = Field(ge=0)
    unit: str = Field(min_length=1)
    upper_limit_normal: StrictFloat | None = Field(default=None, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _to_canonical_unit(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        test, value, unit = data.get("test"), data.get("value"), data.get("unit")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return data  # field validation reports what is missing or mistyped
        units = test_units()
        if not (isinstance(test, str) and test in units and isinstance(unit, str) and unit):
            return data
        if unit == units[test].canonical:
            return data  # already canonical: nothing to convert
        try:
            canonical_value, canonical = to_canonical(test, float(value), unit)
            converted = dict(data, value=canonical_value, unit=canonical)
            uln = data.get("upper_limit_normal")
            if isinstance(uln, int | float) and not isinstance(uln, bool) and uln > 0:
                converted["upper_limit_normal"] = to_canonical(test, float(uln), unit)[0]
        except UnitError as exc:
            raise PydanticCustomError("unit", "{message}", {"message": str(exc), "field": "unit"}) from None
        return converted


class Finding(_Model):
    date: Date
    test: FindingTest
    result: Literal["positive", "negative"]
    sensitivity: StrictFloat | None = Field(default=None, gt=0, le=1)


class Therapy(_Model):
    """One drug over one continuous course; ``drug`` is resolved to its INN."""

    drug: str = Field(min_length=1)
    start: Date
    end: Date | None = None
    setting: Setting | None = None
    stop_reason: StopReason | None = None
    dose: StrictFloat | None = Field(default=None, gt=0)
    dose_unit: str | None = None

    @field_validator("drug", mode="after")
    @classmethod
    def _resolve_inn(cls, name: str) -> str:
        try:
            return drug_vocabulary().resolve(name)
        except UnknownDrugError as exc:
            raise PydanticCustomError("unknown_drug", "{message}", {"message": str(exc)}) from None

    @model_validator(mode="after")
    def _end_not_before_start(self) -> Therapy:
        if self.end is not None and self.end < self.start:
            raise PydanticCustomError(
                "date_order",
                "end {end} is before start {start}",
                {"end": self.end.isoformat(), "start": self.start.isoformat(), "field": "end"},
            )
        return self


class Transplant(_Model):
    date: Date
    type: Literal["autologous", "allogeneic"]


class Event(_Model):
    date: Date
    type: Literal["progression", "response_assessment"]
    response: Response | None = None


class AdverseEvent(_Model):
    term: str = Field(min_length=1)
    grade: StrictInt = Field(ge=1, le=5)
    onset: Date
    resolved: Date | None = None
    attributed_to: tuple[str, ...] = ()

    @field_validator("term", mode="after")
    @classmethod
    def _ctcae_term(cls, term: str) -> str:
        try:
            return ctcae_vocabulary().resolve(term).term
        except UnknownTermError as exc:
            raise PydanticCustomError("unknown_term", "{message}", {"message": str(exc)}) from None

    @model_validator(mode="after")
    def _possible_grade(self) -> AdverseEvent:
        top = ctcae_vocabulary().resolve(self.term).max_grade
        if self.grade > top:
            message = f"grade {self.grade} is impossible for {self.term!r}: CTCAE v5.0 grades it 1-{top}"
            raise PydanticCustomError("impossible_grade", "{message}", {"message": message, "field": "grade"})
        return self

    @model_validator(mode="after")
    def _resolved_not_before_onset(self) -> AdverseEvent:
        if self.resolved is not None and self.resolved < self.onset:
            raise PydanticCustomError(
                "date_order",
                "resolved {resolved} is before onset {onset}",
                {"resolved": self.resolved.isoformat(), "onset": self.onset.isoformat(), "field": "resolved"},
            )
        return self


class SymptomReport(_Model):
    date: Date
    symptom: Symptom
    severity: StrictInt = Field(ge=0, le=4)
    reported_by: Literal["patient", "clinician"] | None = None


class Comorbidity(_Model):
    condition: Condition
    grade: StrictInt | None = Field(default=None, ge=1, le=4)
    since: Date | None = None


class Medication(_Model):
    """Another medicine the patient takes, not an anti-myeloma therapy (those are ``therapies``): for the
    drug-interaction check. An rrmm extension of the schema-version-1 record (the shared schema has no such
    field; a record without medicines is exactly a version-1 record). ``name`` is as written (INN or brand);
    a name the interaction tables do not know is reported as not checked. Taken now when it has no ``end``
    or ends on or after the record's date."""

    name: str = Field(min_length=2, max_length=200)
    start: Date | None = None
    end: Date | None = None

    @field_validator("name", mode="after")
    @classmethod
    def _not_a_myeloma_drug(cls, name: str) -> str:
        name = " ".join(name.split())
        try:
            inn = drug_vocabulary().resolve(name)
        except UnknownDrugError:
            return name
        raise PydanticCustomError(
            "myeloma_drug",
            "'{name}' is an anti-myeloma drug ({inn}): record it under therapies, not medications",
            {"name": name, "inn": inn},
        )

    @model_validator(mode="after")
    def _end_not_before_start(self) -> Medication:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise PydanticCustomError(
                "date_order",
                "end {end} is before start {start}",
                {"end": self.end.isoformat(), "start": self.start.isoformat(), "field": "end"},
            )
        return self


class Location(_Model):
    postal_code: str | None = None
    country: str | None = None
    latitude: StrictFloat | None = Field(default=None, ge=-90, le=90)
    longitude: StrictFloat | None = Field(default=None, ge=-180, le=180)


class Preferences(_Model):
    max_travel_km: StrictFloat | None = Field(default=None, gt=0)
    oral_only: StrictBool | None = None
    declines_transplant: StrictBool | None = None
    declines_cell_therapy: StrictBool | None = None


# Every dated list of the record, with the date fields an ``as_of`` must not precede.
_DATED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("performance_status", ("date",)),
    ("cytogenetics", ("date",)),
    ("labs", ("date",)),
    ("findings", ("date",)),
    ("therapies", ("start", "end")),
    ("transplants", ("date",)),
    ("events", ("date",)),
    ("adverse_events", ("onset", "resolved")),
    ("symptoms", ("date",)),
    ("comorbidities", ("since",)),
    ("medications", ("start",)),
)


class Record(_Model):
    """One patient's record (schema version 1), validated and normalised."""

    schema_version: Literal["1"]
    id: str = Field(min_length=1, max_length=128)
    as_of: Date | None = None
    birth_date: Date | None = None
    age: StrictInt | None = Field(default=None, ge=18, le=120)
    sex: Sex
    weight_kg: StrictFloat | None = Field(default=None, gt=0, le=400)
    height_cm: StrictFloat | None = Field(default=None, gt=0, le=260)
    diagnosis: Diagnosis
    performance_status: tuple[PerformanceStatus, ...] = ()
    cytogenetics: tuple[Cytogenetics, ...] = ()
    labs: tuple[Lab, ...] = ()
    findings: tuple[Finding, ...] = ()
    therapies: tuple[Therapy, ...]
    transplants: tuple[Transplant, ...] = ()
    events: tuple[Event, ...] = ()
    adverse_events: tuple[AdverseEvent, ...] = ()
    symptoms: tuple[SymptomReport, ...] = ()
    comorbidities: tuple[Comorbidity, ...] = ()
    medications: tuple[Medication, ...] = ()
    location: Location | None = None
    preferences: Preferences | None = None

    @model_validator(mode="after")
    def _consistent_dates(self) -> Record:
        if self.birth_date is None and self.age is None:
            raise PydanticCustomError("missing_age", "give birth_date or age", {"field": "birth_date"})
        as_of = self.as_of or self.latest_date()
        if self.birth_date is not None and self.birth_date > self.diagnosis.date:
            raise PydanticCustomError(
                "date_order", "birth_date is after the diagnosis date", {"field": "birth_date"}
            )
        if self.diagnosis.date > as_of:
            raise PydanticCustomError(
                "date_order",
                "diagnosis date is after as_of {as_of}",
                {"as_of": str(as_of), "field": "diagnosis.date"},
            )
        for name, fields in _DATED:
            for index, entry in enumerate(getattr(self, name)):
                for field in fields:
                    when = getattr(entry, field)
                    if when is not None and when > as_of:
                        raise PydanticCustomError(
                            "date_order",
                            "{when} is after as_of {as_of}",
                            {
                                "when": when.isoformat(),
                                "as_of": as_of.isoformat(),
                                "field": f"{name}[{index}].{field}",
                            },
                        )
        return self

    def latest_date(self) -> dt.date:
        """The latest date anywhere in the record (the default ``as_of``)."""
        dates = [self.diagnosis.date]
        for name, fields in _DATED:
            for entry in getattr(self, name):
                dates.extend(d for f in fields if (d := getattr(entry, f)) is not None)
        return max(dates)

    @property
    def evaluation_date(self) -> dt.date:
        """``as_of`` when given, else the latest date in the record (schema: ``as_of``)."""
        return self.as_of or self.latest_date()

    def age_at(self, when: dt.date) -> int | None:
        """Age in whole years at ``when``: from birth_date, or ``age`` (which is the age at ``as_of``)."""
        if self.birth_date is not None:
            b = self.birth_date
            return when.year - b.year - ((when.month, when.day) < (b.month, b.day))
        if self.age is None:
            return None
        years_before = (
            self.evaluation_date.year
            - when.year
            - ((self.evaluation_date.month, self.evaluation_date.day) < (when.month, when.day))
        )
        return self.age - years_before
