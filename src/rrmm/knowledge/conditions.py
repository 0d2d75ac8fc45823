"""The condition language of the knowledge base: when a rule applies, whom an indication covers.

A condition is a small YAML mapping with exactly one key, so that a pharmacist can read it::

    all:
      - prior_lines: {at_least: 1}
      - exposed: lenalidomide
      - exposed: PI

Conditions are parsed and checked when the knowledge base loads (an unknown key or a malformed value is an
error naming the file and rule); :mod:`rrmm.planning.facts` evaluates them against a patient, in three-valued
logic: true, false or unknown.

Keys (``TOKEN`` is a drug INN, a class id of the contract, or a modality ``CAR-T``, ``bispecific``, ``ADC``):

======================================  =====================================================================
``all: [c, ...]`` / ``any: [...]``      every / at least one condition holds
``not: c``                              the condition does not hold
``exposed: TOKEN``                      the patient has received it
``refractory: TOKEN``                   the disease is refractory to it
``exposed_in_class: {class, at_least}`` at least N distinct drugs of the class received
``refractory_in_class: {class, ...}``   refractory to at least N distinct drugs of the class
``triple_class_exposed: bool``          PI, IMiD and anti-CD38 (likewise ``triple_class_refractory``,
                                        ``penta_refractory``)
``prior_lines: {at_least, at_most}``    number of prior lines of therapy
``status: STATUS``                      primary_refractory, relapsed_and_refractory, relapsed
``comorbidity: NAME``                   a recorded comorbidity (record vocabulary); or
                                        ``{condition: NAME, grade_at_least: N}``
``neuropathy_grade: {at_least: N}``     peripheral neuropathy grade (comorbidity or ongoing adverse event)
``crcl: {below | at_least: X}``         creatinine clearance, mL/min (Cockcroft-Gault)
``dialysis: bool``                      on dialysis
``ecog: {at_least | at_most: N}``       current ECOG performance status
``age: {above | at_most: N}``           age in years
``cytogenetics: ABNORMALITY``           the abnormality is present
``high_risk: bool``                     high-risk disease (IMS/IMWG)
``diagnosis: FLAG``                     plasma_cell_leukemia, extramedullary_disease, cns_involvement,
                                        al_amyloidosis
``transplant_eligible: bool``           transplant eligibility
``prior_transplant: TYPE``              autologous or allogeneic
``months_from_transplant_to_progression: {at_least: N}``  remission after the last autologous transplant
``preference: NAME``                    oral_only, declines_cell_therapy, declines_transplant
``lab: {test, below | above | above_uln_times | below_uln_times: X}``  the latest result of a lab test
``regimen_has: TOKEN``                  the regimen being judged contains it (supportive care rules)
``on_therapy: TOKEN``                   the patient is receiving it now (a course with no end)
``symptom: {symptom, at_least: N}``     the latest report of a symptom (record vocabulary) is this severe
======================================  =====================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args

from rrmm.record.models import Abnormality, LabTest, Symptom
from rrmm.record.models import Condition as ComorbidityName

COMPARATORS = frozenset({"at_least", "at_most", "above", "below", "above_uln_times", "below_uln_times"})

_BOOL_KEYS = frozenset(
    {
        "triple_class_exposed",
        "triple_class_refractory",
        "penta_refractory",
        "dialysis",
        "high_risk",
        "transplant_eligible",
    }
)
_TOKEN_KEYS = frozenset({"exposed", "refractory", "regimen_has", "on_therapy"})
SYMPTOMS = frozenset(get_args(Symptom))
_RANGE_KEYS = frozenset(
    {"prior_lines", "neuropathy_grade", "crcl", "ecog", "age", "months_from_transplant_to_progression"}
)
_CHOICES: dict[str, frozenset[str]] = {
    "status": frozenset({"primary_refractory", "relapsed_and_refractory", "relapsed", "no_progression"}),
    "diagnosis": frozenset(
        {"plasma_cell_leukemia", "extramedullary_disease", "cns_involvement", "al_amyloidosis"}
    ),
    "prior_transplant": frozenset({"autologous", "allogeneic"}),
    "preference": frozenset({"oral_only", "declines_cell_therapy", "declines_transplant"}),
    "cytogenetics": frozenset(get_args(Abnormality)),
    "comorbidity": frozenset(get_args(ComorbidityName)),
}
LAB_TESTS = frozenset(get_args(LabTest))
KEYS = (
    frozenset({"all", "any", "not", "exposed_in_class", "refractory_in_class", "lab", "symptom"})
    | _BOOL_KEYS
    | _TOKEN_KEYS
    | _RANGE_KEYS
    | frozenset(_CHOICES)
)


class ConditionError(ValueError):
    """A condition that is not of the language above."""


@dataclass(frozen=True, eq=False)
class Condition:
    """A parsed condition: ``key`` with its ``value``, or ``children`` for ``all``/``any``/``not``."""

    key: str
    value: Any = None
    children: tuple[Condition, ...] = ()

    def as_data(self) -> Any:
        """The condition in its YAML form again."""
        if self.key in ("all", "any"):
            return {self.key: [c.as_data() for c in self.children]}
        if self.key == "not":
            return {"not": self.children[0].as_data()}
        return {self.key: self.value}

    def describe(self) -> str:
        """The condition in words, as a reviewer would read it."""
        if self.key in ("all", "any"):
            joiner = " and " if self.key == "all" else " or "
            return "(" + joiner.join(c.describe() for c in self.children) + ")"
        if self.key == "not":
            return f"not {self.children[0].describe()}"
        if isinstance(self.value, Mapping):
            parts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.value.items())
            return f"{self.key.replace('_', ' ')} {parts}"
        return f"{self.key.replace('_', ' ')}: {self.value}"


def _range(key: str, value: Any, allowed: frozenset[str] = COMPARATORS) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise ConditionError(f"{key}: expected a mapping such as {{at_least: 1}}, got {value!r}")
    out: dict[str, float] = {}
    for k, v in value.items():
        if k not in allowed:
            raise ConditionError(f"{key}: unknown comparison {k!r} (use {', '.join(sorted(allowed))})")
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ConditionError(f"{key}.{k}: expected a number, got {v!r}")
        out[k] = v
    return out


def parse_condition(raw: Any, tokens: frozenset[str] | None = None) -> Condition:
    """Parse and check a condition from its YAML form; ``tokens`` are the drug, class and modality names
    that ``exposed``, ``refractory`` and ``regimen_has`` may use."""
    if isinstance(raw, Condition):
        return raw
    if not isinstance(raw, Mapping) or len(raw) != 1:
        raise ConditionError(f"a condition is a mapping with exactly one key, got {raw!r}")
    ((key, value),) = raw.items()
    if key not in KEYS:
        raise ConditionError(f"unknown condition {key!r}")
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise ConditionError(f"{key}: expected a non-empty list of conditions")
        return Condition(key, children=tuple(parse_condition(v, tokens) for v in value))
    if key == "not":
        return Condition(key, children=(parse_condition(value, tokens),))
    if key in _BOOL_KEYS:
        if not isinstance(value, bool):
            raise ConditionError(f"{key}: expected true or false, got {value!r}")
        return Condition(key, value)
    if key in _TOKEN_KEYS:
        if not isinstance(value, str) or (tokens is not None and value not in tokens):
            raise ConditionError(f"{key}: {value!r} is not a known drug INN, class or modality")
        return Condition(key, value)
    if key in _RANGE_KEYS:
        return Condition(key, _range(key, value))
    if key in ("exposed_in_class", "refractory_in_class"):
        if not isinstance(value, Mapping) or set(value) != {"class", "at_least"}:
            raise ConditionError(f"{key}: expected {{class: PI, at_least: 2}}, got {value!r}")
        if tokens is not None and value["class"] not in tokens:
            raise ConditionError(f"{key}: unknown class {value['class']!r}")
        return Condition(key, {"class": value["class"], "at_least": int(value["at_least"])})
    if key == "lab":
        if not isinstance(value, Mapping) or value.get("test") not in LAB_TESTS:
            raise ConditionError(f"lab: expected {{test: <lab test>, below: X}}, got {value!r}")
        rest = {k: v for k, v in value.items() if k != "test"}
        return Condition(key, {"test": value["test"], **_range("lab", rest)})
    if key == "symptom":
        if (
            not isinstance(value, Mapping)
            or value.get("symptom") not in SYMPTOMS
            or set(value)
            != {
                "symptom",
                "at_least",
            }
        ):
            raise ConditionError(f"symptom: expected {{symptom: NAME, at_least: N}}, got {value!r}")
        return Condition(key, {"symptom": value["symptom"], "at_least": int(value["at_least"])})
    if key == "comorbidity" and isinstance(value, Mapping):
        if value.get("condition") not in _CHOICES["comorbidity"] or set(value) - {
            "condition",
            "grade_at_least",
        }:
            raise ConditionError(
                f"comorbidity: expected {{condition: NAME, grade_at_least: N}}, got {value!r}"
            )
        return Condition(key, dict(value))
    choices = _CHOICES[key]
    if value not in choices:
        raise ConditionError(f"{key}: {value!r} is not one of {', '.join(sorted(choices))}")
    return Condition(key, value)
