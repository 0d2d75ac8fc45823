"""The planner: which regimens this patient can receive, which are best and why, which are excluded and why.

Every regimen of the knowledge base goes through the same hard rules, each of which writes its reason:

1. patient preferences (oral only, no cell therapy, no transplant);
2. refractoriness: no regimen with a drug the disease is refractory to (corticosteroids excepted), with
   class refractoriness where ``data/policy.yaml`` says it transfers (anti-CD38);
3. the regimen's own requirements (t(11;14) for venetoclax, aggressive disease for DCEP, ...);
4. the regulatory indication in the chosen jurisdiction: number of prior lines and the required exposures or
   refractoriness; a withdrawn or unapproved regimen is excluded, an off-label one is cautioned;
5. contraindications and cautions of the regimen and of its drugs' labels.

An exclusion whose facts are unknown (say, creatinine clearance not measured) does not silently pass: it
becomes a caution that names what is missing. Options that pass are ranked by the weights of
``data/ranking.yaml``; each point is written into the option's rationale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from rrmm.knowledge import KnowledgeBase
from rrmm.knowledge.schema import DoseAdjustment, Evidence, Indication, Regimen, Rule, Source, SupportiveCare
from rrmm.planning.facts import PatientFacts, Verdict, evaluate
from rrmm.terminology import drug_vocabulary

ON_LABEL = ("approved", "accelerated")
_CHECK = "check "  # a dose rule whose condition could not be checked


@dataclass
class RegimenAssessment:
    """What the planner concluded for one regimen."""

    regimen: Regimen
    exclusions: list[str] = field(default_factory=list)
    cautions: list[str] = field(default_factory=list)
    rationale: list[str] = field(default_factory=list)
    dose_adjustments: list[str] = field(default_factory=list)
    supportive_care: list[tuple[str, str]] = field(default_factory=list)
    regulatory: str | None = None
    on_label: bool = False
    score: float = 0.0

    @property
    def excluded(self) -> bool:
        return bool(self.exclusions)


@cache
def _policy() -> dict[str, Any]:
    text = resources.files("rrmm.knowledge").joinpath("data/policy.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _transfers() -> tuple[tuple[str, str], ...]:
    return tuple((t["class"], t["text"]) for t in _policy().get("refractoriness_transfers", []))


def check_repeats(regimen: Regimen, facts: PatientFacts, a: RegimenAssessment) -> None:
    """Products given once (CAR-T) are not offered again (``data/policy.yaml``)."""
    vocab = drug_vocabulary()
    given = {c.drug: c.start for line in facts.state.lines for c in line.courses}
    for rule in _policy().get("no_repeat_modalities", []):
        for drug in regimen.drugs:
            if vocab[drug].modality == rule["modality"] and drug in given:
                a.exclusions.append(rule["text"].format(drug=drug, date=given[drug]))


def _because(v: Verdict) -> str:
    return "; ".join(v.because)


def check_preferences(regimen: Regimen, facts: PatientFacts, kb: KnowledgeBase, a: RegimenAssessment) -> None:
    prefs = facts.record.preferences
    if prefs is None:
        return
    if prefs.declines_cell_therapy and regimen.category == "car-t":
        a.exclusions.append("patient declines cell therapy")
    if prefs.declines_transplant and regimen.category == "transplant":
        a.exclusions.append("patient declines transplant")
    if prefs.oral_only:
        routes = {d: kb.drugs[d].route if d in kb.drugs else None for d in regimen.drugs}
        not_oral = sorted(d for d, r in routes.items() if r is not None and "oral" not in r)
        unknown = sorted(d for d, r in routes.items() if r is None)
        if not_oral or regimen.category in ("car-t", "transplant"):
            a.exclusions.append(
                "patient prefers oral therapy only: "
                + (", ".join(not_oral) or regimen.category)
                + " is not oral"
            )
        elif unknown:
            a.cautions.append(
                f"patient prefers oral therapy; route of {', '.join(unknown)} not in the knowledge base"
            )


def check_refractoriness(regimen: Regimen, facts: PatientFacts, a: RegimenAssessment) -> None:
    """Rule 2: no drug the disease is refractory to, with class transfer where policy says so."""
    vocab = drug_vocabulary()
    r = facts.state.refractoriness
    refractory = set(r.refractory_drugs)
    reasons_by_drug = {
        d: reason.split(": ", 1)[1]
        for line in facts.state.lines
        for d, reason in zip(line.refractory_drugs, line.refractory_reasons, strict=True)
    }
    for drug in regimen.drugs:
        if vocab[drug].is_corticosteroid:
            continue
        if drug in refractory:
            a.exclusions.append(f"refractory to {drug} ({reasons_by_drug.get(drug, 'see lines')})")
            continue
        for cls, template in _transfers():
            if vocab[drug].drug_class != cls:
                continue
            others = sorted(d for d in refractory if vocab[d].drug_class == cls and d != drug)
            if others:
                a.exclusions.append(template.format(drug=", ".join(others), other=drug))


def check_requirements(regimen: Regimen, facts: PatientFacts, a: RegimenAssessment) -> None:
    """Rule 3: what the regimen needs (must hold; unknown excludes too, naming what is missing)."""
    if regimen.requires is None:
        return
    v = evaluate(regimen.requires, facts, regimen.drugs)
    if v.value is True:
        a.rationale.append(f"{regimen.requires_text}: {_because(v)}")
    elif v.value is False:
        a.exclusions.append(f"{regimen.requires_text}: {_because(v)}")
    else:
        a.exclusions.append(f"{regimen.requires_text}: unknown ({_because(v)})")


def _indication_met(ind: Indication, facts: PatientFacts, drugs: Iterable[str]) -> tuple[bool | None, str]:
    lines = facts.state.lines_of_therapy
    problems: list[str] = []
    if ind.min_prior_lines is not None and lines < ind.min_prior_lines:
        problems.append(f"needs >= {ind.min_prior_lines} prior lines (patient: {lines})")
    if ind.max_prior_lines is not None and lines > ind.max_prior_lines:
        problems.append(f"for <= {ind.max_prior_lines} prior lines (patient: {lines})")
    unknown = ""
    if ind.requires is not None:
        v = evaluate(ind.requires, facts, drugs)
        if v.value is False:
            problems.append(f"requires {ind.requires.describe()} ({_because(v)})")
        elif v.value is None:
            unknown = f"could not check {ind.requires.describe()}: {_because(v)}"
    if problems:
        return False, "; ".join(problems)
    if unknown:
        return None, unknown
    return True, f"{lines} prior line{'s' if lines != 1 else ''}"


def check_indication(regimen: Regimen, facts: PatientFacts, jurisdiction: str, a: RegimenAssessment) -> None:
    """Rule 4: the regulatory status and indication in ``jurisdiction``.

    An approved (or accelerated) indication that covers the patient puts the regimen on label; failing
    that, an off-label or not-applicable entry that covers the patient keeps it as an option with a caution;
    a regimen withdrawn or not approved there, or whose indications all exclude the patient, is excluded.
    """
    place = jurisdiction.upper()
    indications = regimen.indication(jurisdiction)
    if not indications:
        a.cautions.append(f"regulatory status in the {place} is not recorded in the knowledge base")
        return
    active = [i for i in indications if i.status not in ("withdrawn", "not_approved")]
    checked = [(i, *_indication_met(i, facts, regimen.drugs)) for i in active]
    for wanted in (ON_LABEL, ("off_label", "not_applicable")):
        for ind, met, why in checked:
            if ind.status not in wanted or met is False:
                continue
            a.regulatory = f"{place} {ind.status.replace('_', ' ')}: {ind.text}"
            a.on_label = ind.status in ON_LABEL
            if met is None:
                a.cautions.append(f"{place} indication not confirmed: {why}")
            elif a.on_label:
                a.rationale.append(f"within the {place} label indication ({why})")
            if ind.status == "off_label":
                a.cautions.append(f"not approved for this use in the {place}; supported by published studies")
            return
    if checked:
        a.exclusions.extend(
            f"{place} {'label' if i.status in ON_LABEL else i.status.replace('_', ' ')} ({i.text}): {why}"
            for i, _, why in checked
        )
    else:
        a.exclusions.extend(f"{place}: {i.status.replace('_', ' ')} ({i.text})" for i in indications)


def _rules(regimen: Regimen, kb: KnowledgeBase) -> list[tuple[str, Rule]]:
    found = [(regimen.id, r) for r in regimen.rules]
    for d in regimen.drugs:
        if d in kb.drugs:
            found += [(d, r) for r in kb.drugs[d].rules]
    return found


def cite(source: Source | None, policy: str | None = None) -> str:
    """`` [label or paper, section]`` after a reason; rrmm policy when the rule is a convention."""
    if source is None:
        return f" [rrmm policy: {policy}]" if policy else ""
    return f" [{source.text}{', ' + source.section if source.section else ''}]"


def check_rules(regimen: Regimen, facts: PatientFacts, kb: KnowledgeBase, a: RegimenAssessment) -> None:
    """Rule 5: contraindications and cautions of the regimen and of its drugs' labels."""
    for owner, rule in _rules(regimen, kb):
        v = evaluate(rule.when, facts, regimen.drugs)
        who = "" if owner == regimen.id else f"{owner}: "
        where = cite(rule.source, rule.policy)
        if v.value is True:
            target = a.exclusions if rule.effect == "exclude" else a.cautions
            target.append(f"{who}{rule.text} ({_because(v)}){where}")
        elif v.value is None and rule.effect == "exclude":
            a.cautions.append(f"could not check: {who}{rule.text} ({_because(v)}){where}")


