"""Patient facts for the knowledge base's conditions, and their three-valued evaluation.

:class:`PatientFacts` gathers, once per plan, what the conditions of :mod:`rrmm.knowledge.conditions` ask
about; :func:`evaluate` answers a condition with ``True``, ``False`` or ``None`` (unknown) and the facts it
used, so that every exclusion and caution can say why.

Reading conventions:
- A comorbidity that the record does not list is taken as absent (the list is the clinician's statement);
  a neuropathy grade is the highest of the listed comorbidity grade and any unresolved adverse event whose
  term names a neuropathy, 0 when neither is recorded.
- A diagnosis flag (plasma cell leukemia, ...) that the record leaves out is unknown, not absent.
- A preference that the record does not state is taken as not held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property

from rrmm.clinical.response import DiseaseMeasures, disease_measures
from rrmm.clinical.risk import abnormality_status
from rrmm.clinical.state import DiseaseState
from rrmm.knowledge.conditions import Condition
from rrmm.record import Record
from rrmm.terminology import drug_vocabulary

AVERAGE_DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Verdict:
    """The answer to a condition: ``value`` True, False or None (unknown), and the facts behind it."""

    value: bool | None
    because: tuple[str, ...] = ()


def _tokens_of(drugs: Iterable[str]) -> dict[str, frozenset[str]]:
    """Each drug, class and modality name -> the drugs it stands for."""
    return _token_table(frozenset(drugs))


@cache
def _token_table(drugs: frozenset[str]) -> dict[str, frozenset[str]]:
    vocab = drug_vocabulary()
    out: dict[str, set[str]] = {}
    for d in drugs:
        drug = vocab[d]
        for token in (d, drug.drug_class, drug.modality):
            if token is not None:
                out.setdefault(token, set()).add(d)
    return {k: frozenset(v) for k, v in out.items()}


@dataclass(frozen=True)
class PatientFacts:
    """What the knowledge base's conditions may ask about one patient.

    Answers are remembered for the life of the object (one plan): the same label rule is asked once for
    every regimen that contains the drug.
    """

    state: DiseaseState
    record: Record
    answers: dict[tuple[int, tuple[str, ...]], Verdict] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def as_of(self) -> dt.date:
        return self.state.as_of

    def exposed(self) -> dict[str, frozenset[str]]:
        return _tokens_of(self.state.refractoriness.exposed_drugs)

    def refractory(self) -> dict[str, frozenset[str]]:
        return _tokens_of(self.state.refractoriness.refractory_drugs)

    @cached_property
    def measures(self) -> DiseaseMeasures:
        """The record's response measures, collected once however many criteria ask about them."""
        return disease_measures(self.record)

    def on_therapy(self) -> dict[str, frozenset[str]]:
        """Drugs (and their classes and modalities) being given now: courses with no end."""
        return _tokens_of(t.drug for t in self.record.therapies if t.end is None and t.start <= self.as_of)

    def latest_symptom(self, symptom: str) -> tuple[int, dt.date] | None:
        found = [s for s in self.record.symptoms if s.symptom == symptom and s.date <= self.as_of]
        if not found:
            return None
        last = max(found, key=lambda s: s.date)
        return last.severity, last.date

    def comorbidity_grade(self, condition: str) -> int | None:
        """The grade of a listed comorbidity (0 if listed without grade); ``None`` when not listed."""
        grades = [c.grade or 0 for c in self.record.comorbidities if c.condition == condition]
        return max(grades) if grades else None

    def neuropathy_grade(self) -> tuple[int, str]:
        listed = self.comorbidity_grade("peripheral_neuropathy")
        events = [
            e
            for e in self.record.adverse_events
            if "neuropathy" in e.term.lower() and (e.resolved is None or e.resolved > self.as_of)
        ]
        grades = [(listed or 0, "peripheral neuropathy listed" + (f", grade {listed}" if listed else ""))]
        grades += [(e.grade, f"{e.term} grade {e.grade} since {e.onset}") for e in events]
        if listed is None and not events:
            return 0, "no neuropathy recorded"
        return max(grades)

    def latest_lab(self, test: str) -> tuple[float, float | None, dt.date] | None:
        found = [lab for lab in self.record.labs if lab.test == test and lab.date <= self.as_of]
        if not found:
            return None
        lab = max(found, key=lambda lab: lab.date)
        return lab.value, lab.upper_limit_normal, lab.date

    def months_from_transplant_to_progression(self) -> tuple[float | None, str]:
        autos = sorted(t.date for t in self.record.transplants if t.type == "autologous")
        if not autos:
            return None, "no autologous transplant recorded"
        last = autos[-1]
        after = sorted(
            line.progression.date
            for line in self.state.lines
            if line.progression and line.progression.date > last
        )
        if not after:
            return None, f"no progression recorded after the transplant of {last}"
        months = (after[0] - last).days / AVERAGE_DAYS_PER_MONTH
        return months, f"progression {months:.0f} months after the transplant of {last}"


