"""The toxicity manager: current grades, label actions for each drug being given, supportive care, trends.

1. **Grades.** CTCAE v5.0 grades of lab-defined terms from the latest results (``data/toxicity/
   lab_grading.yaml``), and the record's ongoing adverse events as the clinician graded them (CRS and ICANS
   by ASTCT, :mod:`rrmm.toxicity.astct`). Each toxicity keeps its worst current grade, with the facts.
2. **Actions.** For every drug given now (a therapy with no end), the rows of its label's dose-modification
   table (``data/toxicity/drugs/<inn>.yaml``) that the current grades trigger: continue, reduce to a named
   dose level, hold until a named condition, or stop, each citing the label section. A drug the knowledge
   base has no table for says so rather than returning nothing.
3. **Supportive care** for fatigue, neuropathy, infections, bone pain and VTE (``symptom_care.yaml``).
4. **Symptom trends** for the seed's four symptoms: the series over time and whether it is worsening.
5. **Organ-function doses**: for every drug given now, the label's renal and hepatic dose rules (the same
   ``dose_adjustments`` of ``data/drugs/<inn>.yaml`` that the planner applies to a new regimen) that the
   current kidney and liver function meet, or that cannot be checked for want of a value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rrmm.knowledge.schema import DrugFacts
from rrmm.knowledge.toxicity import ToxicityKnowledge
from rrmm.knowledge.toxicity_schema import DoseAction, LabGrading
from rrmm.planning.facts import PatientFacts, evaluate
from rrmm.terminology import UnknownTermError, ctcae_vocabulary

_EPS = 1e-9

#: A laboratory result grades a toxicity when it is at most this many days old.
LAB_GRADING_DAYS = 14
#: The seed's four symptoms and the record symptoms that report them.
SYMPTOM_TOPICS: dict[str, str] = {
    "fatigue": "fatigue",
    "neuropathy": "numbness_tingling",
    "infections": "fever",
    "bone_pain": "bone_pain",
}
#: A current toxicity of at least this grade that no row of a drug's table covers is not answered with
#: "continue" but with "see label": labels end their tables with a row for other grade 3 or 4 adverse
#: reactions (e.g. REVLIMID, POMALYST, KYPROLIS), so a grade 3 event the knowledge base has no row for is a
#: question for the label, not a reason to go on.
UNCOVERED_MIN_GRADE = 3
#: A trend compares the latest report with up to :data:`TREND_REPORTS` reports of this many days before it.
TREND_WINDOW_DAYS = 365
TREND_REPORTS = 3


@dataclass(frozen=True)
class GradedToxicity:
    toxicity: str
    term: str
    grade: int
    since: dt.date
    source: str  # "lab" or "adverse event"
    detail: str
    qualifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class DrugAction:
    drug: str
    action: str
    dose_level: str | None
    until: str | None
    toxicity: str | None
    grade: int | None
    reason: str
    source: str


@dataclass(frozen=True)
class CareItem:
    topic: str
    item: str
    reason: str
    source: str


@dataclass(frozen=True)
class SymptomTrend:
    topic: str
    symptom: str
    series: tuple[tuple[dt.date, int], ...]
    trend: str  # worsening, improving, stable, single report, no reports


@dataclass(frozen=True)
class OrganDose:
    drug: str
    status: str  # "applies" or "could not check"
    text: str
    reason: str
    source: str


@dataclass(frozen=True)
class ToxicityReport:
    as_of: dt.date
    grades: tuple[GradedToxicity, ...]
    actions: tuple[DrugAction, ...]
    organ_function: tuple[OrganDose, ...]
    supportive_care: tuple[CareItem, ...]
    trends: tuple[SymptomTrend, ...]
    notes: tuple[str, ...]


def grade_lab_value(value: float, uln: float | None, grading: LabGrading) -> int | None:
    """The CTCAE grade of one result: the highest band it meets; 0 when none; ``None`` when a band needs
    the upper limit of normal and the result has none.

    >>> from rrmm.knowledge.toxicity_schema import GradeBand
    >>> plt = LabGrading(term="Platelet count decreased", toxicity="thrombocytopenia", test="platelets",
    ...                  unit="10^9/L", bands=(GradeBand(grade=2, below=75), GradeBand(grade=3, below=50),
    ...                                        GradeBand(grade=4, below=25)))
    >>> grade_lab_value(49, None, plt), grade_lab_value(75, None, plt)
    (3, 0)
    """
    grade = 0
    for band in grading.bands:
        if band.below is not None:
            hit = value < band.below - _EPS
        elif band.above is not None:
            hit = value > band.above + _EPS
        else:
            if uln is None:
                return None
            hit = value > (band.above_uln or 0) * uln + _EPS  # 1.5 x 1.2 is 1.7999... in floating point
        if hit:
            grade = band.grade
    return grade


def lab_grades(facts: PatientFacts, knowledge: ToxicityKnowledge) -> list[GradedToxicity]:
    """Grades from the latest lab results no older than :data:`LAB_GRADING_DAYS`."""
    found: list[GradedToxicity] = []
    for grading in knowledge.lab_grading:
        latest = facts.latest_lab(grading.test)
        if latest is None:
            continue
        value, uln, day = latest
        if (facts.as_of - day).days > LAB_GRADING_DAYS:
            continue
        grade = grade_lab_value(value, uln, grading)
        if grade:
            found.append(
                GradedToxicity(
                    grading.toxicity,
                    grading.term,
                    grade,
                    day,
                    "lab",
                    f"{grading.test} {value:g} {grading.unit} on {day}",
                )
            )
    return found


def _qualifiers(term: str) -> tuple[str, ...]:
    lowered = term.lower()
    return ("with_pain",) if "pain" in lowered or "neuralgia" in lowered else ()


def _term(name: str) -> tuple[str, str]:
    """(CTCAE term, toxicity) of an adverse-event name; ``other`` when the term table does not know it."""
    try:
        entry = ctcae_vocabulary().resolve(name)
    except (OSError, UnknownTermError):
        return name, "other"
    return entry.term, entry.toxicity


def adverse_event_grades(facts: PatientFacts) -> list[GradedToxicity]:
    """Ongoing adverse events (not resolved by ``as_of``) with the grade the record gives them."""
    found = []
    for ae in facts.record.adverse_events:
        if ae.onset > facts.as_of or (ae.resolved is not None and ae.resolved <= facts.as_of):
            continue
        term, toxicity = _term(ae.term)
        detail = f"{term} grade {ae.grade} since {ae.onset}"
        found.append(
            GradedToxicity(toxicity, term, ae.grade, ae.onset, "adverse event", detail, _qualifiers(term))
        )
    # neuropathy with pain: a neuralgia event beside a neuropathy makes the neuropathy "with pain"
    if any(g.term.lower() == "neuralgia" for g in found):
        found = [
            GradedToxicity(
                g.toxicity, g.term, g.grade, g.since, g.source, g.detail, (*g.qualifiers, "with_pain")
            )
            if g.toxicity == "peripheral_neuropathy" and "with_pain" not in g.qualifiers
            else g
            for g in found
        ]
    return found


def worst_by_toxicity(grades: Sequence[GradedToxicity]) -> dict[str, GradedToxicity]:
    worst: dict[str, GradedToxicity] = {}
    for g in grades:
        if g.toxicity not in worst or g.grade > worst[g.toxicity].grade:
            worst[g.toxicity] = g
    return worst


def _earlier_episodes(facts: PatientFacts, g: GradedToxicity, grade_min: int) -> int:
    """Resolved adverse events of the same toxicity, at least of the row's grade, before this one (for
    "recurrent" label rows: a grade 1 CRS after a step-up dose does not make a later grade 3 CRS a
    recurrence of grade 3)."""
    return sum(
        1
        for ae in facts.record.adverse_events
        if ae.resolved is not None
        and ae.resolved <= g.since
        and ae.grade >= grade_min
        and _term(ae.term)[1] == g.toxicity
    )


def _row_applies(row: DoseAction, g: GradedToxicity, facts: PatientFacts, drug: str) -> tuple[bool, str]:
    if g.grade < row.grade_min or (row.grade_max is not None and g.grade > row.grade_max):
        return False, ""
    if row.qualifier == "with_pain" and "with_pain" not in g.qualifiers:
        return False, ""
    if row.qualifier == "without_pain" and "with_pain" in g.qualifiers:
        return False, ""
    if row.qualifier in ("first_occurrence", "recurrent"):
        earlier = _earlier_episodes(facts, g, row.grade_min)
        if (row.qualifier == "recurrent") != (earlier > 0):
            return False, ""
    extra = ""
    if row.when is not None:
        v = evaluate(row.when, facts, (drug,))
        if v.value is not True:
            return False, ""
        extra = "; " + "; ".join(v.because)
    return True, extra


def _covers(row: DoseAction, g: GradedToxicity) -> bool:
    """A graded row speaks to the patient's grade when the grade is not above the row's range: below it, the
    label's threshold is not reached (lab-defined rows such as ANC < 0.5 cover the grades beneath); above
    it, the table says nothing (a row read only up to grade 3 does not answer a grade 4)."""
    return row.grade_max is None or g.grade <= row.grade_max


def _action(drug: str, row: DoseAction, g: GradedToxicity, extra: str) -> DrugAction:
    return DrugAction(
        drug,
        row.action,
        row.dose_level,
        row.until,
        row.toxicity,
        g.grade,
        f"{g.detail}{extra}: {row.text}",
        f"{row.source.text}{', ' + row.source.section if row.source.section else ''}",
    )


def drug_actions(
    facts: PatientFacts, knowledge: ToxicityKnowledge, worst: dict[str, GradedToxicity]
) -> tuple[list[DrugAction], list[str]]:
    """For each drug given now: the label rows the current grades trigger, or "continue"."""
    actions: list[DrugAction] = []
    notes: list[str] = []
    for drug in drugs_given_now(facts):
        table = knowledge.drug_tables.get(drug)
        if table is None:
            notes.append(
                f"{drug}: the knowledge base has no dose-modification rules for this drug; check its label"
            )
            continue
        fired: list[DrugAction] = []
        graded = [r for r in table.actions if not r.fallback]
        covered = {t: g for t, g in worst.items() if any(_covers(r, g) for r in graded if r.toxicity == t)}
        for row in table.actions:
            g = worst.get(row.toxicity)
            if g is None or (row.fallback and row.toxicity in covered):
                continue
            applies, extra = _row_applies(row, g, facts, drug)
            if applies:
                fired.append(_action(drug, row, g, extra))
        answered = covered.keys() | {a.toxicity for a in fired}
        for g in worst.values():
            if g.grade >= UNCOVERED_MIN_GRADE and g.toxicity not in answered:
                fired.append(
                    DrugAction(
                        drug,
                        "see label",
                        None,
                        None,
                        g.toxicity,
                        g.grade,
                        f"{g.detail}: no row of the knowledge base's table for {drug} covers this grade; "
                        "read the label's dose-modification section (other grade 3-4 adverse reactions)",
                        f"{table.label.text}{', ' + table.label.section if table.label.section else ''}",
                    )
                )
        if fired:
            actions.extend(fired)
        else:
            relevant = sorted({r.toxicity for r in table.actions})
            actions.append(
                DrugAction(
                    drug,
                    "continue",
                    None,
                    None,
                    None,
                    None,
                    "no current toxicity triggers a row of its label table "
                    f"(rows cover: {', '.join(relevant) or 'none encoded'})",
                    table.label.text,
                )
            )
    return actions, notes


def supportive_care(facts: PatientFacts, knowledge: ToxicityKnowledge) -> list[CareItem]:
    items = []
    ongoing = tuple(drugs_given_now(facts))
    for care in knowledge.symptom_care:
        if care.when is None:
            items.append(CareItem(care.topic, care.item, care.reason, care.source.text))
            continue
        v = evaluate(care.when, facts, ongoing)
        if v.value is True:
            items.append(
                CareItem(care.topic, care.item, f"{care.reason} ({'; '.join(v.because)})", care.source.text)
            )
    return items


def symptom_trend(facts: PatientFacts, topic: str, symptom: str) -> SymptomTrend:
    """The series of one symptom and its direction: the latest report against the (up to
    :data:`TREND_REPORTS`) reports of the :data:`TREND_WINDOW_DAYS` before it: worsening when it is above
    every one of them, improving when below every one, stable otherwise."""
    series = tuple(
        sorted(
            (s.date, s.severity)
            for s in facts.record.symptoms
            if s.symptom == symptom and s.date <= facts.as_of
        )
    )
    if not series:
        return SymptomTrend(topic, symptom, series, "no reports")
    last_day, last = series[-1]
    before = [sev for day, sev in series[:-1] if (last_day - day).days <= TREND_WINDOW_DAYS][-TREND_REPORTS:]
    if not before:
        trend = "single report" if len(series) == 1 else "no recent report to compare"
        return SymptomTrend(topic, symptom, series, trend)
    if last > max(before):
        trend = "worsening"
    elif last < min(before):
        trend = "improving"
    else:
        trend = "stable"
    return SymptomTrend(topic, symptom, series, trend)


def drugs_given_now(facts: PatientFacts) -> list[str]:
    """The myeloma drugs of the courses going on at the record's date (no end, started by then)."""
    return sorted({t.drug for t in facts.record.therapies if t.end is None and t.start <= facts.as_of})


