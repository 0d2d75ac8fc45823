"""One patient's OMOP rows back to a record: :func:`read_patient`, the per-patient step of a cohort run.

The engine (DuckDB or Spark) gathers each patient's rows and calls :func:`read_patient` with plain mappings:
the person row, the observation periods, the condition, measurement, observation and procedure rows, and the
therapy courses (:func:`courses_from_episodes` builds them from ``episode`` + ``episode_event`` +
``drug_exposure``, or the engine builds them from drug-exposure eras). Every concept is read through
:class:`rrmm.cohort.vocabulary.Concepts`, i.e. by (vocabulary_id, concept_code). The mapping is the reverse
of :mod:`rrmm.cohort.writer` (``docs/omop-conventions.md``): a record written and read back is the same
record.

Nothing here raises: a row with an unknown concept, a missing date, an end before its start or a value rrmm
cannot use is skipped and reported in ``problems`` (``"<table> <row id>: <reason>"``); a record that still
fails validation gives ``record=None`` with the validation error as a problem.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, get_args

from rrmm.cohort.vocabulary import (
    CONDITION_OCCURRENCE_ID_FIELD,
    DRUG_EXPOSURE_ID_FIELD,
    SEX_OF_GENDER,
    TREATMENT_REGIMEN,
    Concepts,
)
from rrmm.fhir.importer import ADMINISTRATION_GAP_DAYS, abnormality_from_text, course_ongoing
from rrmm.record import Record, RecordError, record_from_mapping
from rrmm.record.models import Response, Setting, StopReason
from rrmm.record.units import UnitError, record_unit, to_canonical
from rrmm.terminology import UnknownDrugError, drug_vocabulary

Json = dict[str, Any]
Rows = Sequence[Mapping[str, Any]]

_SETTINGS = frozenset(get_args(Setting))
_STOP_REASONS = frozenset(get_args(StopReason))
_RESPONSES = frozenset(get_args(Response))
_HEAVY = frozenset({"IgG", "IgA", "IgD", "IgE", "IgM", "none"})
_LIGHT = frozenset({"kappa", "lambda", "none"})
_SEXES = frozenset({"female", "male", "other", "unknown"})
_FLAGS = frozenset({"plasma_cell_leukemia", "al_amyloidosis", "extramedullary_disease", "cns_involvement"})
_METHOD = re.compile(r"\bby (FISH|NGS|karyotype|other)\s*$")
_POSITIVE = re.compile(r"^\s*(positive|detected|present|abnormal|yes)\b", re.I)
_NEGATIVE = re.compile(r"^\s*(negative|not detected|undetected|absent|normal|no)\b", re.I)
#: Units a body weight or height may come in, with their factor to kg or cm (UCUM codes and plain spellings).
_BODY_UNITS: dict[str, dict[str, float]] = {
    "body_weight": {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237, "lb": 0.45359237},
    "body_height": {"cm": 1.0, "m": 100.0, "[in_i]": 2.54, "in": 2.54},
}


@dataclass(frozen=True)
class PatientRead:
    """One patient read: the record (None when it cannot be built) and what was skipped or wrong."""

    person_id: int
    record: Record | None
    problems: tuple[str, ...]


# ------------------------------------------------------------------------------------------------ values
def _null(value: Any) -> bool:
    """None, NaN, NaT or pandas NA (what an engine may hand over for SQL NULL)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return True


def _date(value: Any) -> dt.date | None:
    """A date from a date, a datetime (its calendar day) or an ISO string; None for null or anything else."""
    try:
        if _null(value):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            return dt.date.fromisoformat(value[:10])
    except (ValueError, TypeError):
        return None
    return None


def _num(value: Any) -> float | None:
    if type(value) is float:  # the common case first: Arrow gives plain floats
        return value if value == value else None  # NaN is missing
    if _null(value) or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    try:
        return float(value)  # numpy scalars
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    if type(value) is int:  # the common case first: Arrow gives plain ints (bool is not int here)
        return value
    number = _num(value)
    return int(number) if number is not None and number.is_integer() else None


def _str(value: Any) -> str | None:
    if _null(value):
        return None
    text = str(value).strip()
    return text or None