def _compare(value: float, spec: dict[str, float]) -> bool:
    checks = {
        "at_least": lambda v, x: v >= x,
        "at_most": lambda v, x: v <= x,
        "above": lambda v, x: v > x,
        "below": lambda v, x: v < x,
    }
    return all(checks[k](value, x) for k, x in spec.items() if k in checks)


def _spec_text(spec: dict[str, float]) -> str:
    words = {"at_least": ">=", "at_most": "<=", "above": ">", "below": "<"}
    return " and ".join(f"{words[k]} {x:g}" for k, x in spec.items() if k in words)


def _ranged(label: str, value: float | None, spec: dict[str, float], unknown: str) -> Verdict:
    if value is None:
        return Verdict(None, (unknown,))
    return Verdict(_compare(value, spec), (f"{label} {value:g} (condition {_spec_text(spec)})",))


def _combine_all(parts: list[Verdict]) -> Verdict:
    false = [p for p in parts if p.value is False]
    if false:
        return Verdict(False, tuple(b for p in false for b in p.because))
    unknown = [p for p in parts if p.value is None]
    if unknown:
        return Verdict(None, tuple(b for p in unknown for b in p.because))
    return Verdict(True, tuple(b for p in parts for b in p.because))


def _combine_any(parts: list[Verdict]) -> Verdict:
    true = [p for p in parts if p.value is True]
    if true:
        return Verdict(True, true[0].because)
    unknown = [p for p in parts if p.value is None]
    if unknown:
        return Verdict(None, tuple(b for p in unknown for b in p.because))
    return Verdict(False, tuple(b for p in parts for b in p.because))


@cache
def _asks_about_regimen(cond: Condition) -> bool:
    return cond.key == "regimen_has" or any(_asks_about_regimen(c) for c in cond.children)


def evaluate(cond: Condition, facts: PatientFacts, regimen_drugs: Iterable[str] = ()) -> Verdict:
    """Answer ``cond`` for the patient (and the regimen being judged, for ``regimen_has``)."""
    drugs = tuple(regimen_drugs) if _asks_about_regimen(cond) else ()
    memo = (id(cond), drugs)
    if memo not in facts.answers:
        facts.answers[memo] = _evaluate(cond, facts, drugs)
    return facts.answers[memo]


