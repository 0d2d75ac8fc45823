"""A plain-language summary of the plan for the patient, as one self-contained HTML page.

Presentation only. What the summary says comes from the plan (status, refractory drugs, lines, the top
options, the toxicity actions, supportive-care topics and symptom trends); how each option is given comes
from the knowledge base's drug routes. The words for each of these are fixed in
``templates/patient_wording.yaml`` (short sentences, abbreviations avoided or explained), and the page is
``templates/patient_summary.html.j2``. No figure appears that is not in the plan.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from rrmm.knowledge import knowledge_base
from rrmm.planning.plan import OptionOut, Plan
from rrmm.record import Record
from rrmm.report.html import TEMPLATES, environment, long_date

#: How many of the plan's ranked options the summary describes.
PATIENT_TOP = 3


class _Wording(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    status: dict[str, str]
    refractory: dict[str, str]
    triple_class_refractory: str
    penta_refractory: str
    lines: dict[str, str]
    category: dict[str, str]
    route: dict[str, str]
    route_joiner: str
    how_given: str
    options_intro: str
    trials_found: dict[str, str]
    toxicity: dict[str, str]
    side_effects_intro: str
    no_side_effects: str
    action: dict[str, str]
    actions_intro: str
    actions_outro: str
    care_topic: dict[str, str]
    care_intro: str
    symptom: dict[str, str]
    worsening: str
    questions: list[str]
    questions_cell_therapy: str
    glossary: list[tuple[str, str]]
    hope: str
    decision_note: str
    interactions_heading: str
    interactions_intro: str
    interaction_pair: str
    interactions_none_recorded: str
    interactions_always: str


@cache
def wording() -> _Wording:
    """The fixed phrases of the patient summary (``templates/patient_wording.yaml``)."""
    with (TEMPLATES / "patient_wording.yaml").open(encoding="utf-8") as f:
        return _Wording.model_validate(yaml.safe_load(f))


def and_list(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plain_name(option: OptionOut) -> str:
    """The option's name without its bracketed remarks (doses, abbreviations, short names)."""
    name = option.name
    while True:
        shorter = re.sub(r"\s*\([^()]*\)", "", name)
        if shorter == name:
            return name.strip()
        name = shorter


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _disease(plan: Plan, w: _Wording) -> list[str]:
    """Two paragraphs: what the disease is doing now, and the treatment so far."""
    d = plan.disease
    status = d.status.value if isinstance(d.status.value, str) else None
    now = [w.status.get(status or "unknown", w.status["unknown"])]
    if d.refractory_drugs:
        when = "past" if status in ("relapsed", "no_progression") else "current"
        now.append(w.refractory[when].format(drugs=and_list(list(d.refractory_drugs))))
        if d.penta_refractory:
            now.append(w.penta_refractory)
        elif d.triple_class_refractory:
            now.append(w.triple_class_refractory)
    n = d.lines_of_therapy
    so_far = [w.lines["none" if n == 0 else "one" if n == 1 else "many"].format(n=n)]
    if n:
        so_far.append(w.lines["meaning"])
    return [" ".join(now), " ".join(so_far)]


def _how_given(option: OptionOut, w: _Wording) -> list[str]:
    drugs = knowledge_base().drugs
    how: list[str] = []
    for inn in option.drugs:
        facts = drugs.get(inn)
        if facts is None:
            continue  # a drug without label facts: the summary does not guess its route
        ways = [w.route[r] for r in facts.route if r in w.route]
        if ways:
            how.append(f"{_capital(inn)}: {w.route_joiner.join(ways)}.")
    return how


def _kind(option: OptionOut, w: _Wording) -> str:
    if option.category == "standard":
        return w.category["standard_many" if len(option.drugs) > 1 else "standard_one"]
    return w.category.get(option.category, "")


def _options(plan: Plan, w: _Wording) -> list[dict[str, Any]]:
    return [
        {"name": plain_name(o), "kind": _kind(o, w), "how": _how_given(o, w)}
        for o in plan.options[:PATIENT_TOP]
    ]


def _side_effects(plan: Plan, w: _Wording) -> dict[str, list[str]]:
    tox = plan.toxicity
    seen: list[str] = []
    for g in tox.grades:
        words = w.toxicity.get(g.toxicity, w.toxicity["other"])
        if words not in seen:
            seen.append(words)
    actions: list[str] = []
    for a in tox.actions:
        what = w.toxicity.get(a.toxicity) if a.toxicity else None
        key = a.action if (what or a.action == "continue") else f"{a.action}_plain"
        if key in w.action:
            actions.append(w.action[key].format(drug=_capital(a.drug), what=what))
    care = list(dict.fromkeys(w.care_topic[c.topic] for c in tox.supportive_care if c.topic in w.care_topic))
    worse = [
        w.worsening.format(what=w.symptom[t.symptom])
        for t in tox.trends
        if t.trend == "worsening" and t.symptom in w.symptom
    ]
    return {"seen": [_capital(s) + "." for s in seen], "actions": actions, "care": care, "worse": worse}


def _interactions(plan: Plan, w: _Wording) -> dict[str, Any]:
    """The other medicines that meet a label row of a myeloma drug given now or of a top option."""
    found = [*plan.interactions.current]
    for o in plan.options[:PATIENT_TOP]:
        found += plan.interactions.options.get(o.id, [])
    pairs = list(dict.fromkeys(w.interaction_pair.format(medicine=i.medicine, drug=i.drug) for i in found))
    return {"pairs": pairs, "none_recorded": not plan.interactions.medicines}


def patient_context(plan: Plan, record: Record) -> dict[str, Any]:
    """What the patient-summary template reads."""
    w = wording()
    options = _options(plan, w)
    questions = list(w.questions)
    if any(o.category == "car-t" for o in plan.options[:PATIENT_TOP]):
        questions.append(w.questions_cell_therapy)
    n_trials = len(plan.trials)
    trials = "" if not n_trials else w.trials_found["one" if n_trials == 1 else "many"].format(n=n_trials)
    return {
        "w": w,
        "patient_id": plan.patient_id,
        "as_of": long_date(plan.as_of),
        "disease": _disease(plan, w),
        "options": options,
        "trials": trials,
        "side": _side_effects(plan, w),
        "interactions": _interactions(plan, w),
        "questions": questions,
        "kb": plan.knowledge_base,
    }


def patient_summary_html(plan: Plan, record: Record) -> str:
    """The plan explained to the patient, in plain language, as one HTML document."""
    return environment().get_template("patient_summary.html.j2").render(patient_context(plan, record))