def _sorted(rows: Iterable[Mapping[str, Any]], key: str) -> list[Mapping[str, Any]]:
    return sorted(rows, key=lambda r: _int(r.get(key)) or 0)


# ----------------------------------------------------------------------------------------------- courses
def courses_from_exposures(
    drug_exposures: Iterable[Mapping[str, Any]], as_of: dt.date | None = None
) -> list[Json]:
    """Therapy courses from drug exposures alone: the exposures of one drug concept joined into one course
    while an exposure starts at most :data:`ADMINISTRATION_GAP_DAYS` days after the latest end before it (the
    OMOP DRUG_ERA persistence window). A course is ongoing (``end_date`` None) when its last exposure states
    no ``verbatim_end_date`` and ends at most that many days before ``as_of``. Exposures without a start date
    are passed on alone, for :func:`read_patient` to report."""
    by_drug: dict[Any, list[Mapping[str, Any]]] = defaultdict(list)
    courses: list[Json] = []
    for row in _sorted(drug_exposures, "drug_exposure_id"):
        if _date(row.get("drug_exposure_start_date")) is None:
            courses.append(_course(row.get("drug_concept_id"), [row], None, None, as_of))
            continue
        by_drug[_int(row.get("drug_concept_id"))].append(row)
    for drug, rows in by_drug.items():
        rows.sort(
            key=lambda r: (_date(r.get("drug_exposure_start_date")), _int(r.get("drug_exposure_id")) or 0)
        )
        run: list[Mapping[str, Any]] = []
        latest: dt.date | None = None
        for row in rows:
            start = _date(row.get("drug_exposure_start_date"))
            assert start is not None
            if run and latest is not None and (start - latest).days > ADMINISTRATION_GAP_DAYS:
                courses.append(_course(drug, run, None, None, as_of))
                run, latest = [], None
            run.append(row)
            end = _exposure_end(row) or start
            latest = end if latest is None else max(latest, end)
        if run:
            courses.append(_course(drug, run, None, None, as_of))
    courses.sort(key=lambda c: (c["start_date"] or dt.date.min, c.get("drug_exposure_id") or 0))
    return courses


def _exposure_end(row: Mapping[str, Any]) -> dt.date | None:
    return _date(row.get("verbatim_end_date")) or _date(row.get("drug_exposure_end_date"))


def _course(
    drug: Any,
    rows: list[Mapping[str, Any]],
    episode: Mapping[str, Any] | None,
    setting: str | None,
    as_of: dt.date | None,
) -> Json:
    """One course dict from the exposures of one drug (in one episode, or one era)."""
    starts = [d for r in rows if (d := _date(r.get("drug_exposure_start_date"))) is not None]
    ends = [d for r in rows if (d := _exposure_end(r)) is not None]
    last = max(rows, key=lambda r: (_exposure_end(r) or dt.date.min, _int(r.get("drug_exposure_id")) or 0))
    first = rows[0]
    end: dt.date | None
    if episode is not None:  # the episode says whether the course goes on; its exposures say when it ended
        episode_end = _date(episode.get("episode_end_date"))
        end = None if episode_end is None else (max(ends) if ends else episode_end)
    else:
        end = max(ends) if ends else None
        stated = _date(last.get("verbatim_end_date")) is not None
        if end is not None and not stated and course_ongoing(end, as_of):
            end = None
    return {
        "drug_concept_id": _int(drug),
        "start_date": min(starts) if starts else None,
        "end_date": end,
        "stop_reason": _str(last.get("stop_reason")),
        "quantity": _num(first.get("quantity")),
        "dose_unit_source_value": _str(first.get("dose_unit_source_value")),
        "setting": setting,
        "episode_id": _int(episode.get("episode_id")) if episode is not None else None,
        "drug_exposure_id": _int(first.get("drug_exposure_id")),
    }


