"""Every regimen of the knowledge base, every exclusion rule it is subject to, each shown on a patient.

For each regimen: refractoriness to each of its drugs excludes it; its own requirement, when not met,
excludes it; a patient outside its indication (no prior line) is excluded; and each exclusion rule of the
regimen and of its drugs' labels excludes a patient built to meet that rule's condition. Each exclusion
must come with a reason that names what fired.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from builders import course, lab, record_dict
from rrmm.knowledge import knowledge_base
from rrmm.knowledge.conditions import Condition
from rrmm.planning import build_plan
from rrmm.record import record_from_mapping
from rrmm.terminology import drug_vocabulary

KB = knowledge_base()
VOCAB = drug_vocabulary()


def plan_of(data: dict[str, Any], jurisdiction: str = "us"):
    plan = build_plan(record_from_mapping(data), jurisdiction)
    return {o.id: o for o in plan.options}, {x.id: x for x in plan.not_recommended}


def progressed_on(drug: str) -> dict[str, Any]:
    """A patient whose disease progressed on ``drug`` (with dexamethasone, as most regimens give it)."""
    if VOCAB[drug].is_cell_therapy:
        therapies = [course(drug, "2020-03-01", "2020-03-01")]
        events = [{"date": "2020-04-01", "type": "progression"}]  # 31 days after the infusion
    else:
        therapies = [course(drug, "2019-02-01", "2020-02-01", stop_reason="progression")]
        if drug != "dexamethasone":
            therapies.append(course("dexamethasone", "2019-02-01", "2020-02-01"))
        events = []
    return record_dict(therapies=therapies, events=events, as_of="2020-06-01")


REFRACTORY_CASES = [(r.id, d) for r in KB.regimens for d in r.drugs if not VOCAB[d].is_corticosteroid]


@pytest.mark.parametrize(("regimen_id", "drug"), REFRACTORY_CASES)
def test_refractoriness_to_a_component_excludes_the_regimen(regimen_id, drug):
    _, excluded = plan_of(progressed_on(drug))
    assert regimen_id in excluded
    reasons = " ".join(excluded[regimen_id].reasons)
    assert f"refractory to {drug}" in reasons or "already infused" in reasons


INDICATED_AFTER_A_LINE = [
    r.id
    for r in KB.regimens
    if r.indication("us")
    and all((i.min_prior_lines or 0) >= 1 for i in r.indication("us") if i.status not in ("withdrawn",))
]


@pytest.mark.parametrize("regimen_id", INDICATED_AFTER_A_LINE)
def test_a_patient_with_no_prior_line_is_outside_the_indication(regimen_id):
    _, excluded = plan_of(record_dict(as_of="2019-06-01"))
    assert regimen_id in excluded
    assert any(
        "prior line" in r or "not approved" in r or "withdrawn" in r for r in excluded[regimen_id].reasons
    )


def previously_treated() -> dict[str, Any]:
    """Two prior lines with PI, IMiD and anti-CD38 exposure, none refractory, good fitness."""
    return record_dict(
        age=60,
        weight_kg=75,
        as_of="2022-06-01",
        therapies=[
            course("bortezomib", "2018-01-01", "2018-06-01", stop_reason="completed"),
            course("lenalidomide", "2018-01-01", "2018-06-01", stop_reason="completed"),
            course("dexamethasone", "2018-01-01", "2018-06-01"),
            course("daratumumab", "2019-06-01", "2020-06-01", stop_reason="completed"),
            course("thalidomide", "2019-06-01", "2020-06-01", stop_reason="completed"),
        ],
        labs=[lab("creatinine", "2022-05-01", 1.0, "mg/dL")],
        performance_status=[{"date": "2022-05-01", "ecog": 1}],
    )


def satisfy(cond: Condition, data: dict[str, Any], avoid: tuple[str, ...] = ()) -> None:
    """Change ``data`` so that ``cond`` holds (for the condition keys the knowledge base uses in rules).

    ``avoid`` are the drugs of the regimen under test, never used to create an exposure or refractoriness.
    """
    key, value = cond.key, cond.value
    if key == "all":
        for child in cond.children:
            satisfy(child, data, avoid)
    elif key == "any":
        satisfy(cond.children[0], data, avoid)
    elif key == "not" and cond.children[0].key == "months_from_transplant_to_progression":
        # remission after the last autologous transplant shorter than the threshold: progress 6 months after
        data.setdefault("transplants", []).append({"date": "2021-01-01", "type": "autologous"})
        data.setdefault("events", []).append({"date": "2021-07-01", "type": "progression"})
    elif key == "prior_transplant":
        if not any(t["type"] == value for t in data.get("transplants", [])):
            data.setdefault("transplants", []).append({"date": "2021-01-01", "type": value})
    elif key == "refractory":
        members = [value] if value in VOCAB else sorted(VOCAB.in_class(value) - set(avoid))
        data["therapies"].append(course(members[0], "2021-08-01", "2021-12-01", stop_reason="progression"))
    elif key == "comorbidity":
        name = value if isinstance(value, str) else value["condition"]
        grade = 4 if not isinstance(value, str) else None
        data.setdefault("comorbidities", []).append(
            {"condition": name, **({"grade": grade} if grade else {})}
        )
    elif key == "neuropathy_grade":
        grade = int(value.get("at_least", value.get("above", 0) + 1))
        data.setdefault("comorbidities", []).append({"condition": "peripheral_neuropathy", "grade": grade})
    elif key == "crcl":
        creatinine = 8.0 if "below" in value else 0.6
        data["labs"] = [x for x in data.get("labs", []) if x["test"] != "creatinine"]
        data["labs"].append(lab("creatinine", "2022-05-01", creatinine, "mg/dL"))
    elif key == "dialysis":
        if value:
            data.setdefault("comorbidities", []).append({"condition": "dialysis"})
    elif key == "ecog":
        ecog = (
            int(value.get("at_least", value.get("above", 0) + 1))
            if ("at_least" in value or "above" in value)
            else 0
        )
        data["performance_status"] = [{"date": "2022-05-01", "ecog": min(ecog, 4)}]
    elif key == "age":
        data["age"] = int(value.get("above", value.get("at_least", 70))) + 1
    elif key == "lab":
        test = value["test"]
        if "above_uln_times" in value:
            amount, uln = value["above_uln_times"] * 2.0, 1.0
        elif "above" in value or "at_least" in value:
            amount, uln = value.get("above", value.get("at_least", 0)) * 2 + 1, None
        else:
            amount, uln = value.get("below", value.get("at_most", 1)) / 2, None
        from rrmm.record.units import test_units

        extra = {"upper_limit_normal": uln} if uln else {}
        data.setdefault("labs", []).append(
            lab(test, "2022-05-15", amount, test_units()[test].canonical, **extra)
        )
    elif key == "exposed":
        drug = value if value in VOCAB else sorted(VOCAB.in_class(value) - set(avoid))[0]
        data["therapies"].append(course(drug, "2021-01-01", "2021-03-01", stop_reason="completed"))
    elif key == "cytogenetics":
        data.setdefault("cytogenetics", []).append(
            {"date": "2018-01-01", "abnormality": value, "present": True}
        )
    elif key == "diagnosis":
        data["diagnosis"] = {**data["diagnosis"], value: True}
    elif key == "preference":
        data["preferences"] = {**data.get("preferences", {}), value: True}
    else:
        pytest.fail(f"extend satisfy() for rule condition {key!r}")


def rules_with(effect: str) -> list[tuple[str, str, Any]]:
    """(regimen id, owner, rule) for every rule of a regimen and of its drugs' labels with this effect."""
    return [
        (r.id, owner, rule)
        for r in KB.regimens
        for owner, rule in [(r.id, x) for x in r.rules]
        + [(d, x) for d in r.drugs if d in KB.drugs for x in KB.drugs[d].rules]
        if rule.effect == effect
    ]


