"""The plan: the machine-readable output of ``rrmm plan`` (``../shared/contracts/README.md``).

Frozen pydantic models at the boundary; :func:`build_plan` fills them from the disease state. Fields of the
contract are never renamed or dropped; fields beyond it carry the reasons behind each judgement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from rrmm.clinical.lines import Line
from rrmm.clinical.state import DiseaseState, disease_state
from rrmm.clinical.types import Assessment
from rrmm.knowledge import knowledge_base
from rrmm.knowledge.interactions import interaction_knowledge
from rrmm.knowledge.schema import JURISDICTIONS, Evidence
from rrmm.knowledge.toxicity import toxicity_knowledge
from rrmm.planning.facts import PatientFacts
from rrmm.planning.planner import RegimenAssessment, plan_options
from rrmm.record import Record
from rrmm.toxicity.interactions import InteractionReport, interaction_report
from rrmm.toxicity.manager import ToxicityReport, drugs_given_now, toxicity_report
from rrmm.trials.matching import TrialMatch, match_studies
from rrmm.trials.study import Study


class _Out(BaseModel):
    # from_attributes: the clinical dataclasses of the same field names convert without a field-by-field copy
    model_config = ConfigDict(frozen=True, extra="forbid", from_attributes=True)


class Judgement(_Out):
    """A judgement with its reasons; ``value`` null when the record cannot decide it."""

    value: Any
    reasons: list[str]


class LineOut(_Out):
    number: int
    start: dt.date
    end: dt.date | None
    drugs: list[str]
    includes_transplant: bool
    includes_car_t: bool
    best_response: str | None
    ended_by: str | None
    progression_date: dt.date | None
    refractory_drugs: list[str]
    refractory_reasons: list[str]
    notes: list[str]


class StageOut(_Out):
    iss: str | None
    r_iss: str | None
    r2_iss: str | None
    reasons: list[str]


class DiseaseOut(_Out):
    lines_of_therapy: int
    lines: list[LineOut]
    exposed_drugs: list[str]
    refractory_drugs: list[str]
    exposed_classes: list[str]
    refractory_classes: list[str]
    triple_class_exposed: bool
    triple_class_refractory: bool
    penta_exposed: bool
    penta_refractory: bool
    prior_bcma: bool
    prior_gprc5d: bool
    prior_car_t: bool
    status: Judgement
    stage: StageOut
    high_risk: Judgement
    current_response: str | None
    current_response_reasons: list[str]
    measurable_disease: list[str]
    crcl_ml_min: float | None
    egfr_ml_min_1_73m2: float | None
    kidney_reasons: list[str]
    on_dialysis: bool
    ecog: Judgement
    age: int | None
    transplant_eligible: Judgement


class KnowledgeBaseOut(_Out):
    version: str
    reviewed: dt.date


class EvidenceOut(_Out):
    trial: str
    phase: str
    population: str
    n: int | None
    comparator: str | None
    orr: float | None
    comparator_orr: float | None
    median_pfs_months: float | None
    median_pfs_not_reached: bool
    comparator_median_pfs_months: float | None
    hazard_ratio: float | None
    citation: str
    doi: str | None
    pmid: str | None


class SupportiveCareOut(_Out):
    item: str
    reason: str


class InteractionOut(_Out):
    drug: str
    medicine: str
    via: str
    action: str
    text: str
    source: str

    @property
    def pair(self) -> str:
        """ "drug + medicine", with the class through which the medicine meets the label row."""
        return f"{self.drug} + {self.medicine}" + ("" if self.via == "itself" else f" ({self.via})")

    @property
    def action_words(self) -> str:
        """The action as words ("reduce dose")."""
        return self.action.replace("_", " ")


class MedicineOut(_Out):
    name: str
    inn: str | None
    classes: list[str]
    taken_now: bool
    checked: bool


class InteractionsOut(_Out):
    """The patient's other medicines against the myeloma drugs given now (``current``) and those of each
    option (``options``, by option id); ``notes`` says what could not be checked."""

    medicines: list[MedicineOut]
    current: list[InteractionOut]
    options: dict[str, list[InteractionOut]]
    notes: list[str]


class OptionOut(_Out):
    rank: int
    id: str
    name: str
    drugs: list[str]
    category: str
    regulatory: str | None
    evidence: list[EvidenceOut]
    rationale: list[str]
    cautions: list[str]
    dose_adjustments: list[str]
    supportive_care: list[SupportiveCareOut]
    score: float
    interactions: list[InteractionOut] = []


class NotRecommendedOut(_Out):
    id: str
    name: str
    drugs: list[str]
    category: str
    reasons: list[str]


class CriterionOut(_Out):
    text: str
    section: str
    kind: str
    status: str
    reason: str


class SiteOut(_Out):
    facility: str | None
    city: str | None
    country: str | None
    distance_km: float
    within_travel: bool | None


class TrialOut(_Out):
    nct_id: str
    title: str
    status: str
    phase: str
    verdict: str
    score: float
    criteria: list[CriterionOut]
    nearest_site: SiteOut | None


class GradeOut(_Out):
    toxicity: str
    term: str
    grade: int
    since: dt.date
    source: str
    detail: str


class DrugActionOut(_Out):
    drug: str
    action: str
    dose_level: str | None
    until: str | None
    toxicity: str | None
    grade: int | None
    reason: str
    source: str


class OrganDoseOut(_Out):
    drug: str
    status: str
    text: str
    reason: str
    source: str


class CareOut(_Out):
    topic: str
    item: str
    reason: str
    source: str


class TrendOut(_Out):
    topic: str
    symptom: str
    series: list[tuple[dt.date, int]]
    trend: str


class ToxicityOut(_Out):
    as_of: dt.date
    grades: list[GradeOut]
    actions: list[DrugActionOut]
    organ_function: list[OrganDoseOut]
    supportive_care: list[CareOut]
    trends: list[TrendOut]
    notes: list[str]


def toxicity_out(r: ToxicityReport) -> ToxicityOut:
    """The toxicity report in the plan's shape (also the JSON of ``rrmm toxicity``)."""
    return ToxicityOut.model_validate(r)