def courses_from_episodes(
    episodes: Iterable[Mapping[str, Any]],
    episode_events: Iterable[Mapping[str, Any]],
    drug_exposures: Iterable[Mapping[str, Any]],
    as_of: dt.date | None = None,
) -> list[Json]:
    """Therapy courses of one patient from treatment episodes (OMOP oncology: episode_concept_id 32531
    Treatment Regimen) and the drug exposures linked to them by ``episode_event`` (field concept 1147094
    ``drug_exposure.drug_exposure_id``): one course per episode and drug, in episode_id order. The setting is
    the episode's ``episode_source_value``; an episode without an end date is ongoing. An episode without
    linked exposures is one course of its ``episode_object_concept_id``. Exposures linked to no episode are
    joined into courses by :func:`courses_from_exposures` and follow.

    Each course is a dict with drug_concept_id, start_date, end_date (None = ongoing), stop_reason, quantity,
    dose_unit_source_value, setting, and episode_id / drug_exposure_id to name it in problems."""
    exposures = {_int(r.get("drug_exposure_id")): r for r in drug_exposures}
    linked: dict[int | None, list[int | None]] = defaultdict(list)
    for ev in episode_events:
        if _int(ev.get("episode_event_field_concept_id")) == DRUG_EXPOSURE_ID_FIELD:
            linked[_int(ev.get("episode_id"))].append(_int(ev.get("event_id")))
    used: set[int | None] = set()
    courses: list[Json] = []
    for ep in _sorted(episodes, "episode_id"):
        if _int(ep.get("episode_concept_id")) != TREATMENT_REGIMEN:
            continue
        setting = _str(ep.get("episode_source_value"))
        ids = sorted(linked.get(_int(ep.get("episode_id")), []), key=lambda i: i or 0)
        rows = [r for i in ids if (r := exposures.get(i)) is not None]
        used.update(_int(r.get("drug_exposure_id")) for r in rows)
        if not rows:
            courses.append(
                {
                    "drug_concept_id": _int(ep.get("episode_object_concept_id")),
                    "start_date": _date(ep.get("episode_start_date")),
                    "end_date": _date(ep.get("episode_end_date")),
                    "stop_reason": None,
                    "quantity": None,
                    "dose_unit_source_value": None,
                    "setting": setting,
                    "episode_id": _int(ep.get("episode_id")),
                    "drug_exposure_id": None,
                }
            )
            continue
        by_drug: dict[int | None, list[Mapping[str, Any]]] = defaultdict(list)
        for r in rows:
            by_drug[_int(r.get("drug_concept_id"))].append(r)
        for drug, group in by_drug.items():
            courses.append(_course(drug, group, ep, setting, as_of))
    rest = [r for i, r in exposures.items() if i not in used]
    return courses + courses_from_exposures(rest, as_of)


# ------------------------------------------------------------------------------------------------ reader
@dataclass
class _Fact:
    """A measurement or observation row, by the columns the two tables share."""

    table: str
    row_id: int | None
    concept: int | None
    when: dt.date | None
    number: float | None
    value_concept: int | None
    string: str | None
    unit_concept: int | None
    unit_source: str | None
    range_high: float | None
    source_value: str | None
    qualifier: str | None
    value_source: str | None
    event_id: int | None
    event_field: int | None


@dataclass
class _State:
    concepts: Concepts
    person_id: int
    problems: list[str] = field(default_factory=list)
    lists: dict[str, list[Json]] = field(default_factory=lambda: defaultdict(list))
    diagnosis_dates: list[dt.date] = field(default_factory=list)
    diagnosis: Json = field(default_factory=dict)
    adverse_events: dict[int | None, Json] = field(default_factory=dict)
    attributions: list[_Fact] = field(default_factory=list)
    body: dict[str, list[tuple[dt.date, int, float]]] = field(default_factory=lambda: defaultdict(list))
    age: int | None = None
    as_of_stated: bool = True
    location: Json = field(default_factory=dict)
    preferences: Json = field(default_factory=dict)

    def problem(self, table: str, row_id: Any, reason: str) -> None:
        self.problems.append(f"{table} {row_id}: {reason}")