EXCLUSION_RULES = rules_with("exclude")


@pytest.mark.parametrize(
    ("regimen_id", "owner", "rule"), EXCLUSION_RULES, ids=[f"{r}-{o}-{x.id}" for r, o, x in EXCLUSION_RULES]
)
def test_each_exclusion_rule_excludes_a_patient_who_meets_it(regimen_id, owner, rule):
    data = copy.deepcopy(previously_treated())
    satisfy(rule.when, data, KB.regimen(regimen_id).drugs)
    _, excluded = plan_of(data, "eu" if not KB.regimen(regimen_id).indication("us") else "us")
    assert regimen_id in excluded, f"{rule.id} did not exclude {regimen_id}"
    assert any(rule.text in reason for reason in excluded[regimen_id].reasons)


REQUIREMENTS = [r for r in KB.regimens if r.requires is not None]


def unmet(cond: Condition, data: dict[str, Any]) -> None:
    """Change ``data`` so that a requirement does not hold."""
    if cond.key in ("all", "any"):
        for child in cond.children:
            unmet(child, data)
    elif cond.key == "cytogenetics":
        data.setdefault("cytogenetics", []).append(
            {"date": "2018-01-01", "abnormality": cond.value, "present": False}
        )
    elif cond.key == "diagnosis":
        data["diagnosis"] = {**data["diagnosis"], cond.value: False}
    elif cond.key == "transplant_eligible":
        data["age"] = 80  # above the guideline default transplant age
    else:
        pytest.fail(f"extend unmet() for requirement {cond.key!r}")


@pytest.mark.parametrize("regimen", REQUIREMENTS, ids=[r.id for r in REQUIREMENTS])
def test_an_unmet_requirement_excludes_with_its_reason(regimen):
    data = copy.deepcopy(previously_treated())
    unmet(regimen.requires, data)
    _, excluded = plan_of(data)
    assert regimen.id in excluded
    assert any(regimen.requires_text in r for r in excluded[regimen.id].reasons)


CAUTION_RULES = rules_with("caution")


@pytest.mark.parametrize(
    ("regimen_id", "owner", "rule"), CAUTION_RULES, ids=[f"{r}-{o}-{x.id}" for r, o, x in CAUTION_RULES]
)
def test_each_caution_is_shown_to_a_patient_who_meets_it(regimen_id, owner, rule):
    data = copy.deepcopy(previously_treated())
    satisfy(rule.when, data, KB.regimen(regimen_id).drugs)
    options, excluded = plan_of(data, "eu" if not KB.regimen(regimen_id).indication("us") else "us")
    if regimen_id in excluded:
        # excluded for another reason (say, outside its indication for this patient): the reason is given
        assert excluded[regimen_id].reasons
        return
    assert any(rule.text in c for c in options[regimen_id].cautions), options[regimen_id].cautions
