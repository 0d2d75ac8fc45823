"""Schema of the toxicity knowledge: CTCAE terms, lab grading, label dose-modification tables, symptom care.

Files (``data/toxicity/``), each validated at load:

- ``ctcae_terms.yaml``: the CTCAE v5.0 adverse-event terms rrmm reads, each with the toxicity it belongs to
  and its highest grade (a grade above it is impossible and refused in a record);
- ``lab_grading.yaml``: CTCAE v5.0 grades defined by a laboratory number (neutrophils, platelets, ...);
- ``drugs/<inn>.yaml``: a drug's label table of dose modifications, one :class:`DoseAction` per row;
- ``symptom_care.yaml``: supportive care and symptom management for fatigue, neuropathy, infections, bone
  pain and VTE prophylaxis, each item with its condition and source.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from rrmm.knowledge.schema import Cond, Source, _Model
from rrmm.terminology import drug_vocabulary

Toxicity = Literal[
    "neutropenia",
    "febrile_neutropenia",
    "thrombocytopenia",
    "anemia",
    "leukopenia",
    "peripheral_neuropathy",
    "renal",
    "hepatic",
    "hypercalcemia",
    "hyponatremia",
    "cardiac",
    "pulmonary",
    "hypertension",
    "thromboembolism",
    "infusion_reaction",
    "crs",
    "icans",
    "neurotoxicity",
    "infection",
    "nausea",
    "vomiting",
    "diarrhea",
    "constipation",
    "anorexia",
    "weight_loss",
    "fatigue",
    "ocular",
    "oral",
    "skin",
    "nail",
    "rash",
    "tumor_lysis",
    "other",
]
LabTest = Literal["anc", "platelets", "hemoglobin", "wbc", "creatinine", "bilirubin", "alt", "ast", "calcium"]


class CtcaeTerm(_Model):
    term: str = Field(min_length=2, description="CTCAE v5.0 term as written there")
    toxicity: Toxicity
    max_grade: int = Field(ge=1, le=5, description="The highest grade CTCAE defines for the term")
    aliases: tuple[str, ...] = ()


class CtcaeTermFile(_Model):
    source: Source
    terms: tuple[CtcaeTerm, ...]


class GradeBand(_Model):
    """One grade of a lab-defined term: the value is below ``below`` or above ``above`` (canonical unit),
    or above ``above_uln`` times the upper limit of normal."""

    grade: int = Field(ge=1, le=4)
    below: float | None = None
    above: float | None = None
    above_uln: float | None = None

    @model_validator(mode="after")
    def _one_threshold(self) -> GradeBand:
        if sum(x is not None for x in (self.below, self.above, self.above_uln)) != 1:
            raise ValueError(f"grade {self.grade}: give exactly one of below, above, above_uln")
        return self


class LabGrading(_Model):
    term: str
    toxicity: Toxicity
    test: LabTest
    unit: str
    bands: tuple[GradeBand, ...] = Field(min_length=1)
    note: str | None = None

    @field_validator("bands")
    @classmethod
    def _ordered(cls, bands: tuple[GradeBand, ...]) -> tuple[GradeBand, ...]:
        grades = [b.grade for b in bands]
        if grades != sorted(grades) or len(set(grades)) != len(grades):
            raise ValueError("bands must be in increasing grade, each grade once")
        return bands


class LabGradingFile(_Model):
    source: Source
    terms: tuple[LabGrading, ...]


class DoseAction(_Model):
    """One row of a label's dose-modification table."""

    toxicity: Toxicity
    grade_min: int = Field(ge=1, le=5)
    grade_max: int | None = Field(default=None, ge=1, le=5)
    qualifier: Literal["with_pain", "without_pain", "recurrent", "first_occurrence"] | None = None
    when: Cond | None = Field(default=None, description="Further patient condition, e.g. a lab value")
    action: Literal["continue", "reduce", "hold", "stop"]
    dose_level: str | None = Field(default=None, description="The dose to give, for reduce (and after hold)")
    until: str | None = Field(default=None, description="The condition to resume, for hold")
    text: str
    source: Source
    fallback: bool = Field(
        default=False,
        description="A boxed-warning row: applies when no graded row of its toxicity covers the grade",
    )

    @model_validator(mode="after")
    def _complete(self) -> DoseAction:
        if self.grade_max is not None and self.grade_max < self.grade_min:
            raise ValueError("grade_max is below grade_min")
        if self.action == "hold" and not self.until:
            raise ValueError("a hold needs its 'until' condition")
        if self.action == "reduce" and not self.dose_level:
            raise ValueError("a reduction names its dose level")
        return self


class DrugToxicityTable(_Model):
    drug: str
    label: Source
    actions: tuple[DoseAction, ...]
    notes: tuple[str, ...] = ()

    @field_validator("drug")
    @classmethod
    def _known_inn(cls, drug: str) -> str:
        if drug not in drug_vocabulary():
            raise ValueError(f"drug {drug!r} is not an INN of the drug vocabulary")
        return drug


SymptomTopic = Literal["fatigue", "neuropathy", "infections", "bone_pain", "vte"]


class SymptomCare(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    topic: SymptomTopic
    item: str
    reason: str
    when: Cond | None = None
    source: Source


class SymptomCareFile(_Model):
    items: tuple[SymptomCare, ...]