def read_patient(
    person: Mapping[str, Any],
    observation_period: Rows,
    conditions: Rows,
    courses: Rows,
    measurements: Rows,
    observations: Rows,
    procedures: Rows,
    concepts: Concepts,
) -> PatientRead:
    """One patient's OMOP rows as a validated record, with the problems met; never raises."""
    person_id = _int(person.get("person_id")) if isinstance(person, Mapping) else None
    state = _State(concepts, person_id or 0)
    try:
        mapping = _read(
            state, person, observation_period, conditions, courses, measurements, observations, procedures
        )
    except Exception as exc:  # never fatal: one unreadable patient must not stop a cohort run
        state.problem("person", person_id, f"cannot be read: {type(exc).__name__}: {exc}")
        return PatientRead(state.person_id, None, tuple(state.problems))
    if mapping is None:
        return PatientRead(state.person_id, None, tuple(state.problems))
    try:
        record = record_from_mapping(mapping)
    except RecordError as exc:
        state.problem("person", person_id, f"record does not validate: {exc}")
        return PatientRead(state.person_id, None, tuple(state.problems))
    return PatientRead(state.person_id, record, tuple(state.problems))


def _read(
    s: _State,
    person: Mapping[str, Any],
    periods: Rows,
    conditions: Rows,
    courses: Rows,
    measurements: Rows,
    observations: Rows,
    procedures: Rows,
) -> Json | None:
    as_of = _as_of(s, periods)
    record: Json = {"schema_version": "1"}
    record["id"] = _str(person.get("person_source_value")) or f"person-{s.person_id}"
    gender = _int(person.get("gender_concept_id"))
    source_sex = _str(person.get("gender_source_value"))
    if gender in SEX_OF_GENDER:
        record["sex"] = SEX_OF_GENDER[gender]
    else:
        record["sex"] = source_sex.lower() if source_sex and source_sex.lower() in _SEXES else "unknown"
    birth = _birth_date(s, person)
    if birth is not None:
        record["birth_date"] = birth

    for row in _sorted(conditions, "condition_occurrence_id"):
        _condition(s, row, as_of)
    facts = [_measurement_fact(r) for r in _sorted(measurements, "measurement_id")]
    facts += [_observation_fact(r) for r in _sorted(observations, "observation_id")]
    for fact in facts:
        _fact(s, fact)
    _attribute(s)
    for row in _sorted(procedures, "procedure_occurrence_id"):
        _procedure(s, row)
    for index, course in enumerate(courses):
        _therapy(s, course, index)

    if not s.diagnosis_dates:
        s.problem("person", s.person_id, "no multiple myeloma condition with a start date: no record")
        return None
    record["diagnosis"] = {"date": min(s.diagnosis_dates), **s.diagnosis}
    if as_of is not None and s.as_of_stated:
        record["as_of"] = as_of
    if s.age is not None:
        record["age"] = s.age
    elif birth is None:
        year = _int(person.get("year_of_birth"))
        when = as_of or max(s.diagnosis_dates)
        if year is not None:
            record["age"] = when.year - year
            s.problem(
                "person",
                s.person_id,
                f"only year_of_birth {year}: age read as {when.year - year} (may be a year high)",
            )
    for name, key in (("body_weight", "weight_kg"), ("body_height", "height_cm")):
        if s.body[name]:
            record[key] = max(s.body[name])[2]
    if s.location:
        record["location"] = s.location
    if s.preferences:
        record["preferences"] = s.preferences
    record["therapies"] = []
    record.update(s.lists)
    return record


def _as_of(s: _State, periods: Rows) -> dt.date | None:
    ends: list[dt.date] = []
    for row in _sorted(periods, "observation_period_id"):
        end = _date(row.get("observation_period_end_date"))
        start = _date(row.get("observation_period_start_date"))
        row_id = row.get("observation_period_id")
        if end is None:
            s.problem("observation_period", row_id, "no observation_period_end_date: skipped")
        elif start is not None and end < start:
            s.problem("observation_period", row_id, f"ends ({end}) before it starts ({start}): skipped")
        else:
            ends.append(end)
    return max(ends) if ends else None


def _birth_date(s: _State, person: Mapping[str, Any]) -> dt.date | None:
    year, month, day = (_int(person.get(k)) for k in ("year_of_birth", "month_of_birth", "day_of_birth"))
    if year is None or month is None or day is None:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        s.problem("person", s.person_id, f"birth date {year}-{month}-{day} is not a calendar date: not read")
        return None


def _grade(s: _State, concept: int | None) -> int | None:
    local = s.concepts.local(concept)
    if local is None or local[0] != "grade" or not local[1].isdigit():
        return None
    return int(local[1])