def organ_function_doses(facts: PatientFacts, drugs: Mapping[str, DrugFacts]) -> list[OrganDose]:
    """The label's renal and hepatic dose rules of each drug given now that today's organ function meets
    (creatinine clearance bands, dialysis, bilirubin), and those that cannot be checked because a value is
    missing. A rule the patient does not meet is not listed."""
    found: list[OrganDose] = []
    for drug in drugs_given_now(facts):
        info = drugs.get(drug)
        if info is None:
            continue
        for adj in info.dose_adjustments:
            v = evaluate(adj.when, facts, (drug,))
            if v.value is False:
                continue
            status = "applies" if v.value is True else "could not check"
            section = f", {adj.source.section}" if adj.source.section else ""
            found.append(OrganDose(drug, status, adj.text, "; ".join(v.because), adj.source.text + section))
    return found


def toxicity_report(
    facts: PatientFacts, knowledge: ToxicityKnowledge, drugs: Mapping[str, DrugFacts] | None = None
) -> ToxicityReport:
    """The whole toxicity picture of a patient on ``as_of``. ``drugs``: the knowledge base's drug label
    facts, for the organ-function dose rules of the drugs given now (none when absent)."""
    grades = [*lab_grades(facts, knowledge), *adverse_event_grades(facts)]
    worst = worst_by_toxicity(grades)
    actions, notes = drug_actions(facts, knowledge, worst)
    if not knowledge.lab_grading:
        notes.append("no CTCAE lab grading table in the knowledge base: lab values are not graded")
    return ToxicityReport(
        as_of=facts.as_of,
        grades=tuple(sorted(grades, key=lambda g: (-g.grade, g.toxicity))),
        actions=tuple(actions),
        organ_function=tuple(organ_function_doses(facts, drugs or {})),
        supportive_care=tuple(supportive_care(facts, knowledge)),
        trends=tuple(symptom_trend(facts, topic, s) for topic, s in SYMPTOM_TOPICS.items()),
        notes=tuple(notes),
    )