def _adjustments(regimen: Regimen, kb: KnowledgeBase) -> list[DoseAdjustment]:
    found = list(regimen.dose_adjustments)
    for d in regimen.drugs:
        if d in kb.drugs:
            found += kb.drugs[d].dose_adjustments
    return found


def dose_adjustments(regimen: Regimen, facts: PatientFacts, kb: KnowledgeBase, a: RegimenAssessment) -> None:
    for adj in _adjustments(regimen, kb):
        v = evaluate(adj.when, facts, regimen.drugs)
        if v.value is True:
            a.dose_adjustments.append(f"{adj.drug}: {adj.text} ({_because(v)}){cite(adj.source)}")
        elif v.value is None:
            a.dose_adjustments.append(f"{_CHECK}{adj.drug} dose rule ({_because(v)}): {adj.text}")


def supportive_care(regimen: Regimen, facts: PatientFacts, kb: KnowledgeBase, a: RegimenAssessment) -> None:
    items: list[SupportiveCare] = list(regimen.supportive_care) + list(kb.supportive_care)
    for d in regimen.drugs:
        if d in kb.drugs:
            items += kb.drugs[d].supportive_care
    seen: set[str] = set()
    for item in items:
        if item.item in seen:
            continue
        v = evaluate(item.when, facts, regimen.drugs)
        if v.value is True:
            seen.add(item.item)
            a.supportive_care.append((item.item, f"{item.reason} ({_because(v)}){cite(item.source)}"))