def _condition(s: _State, row: Mapping[str, Any], as_of: dt.date | None) -> None:
    table, row_id = "condition_occurrence", row.get("condition_occurrence_id")
    concept = _int(row.get("condition_concept_id"))
    found = s.concepts.kind_value(concept)
    if found is None or found[0] not in ("diagnosis", "comorbidity", "adverse_event"):
        source = s.concepts.kind_value(_int(row.get("condition_source_concept_id")))
        if source is not None and source[0] in ("diagnosis", "comorbidity", "adverse_event"):
            found = source
    if found is None:
        reason = "unknown concept" if concept not in s.concepts else "concept not read by rrmm"
        s.problem(table, row_id, f"{reason}: {s.concepts.describe(concept)}: skipped")
        return
    kind, value = found
    if kind not in ("diagnosis", "comorbidity", "adverse_event"):
        s.problem(
            table, row_id, f"{s.concepts.describe(concept)} means {kind} {value}, not a condition: skipped"
        )
        return
    start = _date(row.get("condition_start_date"))
    end = _date(row.get("condition_end_date"))
    if start is None:
        s.problem(table, row_id, "no condition_start_date: skipped")
        return
    if end is not None and end < start:
        s.problem(table, row_id, f"ends ({end}) before it starts ({start}): skipped")
        return
    if kind == "diagnosis":
        if value in ("multiple_myeloma", "plasma_cell_leukemia"):
            if value == "plasma_cell_leukemia":
                s.diagnosis[value] = True
            s.diagnosis_dates.append(start)
        elif value in _FLAGS:
            s.diagnosis[value] = True
        return
    grade = _grade(s, _int(row.get("condition_status_concept_id")))
    if kind == "comorbidity":
        unknown_since = _null(row.get("condition_start_datetime")) and start == as_of
        entry: Json = {"condition": value}
        if not unknown_since:
            entry["since"] = start
        if grade is not None:
            entry["grade"] = grade
        s.lists["comorbidities"].append(entry)
        return
    if grade is None:
        s.problem(
            table, row_id, f"adverse event {value!r} without a grade (condition_status_concept_id): skipped"
        )
        return
    event: Json = {"term": value, "grade": grade, "onset": start}
    if end is not None:
        event["resolved"] = end
    s.lists["adverse_events"].append(event)
    s.adverse_events[_int(row_id)] = event


def _measurement_fact(r: Mapping[str, Any]) -> _Fact:
    return _Fact(
        "measurement",
        _int(r.get("measurement_id")),
        _int(r.get("measurement_concept_id")),
        _date(r.get("measurement_date")),
        _num(r.get("value_as_number")),
        _int(r.get("value_as_concept_id")),
        None,
        _int(r.get("unit_concept_id")),
        _str(r.get("unit_source_value")),
        _num(r.get("range_high")),
        _str(r.get("measurement_source_value")),
        None,
        _str(r.get("value_source_value")),
        _int(r.get("measurement_event_id")),
        _int(r.get("meas_event_field_concept_id")),
    )


def _observation_fact(r: Mapping[str, Any]) -> _Fact:
    return _Fact(
        "observation",
        _int(r.get("observation_id")),
        _int(r.get("observation_concept_id")),
        _date(r.get("observation_date")),
        _num(r.get("value_as_number")),
        _int(r.get("value_as_concept_id")),
        _str(r.get("value_as_string")),
        _int(r.get("unit_concept_id")),
        _str(r.get("unit_source_value")),
        None,
        _str(r.get("observation_source_value")),
        _str(r.get("qualifier_source_value")),
        _str(r.get("value_source_value")),
        _int(r.get("observation_event_id")),
        _int(r.get("obs_event_field_concept_id")),
    )


#: Facts that hold for the record as a whole: their date is not needed.
_UNDATED = frozenset(
    {
        ("observation", "age"),
        ("observation", "body_weight"),
        ("observation", "body_height"),
        ("observation", "heavy_chain"),
        ("observation", "light_chain"),
        ("location", "postal_code"),
        ("location", "country"),
        ("location", "latitude"),
        ("location", "longitude"),
        ("preference", "max_travel_km"),
        ("preference", "oral_only"),
        ("preference", "declines_transplant"),
        ("preference", "declines_cell_therapy"),
        ("record", "as_of_not_stated"),
    }
)