def _evaluate(cond: Condition, facts: PatientFacts, regimen_drugs: tuple[str, ...]) -> Verdict:
    key, value = cond.key, cond.value
    state = facts.state
    r = state.refractoriness
    if key == "all":
        return _combine_all([evaluate(c, facts, regimen_drugs) for c in cond.children])
    if key == "any":
        return _combine_any([evaluate(c, facts, regimen_drugs) for c in cond.children])
    if key == "not":
        inner = evaluate(cond.children[0], facts, regimen_drugs)
        return Verdict(None if inner.value is None else not inner.value, inner.because)
    if key in ("exposed", "refractory"):
        table = facts.exposed() if key == "exposed" else facts.refractory()
        drugs = sorted(table.get(value, ()))
        word = "exposed to" if key == "exposed" else "refractory to"
        return Verdict(
            bool(drugs), (f"{word} {value}: {', '.join(drugs)}" if drugs else f"not {word} {value}",)
        )
    if key in ("exposed_in_class", "refractory_in_class"):
        table = facts.exposed() if key == "exposed_in_class" else facts.refractory()
        drugs = sorted(table.get(value["class"], ()))
        word = "exposed to" if key == "exposed_in_class" else "refractory to"
        return Verdict(
            len(drugs) >= value["at_least"],
            (f"{word} {len(drugs)} {value['class']} ({', '.join(drugs) or 'none'})",),
        )
    if key in ("triple_class_exposed", "triple_class_refractory", "penta_refractory"):
        have = bool(getattr(r, key))
        return Verdict(have == value, (f"{key.replace('_', ' ')}: {'yes' if have else 'no'}",))
    if key == "on_therapy":
        drugs = sorted(facts.on_therapy().get(value, ()))
        return Verdict(bool(drugs), (f"receiving {', '.join(drugs)}" if drugs else f"not receiving {value}",))
    if key == "symptom":
        latest = facts.latest_symptom(value["symptom"])
        name = value["symptom"].replace("_", " ")
        if latest is None:
            return Verdict(None, (f"no {name} report",))
        severity, day = latest
        return Verdict(severity >= value["at_least"], (f"{name} severity {severity}/4 on {day}",))
    if key == "regimen_has":
        table = _tokens_of(regimen_drugs)
        return Verdict(value in table, (f"regimen contains {value}",) if value in table else ())
    if key == "prior_lines":
        return _ranged("prior lines", state.lines_of_therapy, value, "")
    if key == "status":
        status = r.status.value
        if status is None:
            return Verdict(None, ("disease status unknown",))
        return Verdict(status == value, (f"status {status.replace('_', ' ')}",))
    if key == "comorbidity":
        name = value if isinstance(value, str) else value["condition"]
        grade = facts.comorbidity_grade(name)
        words = name.replace("_", " ")
        if isinstance(value, str):
            return Verdict(grade is not None, (f"{words} {'listed' if grade is not None else 'not listed'}",))
        minimum = value.get("grade_at_least", 0)
        if grade is None:
            return Verdict(False, (f"{words} not listed",))
        return Verdict(grade >= minimum, (f"{words} grade {grade or 'not given'}",))
    if key == "neuropathy_grade":
        grade, why = facts.neuropathy_grade()
        return Verdict(_compare(grade, value), (f"{why} (condition {_spec_text(value)})",))
    if key == "crcl":
        return _ranged(
            "creatinine clearance",
            state.kidney.crcl_ml_min.value,
            value,
            "creatinine clearance unknown: " + "; ".join(state.kidney.crcl_ml_min.reasons),
        )
    if key == "dialysis":
        on = state.kidney.on_dialysis
        return Verdict(on == value, ("on dialysis" if on else "not on dialysis",))
    if key == "ecog":
        return _ranged("ECOG", state.ecog.value, value, "ECOG unknown")
    if key == "age":
        return _ranged("age", state.age, value, "age unknown")
    if key == "cytogenetics":
        present = abnormality_status(facts.record, value, facts.as_of)
        if present is None:
            return Verdict(None, (f"{value} not tested",))
        return Verdict(present, (f"{value} {'present' if present else 'absent'}",))
    if key == "high_risk":
        hr = state.high_risk.value
        if hr is None:
            return Verdict(None, ("high-risk status unknown",))
        return Verdict(hr == value, ("high-risk disease" if hr else "not high-risk",))
    if key == "diagnosis":
        flag = getattr(facts.record.diagnosis, value)
        words = value.replace("_", " ")
        if flag is None:
            return Verdict(None, (f"{words} not recorded",))
        return Verdict(bool(flag), (f"{words}: {'yes' if flag else 'no'}",))
    if key == "transplant_eligible":
        te = state.transplant_eligible.value
        if te is None:
            return Verdict(
                None, ("transplant eligibility unknown: " + "; ".join(state.transplant_eligible.reasons),)
            )
        return Verdict(te == value, (f"transplant eligible: {'yes' if te else 'no'}",))
    if key == "prior_transplant":
        had = any(t.type == value for t in facts.record.transplants)
        return Verdict(had, (f"prior {value} transplant: {'yes' if had else 'no'}",))
    if key == "months_from_transplant_to_progression":
        months, why = facts.months_from_transplant_to_progression()
        if months is None:
            return Verdict(None, (why,))
        return Verdict(_compare(months, value), (why,))
    if key == "preference":
        prefs = facts.record.preferences
        held = bool(prefs is not None and getattr(prefs, value))
        return Verdict(held, (f"patient preference: {value.replace('_', ' ')}",) if held else ())
    if key == "lab":
        return _lab(facts, value)
    raise ValueError(f"condition {key!r} has no evaluation")  # parse_condition admits only known keys


def _lab(facts: PatientFacts, spec: dict[str, float | str]) -> Verdict:
    test = str(spec["test"])
    latest = facts.latest_lab(test)
    words = test.replace("_", " ")
    if latest is None:
        return Verdict(None, (f"no {words} result",))
    value, uln, day = latest
    plain = {k: float(v) for k, v in spec.items() if k in ("at_least", "at_most", "above", "below")}
    results: list[bool] = []
    if plain:
        results.append(_compare(value, plain))
    for k, times in spec.items():
        if k in ("above_uln_times", "below_uln_times"):
            if uln is None:
                return Verdict(None, (f"{words} {value:g} on {day}: upper limit of normal not recorded",))
            ratio = value / uln
            results.append(ratio > float(times) if k == "above_uln_times" else ratio < float(times))
    return Verdict(all(results), (f"{words} {value:g} on {day}",))