def assess(regimen: Regimen, facts: PatientFacts, kb: KnowledgeBase, jurisdiction: str) -> RegimenAssessment:
    """Run the hard rules over one regimen; collect dose adjustments and supportive care for it."""
    a = RegimenAssessment(regimen)
    check_preferences(regimen, facts, kb, a)
    check_refractoriness(regimen, facts, a)
    check_repeats(regimen, facts, a)
    check_requirements(regimen, facts, a)
    check_indication(regimen, facts, jurisdiction, a)
    check_rules(regimen, facts, kb, a)
    if not a.excluded:
        dose_adjustments(regimen, facts, kb, a)
        supportive_care(regimen, facts, kb, a)
    return a


def best_evidence(regimen: Regimen) -> Evidence | None:
    """The pivotal study: randomized phase 3 first, then the largest."""
    if not regimen.evidence:
        return None
    return max(regimen.evidence, key=lambda e: ("3" in e.phase, e.n or 0))


def rank(
    assessed: list[RegimenAssessment], facts: PatientFacts, kb: KnowledgeBase
) -> list[RegimenAssessment]:
    """Score the options that passed the hard rules (``data/ranking.yaml``) and order them, best first."""
    w = kb.ranking.weights
    vocab = drug_vocabulary()
    r = facts.state.refractoriness
    exposed_classes = set(r.exposed_classes)
    options = [a for a in assessed if not a.excluded]
    car_t_option = any(a.regimen.category == "car-t" and "BCMA" in _classes(a.regimen) for a in options)
    high_risk = facts.state.high_risk.value is True
    for a in options:
        reg = a.regimen
        points: list[tuple[float, str]] = []
        if reg.category == "clinical-trial":
            if r.triple_class_refractory or high_risk:
                why = "triple-class refractory disease" if r.triple_class_refractory else "high-risk disease"
                points.append((w["clinical_trial_priority"], f"clinical trial recommended for {why}"))
            else:
                points.append((0.0, "clinical trials are an option at every relapse"))
        ev = best_evidence(reg)
        if ev is not None:
            randomized = "3" in ev.phase
            points.append(
                (
                    w["evidence_randomized_phase3"] if randomized else w["evidence_single_arm"],
                    f"{ev.trial} (phase {ev.phase}{', randomized' if randomized else ''}, n={ev.n or '?'})",
                )
            )
            matches = [
                e
                for e in reg.evidence
                if e.population_match is not None
                and evaluate(e.population_match, facts, reg.drugs).value is True
            ]
            if matches:
                points.append(
                    (w["population_match"], f"studied in patients like this one ({matches[0].trial})")
                )
            if ev.median_pfs_not_reached:
                points.append((w["pfs_not_reached"], f"median PFS not reached in {ev.trial}"))
            elif ev.median_pfs_months is not None:
                gain = min(w["pfs_cap"], w["pfs_per_6_months"] * ev.median_pfs_months / 6)
                comp = (
                    f" vs {ev.comparator_median_pfs_months:g} with {ev.comparator}"
                    if ev.comparator_median_pfs_months and ev.comparator
                    else ""
                )
                points.append((gain, f"median PFS {ev.median_pfs_months:g} months{comp} ({ev.trial})"))
        new = sorted(_classes(reg) - exposed_classes - {"corticosteroid"})
        if new:
            points.append((w["new_class"] * len(new), f"new mechanism for this disease: {', '.join(new)}"))
        if a.on_label:
            points.append((w["label_indication"], "approved for this indication"))
        elif a.regulatory and "off label" in a.regulatory:  # off-label use, supported by studies
            points.append((w["off_label"], "off-label use"))
        if a.cautions:
            points.append((w["caution"] * len(a.cautions), f"{len(a.cautions)} caution(s) for this patient"))
        intensive = (
            reg.category in ("car-t", "bispecific")
            or len([d for d in reg.drugs if not vocab[d].is_corticosteroid]) >= 3
        )
        if high_risk and intensive:
            points.append((w["high_risk_fit"], "high-risk disease: intensive or immune therapy"))
        if reg.category == "car-t" and "BCMA" in _classes(reg) and not r.prior_bcma:
            points.append((w["car_t_first"], "BCMA CAR-T before other BCMA therapy keeps later options open"))
        if r.prior_bcma and "BCMA" in _classes(reg):
            points.append(
                (w["bcma_after_bcma"], "progressed after BCMA-directed therapy: another BCMA agent")
            )
        definite = [d for d in a.dose_adjustments if not d.startswith(_CHECK)]
        if definite:
            points.append(
                (w["dose_adjustment"] * len(definite), f"{len(definite)} dose change(s) for organ function")
            )
        if (
            car_t_option
            and reg.category in ("bispecific", "antibody-drug-conjugate")
            and "BCMA" in _classes(reg)
        ):
            points.append((w["bcma_after_car_t_option"], "BCMA CAR-T is also an option: consider it first"))
        a.score = round(sum(p for p, _ in points), 2)
        a.rationale.extend(f"{why} ({p:+g})" for p, why in points)
    return sorted(options, key=lambda a: (-a.score, a.regimen.id))


def _classes(regimen: Regimen) -> set[str]:
    vocab = drug_vocabulary()
    return {c for d in regimen.drugs if (c := vocab[d].drug_class) is not None}


def plan_options(
    facts: PatientFacts, kb: KnowledgeBase, jurisdiction: str = "us"
) -> tuple[list[RegimenAssessment], list[RegimenAssessment]]:
    """All regimens assessed: (ranked options, excluded regimens)."""
    assessed = [assess(reg, facts, kb, jurisdiction) for reg in kb.regimens]
    excluded = sorted((a for a in assessed if a.excluded), key=lambda a: a.regimen.id)
    return rank(assessed, facts, kb), excluded