def _result(s: _State, f: _Fact) -> bool | None:
    """Positive / negative from the value concept (rrmm's result concepts, or a concept named Positive,
    Detected, Absent, ...), else from the value text."""
    local = s.concepts.local(f.value_concept)
    if local is not None and local[0] in ("result", "value"):
        if local[1] in ("positive", "yes", "present"):
            return True
        if local[1] in ("negative", "no", "absent"):
            return False
    row = s.concepts.get(f.value_concept)
    texts = ([row[2]] if row is not None else []) + [t for t in (f.string, f.value_source) if t]
    for text in texts:
        if _NEGATIVE.match(text):
            return False
        if _POSITIVE.match(text):
            return True
    return None


def _fact(s: _State, f: _Fact) -> None:
    found = s.concepts.kind_value(f.concept)
    if found is None:
        reason = "unknown concept" if f.concept not in s.concepts else "concept not read by rrmm"
        s.problem(f.table, f.row_id, f"{reason}: {s.concepts.describe(f.concept)}: skipped")
        return
    kind, value = found
    if f.when is None and (kind, value) not in _UNDATED:
        s.problem(f.table, f.row_id, f"no {f.table}_date: skipped")
        return
    handler = _HANDLERS.get(kind)
    if handler is None:
        s.problem(
            f.table,
            f.row_id,
            f"{s.concepts.describe(f.concept)} ({kind} {value}) is not read by rrmm: skipped",
        )
        return
    handler(s, f, value)


def _lab(s: _State, f: _Fact, test: str) -> None:
    if f.number is None or f.number < 0:
        s.problem(f.table, f.row_id, f"{test} without a value of 0 or more: skipped")
        return
    code = s.concepts.unit(f.unit_concept) or f.unit_source
    if code is None:
        s.problem(f.table, f.row_id, f"{test} without a unit: skipped")
        return
    unit = record_unit(code)
    try:
        to_canonical(test, f.number, unit)
    except UnitError as exc:
        s.problem(f.table, f.row_id, f"{test}: {exc}: skipped")
        return
    entry: Json = {"date": f.when, "test": test, "value": f.number, "unit": unit}
    if f.range_high is not None:
        if f.range_high > 0:
            entry["upper_limit_normal"] = f.range_high
        else:
            s.problem(f.table, f.row_id, f"range_high {f.range_high} is not above 0: upper limit not read")
    s.lists["labs"].append(entry)


def _finding(s: _State, f: _Fact, test: str) -> None:
    result = _result(s, f)
    if result is None:
        s.problem(f.table, f.row_id, f"{test} without a positive/negative value: skipped")
        return
    entry: Json = {"date": f.when, "test": test, "result": "positive" if result else "negative"}
    if f.number is not None:
        if 0 < f.number <= 1:
            entry["sensitivity"] = f.number
        else:
            s.problem(f.table, f.row_id, f"sensitivity {f.number} is not in (0, 1]: not read")
    s.lists["findings"].append(entry)


def _abnormality(s: _State, f: _Fact, abnormality: str) -> None:
    present = _result(s, f)
    if present is None:
        s.problem(f.table, f.row_id, f"{abnormality}: not said whether present or absent: skipped")
        return
    entry: Json = {"date": f.when, "abnormality": abnormality, "present": present}
    if f.number is not None:
        if 0 <= f.number <= 1:
            entry["clone_fraction"] = f.number
        else:
            s.problem(f.table, f.row_id, f"clone fraction {f.number} is not in [0, 1]: not read")
    method = _METHOD.search(f.source_value or "")
    if method is not None:
        entry["method"] = method.group(1)
    s.lists["cytogenetics"].append(entry)


