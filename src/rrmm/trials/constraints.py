"""Structured eligibility constraints: what one criterion of a trial asks of a patient.

A criterion sentence ("Absolute neutrophil count >= 1.0 x 10^9/L") becomes a :class:`Constraint`
(``kind="lab", test="anc", min=1.0, unit="10^9/L"``). The constraint describes a *condition*; the section
of the criteria it stands in says what the trial wants of it:

- in the inclusion criteria the patient must meet the condition (or, with ``negated``, must not: "no prior
  BCMA-directed therapy" is ``prior_therapy/BCMA`` negated);
- in the exclusion criteria the patient must not meet it.

A criterion that no rule recognises is kept with ``kind="unstructured"``: it is never dropped, and a match
reports it as unknown for a human to read.

Kinds and their parameters (all others ``None``):

======================  ===============================================================================
``age``                 ``min``/``max`` in years
``performance_status``  ``scale`` (``ecog`` or ``karnofsky``) with ``max`` (ECOG) or ``min`` (Karnofsky)
``prior_lines``         ``min``/``max`` number of prior lines of therapy
``prior_therapy``       ``target``: drug INN, class id, ``triple-class``, or modality ``CAR-T``,
                        ``bispecific``, ``ADC``; the patient has received it
``refractory``          ``target`` as above; the disease is refractory to it
``measurable_disease``  measurable disease (IMWG)
``lab``                 ``test`` (see :data:`LAB_TESTS`), ``min``/``max`` in ``unit`` (the canonical unit),
                        or in multiples of the upper limit of normal with ``uln_multiple``
``transplant``          ``target`` ``autologous`` or ``allogeneic``; ``within_days``: only if within that
                        many days (e.g. "ASCT within 12 weeks" = 84)
``cytogenetics``        ``target``: an abnormality of the record vocabulary, e.g. ``t(11;14)``
``disease_feature``     ``target``: ``plasma_cell_leukemia``, ``amyloidosis``, ``cns_involvement``
``infection``           ``target``: ``hbv``, ``hcv``, ``hiv``, ``active_infection``
``prior_malignancy``    another malignancy (exceptions such as treated skin cancer are in the text)
``neuropathy``          ``min``: peripheral neuropathy grade at least this
``heart_failure``       ``min``: NYHA class at least this (``None``: any heart failure)
``unstructured``        not recognised
======================  ===============================================================================
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

Kind = Literal[
    "age",
    "performance_status",
    "prior_lines",
    "prior_therapy",
    "refractory",
    "measurable_disease",
    "lab",
    "transplant",
    "cytogenetics",
    "disease_feature",
    "infection",
    "prior_malignancy",
    "neuropathy",
    "heart_failure",
    "unstructured",
]
LabTest = Literal[
    "anc", "platelets", "hemoglobin", "crcl", "egfr", "creatinine", "bilirubin", "transaminases", "calcium"
]
Section = Literal["inclusion", "exclusion"]

#: The canonical unit of each lab test of a constraint (those of the record schema; eGFR and CrCl mL/min).
LAB_UNITS: dict[str, str] = {
    "anc": "10^9/L",
    "platelets": "10^9/L",
    "hemoglobin": "g/dL",
    "crcl": "mL/min",
    "egfr": "mL/min/1.73m2",
    "creatinine": "mg/dL",
    "bilirubin": "mg/dL",
    "transaminases": "U/L",
    "calcium": "mg/dL",
}
LAB_TESTS = tuple(LAB_UNITS)
TARGETS: dict[str, frozenset[str]] = {
    "transplant": frozenset({"autologous", "allogeneic"}),
    "disease_feature": frozenset({"plasma_cell_leukemia", "amyloidosis", "cns_involvement"}),
    "infection": frozenset({"hbv", "hcv", "hiv", "active_infection"}),
}


class Constraint(BaseModel):
    """What one criterion asks (see the module docstring for the kinds)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind
    negated: bool = False
    min: float | None = None
    max: float | None = None
    scale: Literal["ecog", "karnofsky"] | None = None
    test: LabTest | None = None
    unit: str | None = None
    uln_multiple: bool = False
    target: str | None = None
    within_days: int | None = None

    @model_validator(mode="after")
    def _parameters_fit_the_kind(self) -> Constraint:
        k = self.kind
        if k == "lab":
            if self.test is None or (self.min is None and self.max is None):
                raise ValueError("a lab constraint needs its test and a min or max")
            if not self.uln_multiple and self.unit != LAB_UNITS[self.test]:
                raise ValueError(f"lab {self.test}: unit must be {LAB_UNITS[self.test]!r} (or uln_multiple)")
        elif self.test is not None or self.unit is not None or self.uln_multiple:
            raise ValueError(f"{k}: test, unit and uln_multiple belong to lab constraints")
        if k == "performance_status" and self.scale is None:
            raise ValueError("performance_status needs its scale")
        if k != "performance_status" and self.scale is not None:
            raise ValueError(f"{k}: scale belongs to performance_status")
        if k in ("prior_therapy", "refractory", "cytogenetics", "transplant", "disease_feature", "infection"):
            if not self.target:
                raise ValueError(f"{k} needs a target")
            allowed = TARGETS.get(k)
            if allowed is not None and self.target not in allowed:
                raise ValueError(f"{k}: target {self.target!r} is not one of {sorted(allowed)}")
        elif self.target is not None:
            raise ValueError(f"{k}: no target expected")
        if self.within_days is not None and k != "transplant":
            raise ValueError("within_days belongs to transplant constraints")
        return self


class Criterion(BaseModel):
    """One criterion of a trial: its text, its section, and what it asks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    section: Section
    constraint: Constraint
    source: Literal["rules", "language model"] = "rules"