class Plan(_Out):
    patient_id: str
    as_of: dt.date
    jurisdiction: str
    knowledge_base: KnowledgeBaseOut
    disease: DiseaseOut
    options: list[OptionOut]
    not_recommended: list[NotRecommendedOut]
    trials: list[TrialOut]
    supportive_care: list[SupportiveCareOut]
    toxicity: ToxicityOut
    interactions: InteractionsOut
    warnings: list[str]


def _judgement(a: Assessment[Any]) -> Judgement:
    return Judgement(value=a.value, reasons=list(a.reasons))


def _line(line: Line) -> LineOut:
    return LineOut(
        number=line.number,
        start=line.start,
        end=line.end,
        drugs=list(line.drugs),
        includes_transplant=line.includes_transplant,
        includes_car_t=line.includes_car_t,
        best_response=line.best_response,
        ended_by=line.ended_by,
        progression_date=line.progression.date if line.progression else None,
        refractory_drugs=list(line.refractory_drugs),
        refractory_reasons=list(line.refractory_reasons),
        notes=list(line.notes),
    )


def disease_out(state: DiseaseState) -> DiseaseOut:
    """The ``disease`` part of the plan contract."""
    r = state.refractoriness
    k = state.kidney
    return DiseaseOut(
        lines_of_therapy=state.lines_of_therapy,
        lines=[_line(line) for line in state.lines],
        exposed_drugs=list(r.exposed_drugs),
        refractory_drugs=list(r.refractory_drugs),
        exposed_classes=list(r.exposed_classes),
        refractory_classes=list(r.refractory_classes),
        triple_class_exposed=r.triple_class_exposed,
        triple_class_refractory=r.triple_class_refractory,
        penta_exposed=r.penta_exposed,
        penta_refractory=r.penta_refractory,
        prior_bcma=r.prior_bcma,
        prior_gprc5d=r.prior_gprc5d,
        prior_car_t=r.prior_car_t,
        status=_judgement(r.status),
        stage=StageOut(
            iss=state.stage.iss,
            r_iss=state.stage.r_iss,
            r2_iss=state.stage.r2_iss,
            reasons=list(state.stage.reasons),
        ),
        high_risk=_judgement(state.high_risk),
        current_response=state.current_response.value,
        current_response_reasons=list(state.current_response.reasons),
        measurable_disease=list(state.measurable_disease),
        crcl_ml_min=k.crcl_ml_min.value,
        egfr_ml_min_1_73m2=k.egfr.value,
        kidney_reasons=[*k.crcl_ml_min.reasons, *k.egfr.reasons],
        on_dialysis=k.on_dialysis,
        ecog=_judgement(state.ecog),
        age=state.age,
        transplant_eligible=_judgement(state.transplant_eligible),
    )


