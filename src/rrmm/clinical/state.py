"""The disease state: everything the planner needs to know about where the disease stands.

One call, :func:`disease_state`, reads a validated record and returns a :class:`DiseaseState` built from
the functions of this package, each of which cites its definition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from rrmm.clinical.fitness import current_ecog, transplant_eligibility
from rrmm.clinical.kidney import KidneyFunction, kidney_function
from rrmm.clinical.lines import Line, lines_of_therapy
from rrmm.clinical.refractoriness import Refractoriness, refractoriness
from rrmm.clinical.response import Measure, baseline, disease_measures
from rrmm.clinical.risk import high_risk
from rrmm.clinical.staging import stage_at_diagnosis
from rrmm.clinical.types import Assessment, Stage
from rrmm.record import Record


@dataclass(frozen=True)
class DiseaseState:
    """Where the disease stands on ``as_of``: lines, response, refractoriness, stage, risk and fitness."""

    patient_id: str
    as_of: dt.date
    age: int | None
    lines: tuple[Line, ...]
    refractoriness: Refractoriness
    current_response: Assessment[str]
    measurable_disease: tuple[Measure, ...]
    stage: Stage
    high_risk: Assessment[bool]
    kidney: KidneyFunction
    ecog: Assessment[int]
    transplant_eligible: Assessment[bool]
    notes: tuple[str, ...]

    @property
    def lines_of_therapy(self) -> int:
        return len(self.lines)

    @property
    def current_line(self) -> Line | None:
        """The latest line when it is still being given."""
        return self.lines[-1] if self.lines and self.lines[-1].ongoing else None


def current_response(lines: Sequence[Line]) -> Assessment[str]:
    """Response now: PD when the latest line has progressed, else its latest confirmed or recorded response.

    IMWG 2016 categories (Kumar et al., Lancet Oncol 2016); ``None`` when nothing could be assessed.
    """
    if not lines:
        return Assessment(None, ("no myeloma therapy in the record",))
    last = lines[-1]
    if last.progression is not None:
        return Assessment("PD", (f"{last.progression.detail} on {last.progression.date}",))
    if last.latest_response is not None:
        day, category = last.latest_response
        return Assessment(category, (f"{category} confirmed from the assessment of {day}",))
    return Assessment(None, (f"no assessable response since line {last.number} started on {last.start}",))


def disease_state(record: Record) -> DiseaseState:
    """Work out the disease state of a validated record at its ``as_of`` date."""
    as_of = record.evaluation_date
    measures = disease_measures(record)
    lines = lines_of_therapy(record, as_of, measures)
    first_start = lines[0].start if lines else as_of
    ecog = current_ecog(record, as_of)
    kidney = kidney_function(record, as_of)
    notes = tuple(n for line in lines for n in line.notes)
    return DiseaseState(
        patient_id=record.id,
        as_of=as_of,
        age=record.age_at(as_of),
        lines=lines,
        refractoriness=refractoriness(lines),
        current_response=current_response(lines),
        measurable_disease=baseline(measures, first_start).measurable,
        stage=stage_at_diagnosis(record),
        high_risk=high_risk(record),
        kidney=kidney,
        ecog=ecog,
        transplant_eligible=transplant_eligibility(record, as_of, ecog, kidney.crcl_ml_min),
        notes=notes,
    )