def _observation(s: _State, f: _Fact, what: str) -> None:
    if what == "ecog":
        if f.number is None or not f.number.is_integer() or not 0 <= f.number <= 4:
            s.problem(f.table, f.row_id, f"ECOG value {f.number} is not 0-4: skipped")
            return
        s.lists["performance_status"].append({"date": f.when, "ecog": int(f.number)})
    elif what == "cytogenetics":
        named = s.concepts.kind_value(f.value_concept)
        abnormality = named[1] if named is not None and named[0] == "abnormality" else None
        texts = [f.string, f.value_source, f.source_value]
        abnormality = abnormality or next((a for t in texts if t and (a := abnormality_from_text(t))), None)
        if abnormality is None:
            s.problem(
                f.table, f.row_id, "cytogenetic finding not recognised as a myeloma abnormality: skipped"
            )
            return
        _abnormality(s, f, abnormality)
    elif what == "disease_status":
        named = s.concepts.kind_value(f.value_concept)
        if named is not None and named[0] == "progression":
            s.lists["events"].append({"date": f.when, "type": "progression"})
        elif named is not None and named[0] == "response" and named[1] in _RESPONSES:
            s.lists["events"].append({"date": f.when, "type": "response_assessment", "response": named[1]})
        elif f.value_concept is None and f.string is None:
            s.lists["events"].append({"date": f.when, "type": "response_assessment"})
        else:
            s.problem(
                f.table,
                f.row_id,
                f"disease status {s.concepts.describe(f.value_concept)} is not read: skipped",
            )
    elif what in _BODY_UNITS:
        code = s.concepts.unit(f.unit_concept) or f.unit_source
        factor = _BODY_UNITS[what].get(code or "")
        if f.number is None or factor is None:
            s.problem(f.table, f.row_id, f"{what} {f.number} in unit {code!r}: skipped")
            return
        s.body[what].append((f.when or dt.date.min, f.row_id or 0, f.number * factor))
    elif what == "age":
        if f.number is None or not f.number.is_integer():
            s.problem(f.table, f.row_id, f"age {f.number} is not whole years: skipped")
            return
        s.age = int(f.number)
    elif what in ("heavy_chain", "light_chain"):
        allowed = _HEAVY if what == "heavy_chain" else _LIGHT
        if f.string not in allowed:
            s.problem(f.table, f.row_id, f"{what} {f.string!r} is not one of {sorted(allowed)}: skipped")
            return
        s.diagnosis[what] = f.string
    else:
        s.problem(f.table, f.row_id, f"{what} observations are not read: skipped")


def _diagnosis_fact(s: _State, f: _Fact, value: str) -> None:
    if value not in _FLAGS:
        s.problem(f.table, f.row_id, f"diagnosis {value} in {f.table} is not read (a condition is): skipped")
        return
    present = _result(s, f)
    s.diagnosis[value] = present is not False  # 'absent' = False; a bare observation of it = present


def _progression(s: _State, f: _Fact, value: str) -> None:
    s.lists["events"].append({"date": f.when, "type": "progression"})


def _symptom(s: _State, f: _Fact, symptom: str) -> None:
    if f.number is None or not f.number.is_integer() or not 0 <= f.number <= 4:
        s.problem(f.table, f.row_id, f"{symptom} severity {f.number} is not 0-4: skipped")
        return
    entry: Json = {"date": f.when, "symptom": symptom, "severity": int(f.number)}
    if f.qualifier in ("patient", "clinician"):
        entry["reported_by"] = f.qualifier
    s.lists["symptoms"].append(entry)


def _location(s: _State, f: _Fact, name: str) -> None:
    if name in ("postal_code", "country") and f.string is not None:
        s.location[name] = f.string
    elif name in ("latitude", "longitude") and f.number is not None:
        s.location[name] = f.number
    else:
        s.problem(f.table, f.row_id, f"location {name} without a value: skipped")


def _preference(s: _State, f: _Fact, name: str) -> None:
    if name == "max_travel_km":
        if f.number is None or f.number <= 0:
            s.problem(f.table, f.row_id, f"max_travel_km {f.number} is not above 0: skipped")
            return
        s.preferences[name] = f.number
        return
    answer = _result(s, f)
    if answer is None:
        s.problem(f.table, f.row_id, f"preference {name} without a yes/no value: skipped")
        return
    s.preferences[name] = answer


def _record_flag(s: _State, f: _Fact, name: str) -> None:
    if name == "as_of_not_stated":
        s.as_of_stated = False


def _attribution(s: _State, f: _Fact, name: str) -> None:
    s.attributions.append(f)


