"""The schema of the knowledge base: regimens, drug label facts, supportive care, ranking policy.

Every file under ``data/`` is validated against these models when it loads (and in the tests). A figure
without a source, a regimen without a category or an indication, a drug the vocabulary does not know, or a
condition outside :mod:`rrmm.knowledge.conditions` is an error naming the file.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from rrmm.knowledge.conditions import Condition, parse_condition
from rrmm.terminology import DRUG_CLASSES, MODALITIES, drug_vocabulary

Category = Literal[
    "standard",
    "car-t",
    "bispecific",
    "antibody-drug-conjugate",
    "targeted",
    "transplant",
    "clinical-trial",
    "palliative",
]
Jurisdiction = Literal["us", "eu"]
JURISDICTIONS: tuple[Jurisdiction, ...] = ("us", "eu")


def _tokens() -> frozenset[str]:
    vocab = drug_vocabulary()
    return frozenset({d.inn for d in vocab.drugs()} | set(DRUG_CLASSES) | set(MODALITIES))


def _condition(raw: Any) -> Condition:
    return parse_condition(raw, _tokens())


Cond = Annotated[Condition, BeforeValidator(_condition), PlainSerializer(lambda c: c.as_data())]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Source(_Model):
    """Where a fact comes from: a publication (DOI or PMID) or a drug label (URL, section, revision)."""

    text: str = Field(min_length=3, description="Authors, journal, year; or the label's name")
    doi: str | None = Field(default=None, pattern=r"^10\.\d{4,9}/\S+$")
    pmid: str | None = Field(default=None, pattern=r"^\d{5,9}$")
    url: str | None = Field(default=None, pattern=r"^https://\S+$")
    section: str | None = None
    revised: str | None = Field(default=None, description="Label revision, YYYY-MM")
    checked: str = Field(min_length=3, description="How and when the figures were checked against it")

    @model_validator(mode="after")
    def _identified(self) -> Source:
        if not (self.doi or self.pmid or self.url):
            raise ValueError("a source needs a doi, a pmid or a url")
        return self


class Component(_Model):
    drug: str
    dose: str | None = None
    schedule: str | None = None

    @field_validator("drug")
    @classmethod
    def _known_inn(cls, drug: str) -> str:
        if drug not in drug_vocabulary():
            raise ValueError(f"drug {drug!r} is not an INN of the drug vocabulary")
        return drug


class Indication(_Model):
    """One regulatory status of a regimen in one jurisdiction, with whom it covers."""

    jurisdiction: Jurisdiction
    status: Literal["approved", "accelerated", "withdrawn", "not_approved", "off_label", "not_applicable"]
    text: str = Field(min_length=3, description="The indication in words, as the label or source gives it")
    min_prior_lines: int | None = Field(default=None, ge=0)
    max_prior_lines: int | None = Field(default=None, ge=0)
    requires: Cond | None = None
    date: str | None = None
    source: Source


class Evidence(_Model):
    """A pivotal study. Figures are as published; a figure not published or not checked is ``null``."""

    trial: str
    phase: str
    design: str | None = None
    population: str
    population_match: Cond | None = Field(
        default=None, description="Patients like those of the study: used to rank the evidence's fit"
    )
    n: int | None = Field(default=None, gt=0)
    comparator: str | None = None
    orr: float | None = Field(default=None, ge=0, le=1)
    comparator_orr: float | None = Field(default=None, ge=0, le=1)
    median_pfs_months: float | None = Field(default=None, gt=0)
    median_pfs_not_reached: bool = False
    comparator_median_pfs_months: float | None = Field(default=None, gt=0)
    hazard_ratio: float | None = Field(default=None, gt=0)
    pfs_note: str | None = None
    key_toxicity: str | None = None
    source: Source

    @model_validator(mode="after")
    def _publication(self) -> Evidence:
        label_section = self.source.url is not None and self.source.section is not None
        if not (self.source.doi or self.source.pmid or label_section):
            raise ValueError(
                f"{self.trial}: evidence needs the DOI or PMID of its primary publication, "
                "or the section of the drug label that reports it"
            )
        if self.median_pfs_not_reached and self.median_pfs_months is not None:
            raise ValueError(f"{self.trial}: median PFS is either a number or not reached")
        return self


class Rule(_Model):
    """A contraindication or caution: when ``when`` holds for the patient, ``effect`` with ``text``."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    when: Cond
    effect: Literal["exclude", "caution"]
    text: str
    source: Source | None = None
    policy: str | None = Field(
        default=None, description="Why, when the rule is rrmm's convention, not a label"
    )

    @model_validator(mode="after")
    def _grounded(self) -> Rule:
        if self.source is None and self.policy is None:
            raise ValueError(f"rule {self.id}: give its source, or the policy it follows")
        return self


