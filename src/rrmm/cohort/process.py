"""The per-patient step of a cohort run: one packed patient row in, the patient's results out.

The very same function runs on DuckDB (over Arrow batches) and on Spark (inside ``mapInPandas``): it reads
the patient's OMOP rows into a record (:func:`rrmm.cohort.reader.read_patient`), then calls the same
:func:`rrmm.planning.build_plan` as ``rrmm plan`` and, for trial feasibility, the same
:func:`rrmm.trials.matching.match_study`. No clinical rule is written here. A patient whose rows cannot
become a record, or whose plan fails, is a result with ``status = "failed"`` and the reason, never a crash
and never missing from the counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rrmm.cohort.reader import Concepts, courses_from_episodes, read_patient
from rrmm.trials.study import Study

#: How many ranked options a patient row keeps.
TOP_OPTIONS = 3

PATIENT_COLUMNS = (
    "person_id",
    "record_id",
    "status",
    "problems",
    "lines_of_therapy",
    "exposed_classes",
    "refractory_classes",
    "refractory_drugs",
    "triple_class_exposed",
    "triple_class_refractory",
    "penta_refractory",
    "disease_status",
    "iss",
    "r_iss",
    "r2_iss",
    "top_options",
)
LINE_COLUMNS = (
    "person_id",
    "line",
    "start_date",
    "end_date",
    "drugs",
    "includes_transplant",
    "includes_car_t",
    "best_response",
    "ended_by",
    "refractory_drugs",
)


@dataclass
class PersonResult:
    patient: dict[str, Any]
    lines: list[dict[str, Any]] = field(default_factory=list)
    trials: list[tuple[str, str]] = field(default_factory=list)  # (nct_id, verdict)


def _rows(value: Any) -> list[Mapping[str, Any]]:
    """A packed list of structs (None when the patient has no row in that table)."""
    if value is None:
        return []
    return [r for r in value if r is not None]


def _failed(person_id: int, record_id: str | None, problems: Sequence[str]) -> PersonResult:
    patient: dict[str, Any] = dict.fromkeys(PATIENT_COLUMNS)
    patient.update(person_id=person_id, record_id=record_id, status="failed", problems=list(problems))
    for key in ("exposed_classes", "refractory_classes", "refractory_drugs", "top_options"):
        patient[key] = []
    return PersonResult(patient)


def courses_of(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The patient's therapy courses: from episodes when the database has them, else from the eras the
    set-based step built (ongoing when the last exposure has no verbatim end and ends within the window of
    the observation period's end)."""
    if row.get("episode_event") is not None or row.get("episode") is not None:
        periods = _rows(row.get("observation_period"))
        built: list[dict[str, Any]] = courses_from_episodes(
            _rows(row.get("episode")),
            _rows(row.get("episode_event")),
            _rows(row.get("drug_exposure")),
            as_of=max((p["observation_period_end_date"] for p in periods), default=None),
        )
        return built
    from rrmm.fhir.importer import course_ongoing

    periods = _rows(row.get("observation_period"))
    as_of = max((p["observation_period_end_date"] for p in periods), default=None)
    out = []
    for era in sorted(_rows(row.get("eras")), key=lambda e: (e["start_date"], e["drug_concept_id"])):
        end: dt.date | None = era["end_date"]
        ongoing = era.get("verbatim_end_date") is None and end is not None and course_ongoing(end, as_of)
        out.append(
            {
                "drug_concept_id": era["drug_concept_id"],
                "start_date": era["start_date"],
                "end_date": None if ongoing else end,
                "stop_reason": era.get("stop_reason"),
                "quantity": era.get("quantity"),
                "dose_unit_source_value": era.get("dose_unit_source_value"),
                "setting": None,
            }
        )
    return out


def process_person(
    row: Mapping[str, Any],
    concepts: Concepts,
    jurisdiction: str = "us",
    studies: Sequence[Study] = (),
) -> PersonResult:
    """The results of one patient (see the module docstring)."""
    person_id = int(row["person_id"])
    try:
        read = read_patient(
            person=row,
            observation_period=_rows(row.get("observation_period")),
            conditions=_rows(row.get("condition_occurrence")),
            courses=courses_of(row),
            measurements=_rows(row.get("measurement")),
            observations=_rows(row.get("observation")),
            procedures=_rows(row.get("procedure_occurrence")),
            concepts=concepts,
        )
    except Exception as exc:  # the reader must not raise; if it does, the patient still counts
        return _failed(person_id, None, [f"reader error: {type(exc).__name__}: {exc}"])
    if read.record is None:
        return _failed(person_id, row.get("person_source_value"), read.problems)
    return plan_result(person_id, read.record, list(read.problems), jurisdiction, studies)


def plan_result(
    person_id: int, record: Any, problems: list[str], jurisdiction: str = "us", studies: Sequence[Study] = ()
) -> PersonResult:
    """The results of one patient's record: the plan of ``rrmm plan`` (``build_plan`` is ``plan_for_facts``
    on these facts), and the trials matched with the same facts."""
    from rrmm.clinical.state import disease_state
    from rrmm.planning.facts import PatientFacts
    from rrmm.planning.plan import plan_for_facts
    from rrmm.trials.matching import match_study

    try:
        facts = PatientFacts(state=disease_state(record), record=record)
        plan = plan_for_facts(facts, jurisdiction, None)
    except Exception as exc:  # a planner failure on one patient is reported, never fatal to the run
        return _failed(person_id, record.id, [*problems, f"plan error: {type(exc).__name__}: {exc}"])
    d = plan.disease
    patient = {
        "person_id": person_id,
        "record_id": record.id,
        "status": "ok",
        "problems": problems,
        "lines_of_therapy": d.lines_of_therapy,
        "exposed_classes": list(d.exposed_classes),
        "refractory_classes": list(d.refractory_classes),
        "refractory_drugs": list(d.refractory_drugs),
        "triple_class_exposed": d.triple_class_exposed,
        "triple_class_refractory": d.triple_class_refractory,
        "penta_refractory": d.penta_refractory,
        "disease_status": None if d.status.value is None else str(d.status.value),
        "iss": d.stage.iss,
        "r_iss": d.stage.r_iss,
        "r2_iss": d.stage.r2_iss,
        "top_options": [o.id for o in plan.options[:TOP_OPTIONS]],
    }
    lines = [
        {
            "person_id": person_id,
            "line": line.number,
            "start_date": line.start,
            "end_date": line.end,
            "drugs": list(line.drugs),
            "includes_transplant": line.includes_transplant,
            "includes_car_t": line.includes_car_t,
            "best_response": line.best_response,
            "ended_by": line.ended_by,
            "refractory_drugs": list(line.refractory_drugs),
        }
        for line in d.lines
    ]
    trials = [(s.nct_id, match_study(s, facts).verdict) for s in studies]
    return PersonResult(patient, lines, trials)