def _attribute(s: _State) -> None:
    """Suspected drugs of the adverse events, in row order."""
    for f in s.attributions:
        event = s.adverse_events.get(f.event_id) if f.event_field == CONDITION_OCCURRENCE_ID_FIELD else None
        if event is None:
            s.problem(
                f.table,
                f.row_id,
                f"attribution to condition_occurrence {f.event_id}, not a read adverse event",
            )
            continue
        named = s.concepts.kind_value(f.value_concept)
        drug = named[1] if named is not None and named[0] == "drug" else None
        if drug is None and f.string is not None:
            try:
                drug = drug_vocabulary().resolve(f.string)
            except UnknownDrugError:
                drug = None
        if drug is None:
            s.problem(
                f.table, f.row_id, f"suspected drug {s.concepts.describe(f.value_concept)} not known: skipped"
            )
            continue
        event.setdefault("attributed_to", []).append(drug)


_HANDLERS = {
    "lab": _lab,
    "finding": _finding,
    "abnormality": _abnormality,
    "observation": _observation,
    "diagnosis": _diagnosis_fact,
    "progression": _progression,
    "symptom": _symptom,
    "location": _location,
    "preference": _preference,
    "record": _record_flag,
    "attribution": _attribution,
}


def _procedure(s: _State, row: Mapping[str, Any]) -> None:
    table, row_id = "procedure_occurrence", row.get("procedure_occurrence_id")
    concept = _int(row.get("procedure_concept_id"))
    found = s.concepts.kind_value(concept)
    if found is None or found[0] != "transplant":
        source = s.concepts.kind_value(_int(row.get("procedure_source_concept_id")))
        found = source if source is not None and source[0] == "transplant" else found
    if found is None or found[0] != "transplant":
        reason = "unknown concept" if concept not in s.concepts else "not a stem-cell transplant"
        s.problem(table, row_id, f"{reason}: {s.concepts.describe(concept)}: skipped")
        return
    when = _date(row.get("procedure_date"))
    if when is None:
        s.problem(table, row_id, "no procedure_date: skipped")
        return
    s.lists["transplants"].append({"date": when, "type": found[1]})


def _therapy(s: _State, course: Mapping[str, Any], index: int) -> None:
    if course.get("episode_id") is not None:
        table, row_id = "episode", course.get("episode_id")
    elif course.get("drug_exposure_id") is not None:
        table, row_id = "drug_exposure", course.get("drug_exposure_id")
    else:
        table, row_id = "course", index
    concept = _int(course.get("drug_concept_id"))
    found = s.concepts.kind_value(concept)
    if found is None or found[0] != "drug":
        reason = "unknown concept" if concept not in s.concepts else "not a drug of rrmm's vocabulary"
        s.problem(table, row_id, f"{reason}: {s.concepts.describe(concept)}: skipped")
        return
    start, end = _date(course.get("start_date")), _date(course.get("end_date"))
    if start is None:
        s.problem(table, row_id, "no start date: skipped")
        return
    if end is not None and end < start:
        s.problem(table, row_id, f"ends ({end}) before it starts ({start}): skipped")
        return
    entry: Json = {"drug": found[1], "start": start}
    if end is not None:
        entry["end"] = end
    setting = _str(course.get("setting"))
    if setting is not None:
        if setting in _SETTINGS:
            entry["setting"] = setting
        else:
            s.problem(table, row_id, f"setting {setting!r} is not one of rrmm's: not read")
    stop = _str(course.get("stop_reason"))
    if stop is not None:
        if stop in _STOP_REASONS:
            entry["stop_reason"] = stop
        else:
            s.problem(table, row_id, f"stop reason {stop!r} is not one of rrmm's: not read")
    dose = _num(course.get("quantity"))
    if dose is not None:
        if dose > 0:
            entry["dose"] = dose
            unit = _str(course.get("dose_unit_source_value"))
            if unit is not None:
                entry["dose_unit"] = unit
        else:
            s.problem(table, row_id, f"quantity {dose} is not a dose above 0: not read")
    s.lists["therapies"].append(entry)


__all__ = ["Concepts", "PatientRead", "courses_from_episodes", "courses_from_exposures", "read_patient"]