class DoseAdjustment(_Model):
    drug: str
    when: Cond
    text: str
    source: Source


class SupportiveCare(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    item: str
    reason: str
    when: Cond
    source: Source


class Regimen(_Model):
    """One regimen: what it is, for whom it is approved, how well it works, and when not to give it."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9\-]*$")
    name: str
    category: Category
    components: tuple[Component, ...] = Field(default=(), description="Empty only for transplant or trial")
    cycle_days: int | None = Field(default=None, gt=0)
    duration: str | None = None
    indications: tuple[Indication, ...] = Field(min_length=1)
    requires: Cond | None = Field(default=None, description="Must hold, or the regimen is not an option")
    requires_text: str | None = None
    evidence: tuple[Evidence, ...] = ()
    rules: tuple[Rule, ...] = ()
    dose_adjustments: tuple[DoseAdjustment, ...] = ()
    supportive_care: tuple[SupportiveCare, ...] = ()
    notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> Regimen:
        if not self.components and self.category not in ("transplant", "clinical-trial"):
            raise ValueError(f"{self.id}: a regimen needs its components")
        if not self.evidence and self.category != "clinical-trial":
            raise ValueError(f"{self.id}: a regimen needs at least one cited study")
        if self.requires is not None and not self.requires_text:
            raise ValueError(f"{self.id}: say in requires_text what 'requires' asks for")
        ids = [r.id for r in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{self.id}: rule ids repeat")
        return self

    @cached_property
    def drugs(self) -> tuple[str, ...]:
        return tuple(sorted({c.drug for c in self.components}))

    def indication(self, jurisdiction: str) -> tuple[Indication, ...]:
        return tuple(i for i in self.indications if i.jurisdiction == jurisdiction)


class DrugFacts(_Model):
    """Label facts of one drug that the planner needs."""

    inn: str
    route: tuple[Literal["oral", "IV", "SC", "IV infusion (cell therapy)"], ...] = Field(min_length=1)
    label: Source
    key_toxicities: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    dose_adjustments: tuple[DoseAdjustment, ...] = ()
    supportive_care: tuple[SupportiveCare, ...] = ()

    @field_validator("inn")
    @classmethod
    def _known_inn(cls, inn: str) -> str:
        if inn not in drug_vocabulary():
            raise ValueError(f"drug {inn!r} is not an INN of the drug vocabulary")
        return inn


RANKING_WEIGHTS = frozenset(
    {
        "evidence_randomized_phase3",
        "evidence_single_arm",
        "population_match",
        "pfs_per_6_months",
        "pfs_cap",
        "pfs_not_reached",
        "new_class",
        "label_indication",
        "off_label",
        "caution",
        "high_risk_fit",
        "car_t_first",
        "bcma_after_car_t_option",
        "clinical_trial_priority",
        "bcma_after_bcma",
        "dose_adjustment",
    }
)


class RankingPolicy(_Model):
    """rrmm's ranking weights: a convention, documented and reviewable, not a clinical fact."""

    description: str
    weights: dict[str, float]

    @field_validator("weights")
    @classmethod
    def _every_weight(cls, weights: dict[str, float]) -> dict[str, float]:
        missing, unknown = RANKING_WEIGHTS - set(weights), set(weights) - RANKING_WEIGHTS
        if missing or unknown:
            raise ValueError(f"weights missing: {sorted(missing)}; unknown: {sorted(unknown)}")
        return weights


class Manifest(_Model):
    version: str
    reviewed: dt.date