def unknowns(state: DiseaseState) -> list[str]:
    """What the record does not say and the plan therefore does not assume."""
    missing: list[str] = []
    if state.stage.r_iss is None or state.stage.iss is None:
        missing.append("stage at diagnosis unknown: " + "; ".join(state.stage.reasons))
    for label, judgement in (
        ("high-risk status", state.high_risk),
        ("creatinine clearance", state.kidney.crcl_ml_min),
        ("ECOG performance status", state.ecog),
        ("transplant eligibility", state.transplant_eligible),
        ("current response", state.current_response),
    ):
        if judgement.value is None:
            missing.append(f"{label} unknown: " + "; ".join(judgement.reasons))
    return missing


def _evidence(e: Evidence) -> EvidenceOut:
    return EvidenceOut(
        trial=e.trial,
        phase=e.phase,
        population=e.population,
        n=e.n,
        comparator=e.comparator,
        orr=e.orr,
        comparator_orr=e.comparator_orr,
        median_pfs_months=e.median_pfs_months,
        median_pfs_not_reached=e.median_pfs_not_reached,
        comparator_median_pfs_months=e.comparator_median_pfs_months,
        hazard_ratio=e.hazard_ratio,
        citation=e.source.text,
        doi=e.source.doi,
        pmid=e.source.pmid,
    )


def interactions_out(r: InteractionReport) -> InteractionsOut:
    """The interaction report in the plan's shape."""
    return InteractionsOut(
        medicines=[MedicineOut.model_validate(m) for m in r.medicines],
        current=[InteractionOut.model_validate(i) for i in r.current],
        options={k: [InteractionOut.model_validate(i) for i in v] for k, v in r.by_option.items()},
        notes=list(r.notes),
    )


def _option(rank: int, a: RegimenAssessment, interactions: InteractionsOut) -> OptionOut:
    reg = a.regimen
    return OptionOut(
        rank=rank,
        id=reg.id,
        name=reg.name,
        drugs=list(reg.drugs),
        category=reg.category,
        regulatory=a.regulatory,
        evidence=[_evidence(e) for e in reg.evidence],
        rationale=list(a.rationale),
        cautions=list(a.cautions),
        dose_adjustments=list(a.dose_adjustments),
        supportive_care=[SupportiveCareOut(item=i, reason=r) for i, r in a.supportive_care],
        score=a.score,
        interactions=interactions.options.get(reg.id, []),
    )


#: The plan's supportive care is that of the options ranked this high or better.
SUPPORTIVE_CARE_TOP = 3


def situation_warnings(state: DiseaseState, record: Record) -> list[str]:
    """What the hematologist should know before reading the options."""
    found: list[str] = []
    current = state.current_line
    if current is not None and state.current_response.value not in (None, "PD", "SD"):
        found.append(
            f"line {current.number} is ongoing with a {state.current_response.value}: the options are for "
            "the next relapse, not a reason to change working therapy"
        )
    if state.ecog.value is not None and state.ecog.value >= 3:
        found.append(
            f"ECOG {state.ecog.value}: poor performance status; weigh fitness before intensive or cell "
            "therapy (see the trial-eligibility cautions of each option)"
        )
    if any(c.condition == "active_infection" for c in record.comorbidities):
        found.append(
            "active infection recorded: CAR-T and bispecific labels say not to start during active infection "
            "(those options are excluded); for the others, weigh the infection before starting"
        )
    if state.refractoriness.status.value == "no_progression":
        found.append("no progression recorded: options for relapsed/refractory disease may not apply yet")
    return found


def trial_out(m: TrialMatch) -> TrialOut:
    """A trial match in the contract's shape."""
    return TrialOut.model_validate(m)


#: How many trial matches a plan carries (the best, never excluded ones).
PLAN_TRIALS = 5


def build_plan(record: Record, jurisdiction: str = "us", studies: Sequence[Study] | None = None) -> Plan:
    """The plan for a validated record in ``jurisdiction`` (``us`` or ``eu``).

    ``studies`` is the trial corpus to match (none: the plan's ``trials`` stay empty and a warning says so).
    """
    return plan_for_facts(PatientFacts(state=disease_state(record), record=record), jurisdiction, studies)


def plan_for_facts(
    facts: PatientFacts, jurisdiction: str = "us", studies: Sequence[Study] | None = None
) -> Plan:
    """:func:`build_plan` for a patient whose facts are already at hand (a caller that also matches trials
    with them, like the cohort step, works the disease state out once)."""
    if jurisdiction not in JURISDICTIONS:
        raise ValueError(f"jurisdiction must be one of {', '.join(JURISDICTIONS)}, got {jurisdiction!r}")
    state, record = facts.state, facts.record
    kb = knowledge_base()
    ranked, excluded = plan_options(facts, kb, jurisdiction)
    trials: list[TrialOut] = []
    trial_warnings: list[str] = []
    if studies is None:
        trial_warnings.append(
            "no trial corpus given: run 'rrmm trials sync' or pass --studies FILE to match trials"
        )
    else:
        matches = [m for m in match_studies(studies, facts) if m.verdict != "excluded"]
        trials = [trial_out(m) for m in matches[:PLAN_TRIALS]]
        if not trials:
            trial_warnings.append(f"none of the {len(studies)} trials in the corpus is open to this patient")
    interactions = interactions_out(
        interaction_report(
            record,
            state.as_of,
            drugs_given_now(facts),
            {a.regimen.id: a.regimen.drugs for a in ranked},
            interaction_knowledge(),
        )
    )
    care: dict[str, str] = {}
    for a in ranked[:SUPPORTIVE_CARE_TOP]:
        for item, reason in a.supportive_care:
            care.setdefault(item, f"{reason}; with {a.regimen.id}")
    return Plan(
        patient_id=state.patient_id,
        as_of=state.as_of,
        jurisdiction=jurisdiction,
        knowledge_base=KnowledgeBaseOut(version=kb.info.version, reviewed=kb.info.reviewed),
        disease=disease_out(state),
        options=[_option(i, a, interactions) for i, a in enumerate(ranked, start=1)],
        not_recommended=[
            NotRecommendedOut(
                id=a.regimen.id,
                name=a.regimen.name,
                drugs=list(a.regimen.drugs),
                category=a.regimen.category,
                reasons=list(a.exclusions),
            )
            for a in excluded
        ],
        trials=trials,
        supportive_care=[SupportiveCareOut(item=i, reason=r) for i, r in care.items()],
        toxicity=toxicity_out(toxicity_report(facts, toxicity_knowledge(), kb.drugs)),
        interactions=interactions,
        warnings=[*situation_warnings(state, record), *unknowns(state), *trial_warnings],
    )
