"""Lines of therapy, per the IMWG consensus made concrete with real-world treatment-episode rules.

Definition (Rajkumar SV, Harousseau JL, Durie B, et al. Consensus recommendations for the uniform reporting
of clinical trials: report of the International Myeloma Workshop Consensus Panel 1. Blood 2011;117(18):
4691-4695. DOI 10.1182/blood-2010-10-299487): "a line of therapy is defined as one or more cycles of a
planned treatment program", single agents or combinations, "as well as a sequence of treatments
administered in a planned manner" (induction, transplant, consolidation and maintenance are one line). A
new line starts when the planned course is modified to include other agents because of progression, relapse
or toxicity, or when a planned period off therapy is interrupted by the need for more treatment. Dose
changes are not a new line.

Electronic records carry drug courses, not lines; the rules that turn one into the other are those of the
OHDSI treatment-episode work summarised in ``../shared/reference/rrmm-evidence.md``, each a named parameter
below:

1. Drugs started within :data:`REGIMEN_WINDOW_DAYS` of a regimen's start belong to it. A drug added later
   starts a new regimen; so does a restart after a pause of more than :data:`REGIMEN_GAP_DAYS`.
2. Corticosteroids never make a regimen or a line on their own; they join the regimen they are given with.
3. Induction, transplant (with its melphalan conditioning), consolidation and maintenance are one line: a
   regimen labelled consolidation or maintenance joins the line before it, and so does a single-agent
   bortezomib, lenalidomide, thalidomide or ixazomib (:data:`MAINTENANCE_DRUGS`) started within
   :data:`MAINTENANCE_WINDOW_DAYS` after a multi-drug regimen or a transplant; a transplant joins the line
   it follows, so two transplants within :data:`TANDEM_TRANSPLANT_DAYS` are one line.
4. Bridging therapy and the CAR T-cell infusion after it (with lymphodepletion) are one line.
5. None of these joins happens across a progression: therapy after progression is always a new line.

A line's ``end`` is its last dose, or the start of the next line where a drug runs on into it (that drug is
then part of both lines, as when daratumumab is added to ongoing lenalidomide and dexamethasone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from rrmm.clinical.response import (
    RESPONSE_ORDER,
    DiseaseMeasures,
    Progression,
    best_of,
    disease_measures,
    first_progression,
    recorded_progressions,
    recorded_responses,
    response_course,
)
from rrmm.record import Record, Therapy
from rrmm.terminology import drug_vocabulary

#: Drugs started within this many days of a regimen's first drug are part of that regimen (OHDSI rule).
REGIMEN_WINDOW_DAYS = 30
#: A drug restarted within this many days of its last dose continues its regimen (OHDSI rule).
REGIMEN_GAP_DAYS = 90
#: A single maintenance drug started within this many days after a multi-drug regimen or a transplant
#: continues that line (OHDSI rule).
MAINTENANCE_WINDOW_DAYS = 180
#: Single agents that the maintenance rule recognises (OHDSI rule).
MAINTENANCE_DRUGS = frozenset({"bortezomib", "lenalidomide", "thalidomide", "ixazomib"})
#: Two transplants within this many days are one line (tandem transplant; OHDSI rule).
TANDEM_TRANSPLANT_DAYS = 180
#: Melphalan started this many days or fewer before a transplant, or fludarabine or cyclophosphamide before
#: a CAR T-cell infusion, is conditioning even when its ``setting`` is not recorded.
CONDITIONING_DAYS = 14
#: A drug stopped more than this many days before the next line is no longer part of it (see module doc).
CARRY_OVER_DAYS = REGIMEN_WINDOW_DAYS
#: IMWG: refractory when progressing on therapy or within 60 days of the last dose.
REFRACTORY_WINDOW_DAYS = 60

_LYMPHODEPLETION = frozenset({"fludarabine", "cyclophosphamide"})


@dataclass(frozen=True)
class Course:
    """One therapy entry of the record, classified for line building."""

    index: int  # position in ``record.therapies``
    drug: str
    start: dt.date
    end: dt.date | None
    setting: str | None
    stop_reason: str | None
    role: str  # "main", "steroid", "conditioning", "lymphodepletion", "car-t"

    def running_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or self.end >= day)


@dataclass
class _Regimen:
    start: dt.date
    courses: list[Course] = field(default_factory=list)
    transplants: list[dt.date] = field(default_factory=list)

    @property
    def main_drugs(self) -> set[str]:
        return {c.drug for c in self.courses if c.role in ("main", "car-t")}

    @property
    def is_car_t(self) -> bool:
        return any(c.role == "car-t" for c in self.courses)

    @property
    def last_end(self) -> dt.date | None:
        """Latest end among its courses and transplants; ``None`` while a course is ongoing."""
        if any(c.end is None for c in self.courses):
            return None
        ends = [c.end for c in self.courses if c.end is not None] + self.transplants
        return max(ends) if ends else self.start


@dataclass(frozen=True)
class Line:
    """One line of therapy with what happened on it."""

    number: int
    start: dt.date
    end: dt.date | None
    drugs: tuple[str, ...]
    courses: tuple[Course, ...]
    includes_transplant: bool
    transplant_dates: tuple[dt.date, ...]
    includes_car_t: bool
    best_response: str | None
    latest_response: tuple[dt.date, str] | None  # latest confirmed or recorded response before progression
    ended_by: str | None
    progression: Progression | None
    refractory_drugs: tuple[str, ...]
    refractory_reasons: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def ongoing(self) -> bool:
        return self.end is None


def classify_courses(record: Record) -> list[Course]:
    """The record's anti-myeloma courses, each given its role in line building.

    Supportive drugs (bone agents) are left out. Melphalan before a transplant and fludarabine or
    cyclophosphamide before a CAR T-cell infusion are conditioning (:data:`CONDITIONING_DAYS`).
    """
    vocab = drug_vocabulary()
    transplants = [t.date for t in record.transplants]
    car_t_days = [t.start for t in record.therapies if vocab[t.drug].is_cell_therapy]
    courses = []
    for i, t in enumerate(record.therapies):
        drug = vocab[t.drug]
        if not drug.is_anti_myeloma:
            continue
        courses.append(
            Course(i, t.drug, t.start, t.end, t.setting, t.stop_reason, _role(t, transplants, car_t_days))
        )
    return sorted(courses, key=lambda c: (c.start, c.drug, c.index))


def _role(t: Therapy, transplants: Sequence[dt.date], car_t_days: Sequence[dt.date]) -> str:
    drug = drug_vocabulary()[t.drug]
    if drug.is_cell_therapy:
        return "car-t"
    if drug.is_corticosteroid:
        return "steroid"

    def shortly_before(days: Sequence[dt.date]) -> bool:
        return any(0 <= (d - t.start).days <= CONDITIONING_DAYS for d in days)

    if t.drug in _LYMPHODEPLETION and shortly_before(car_t_days) and (t.setting in (None, "conditioning")):
        return "lymphodepletion"
    if t.setting == "conditioning" or (t.drug == "melphalan" and shortly_before(transplants)):
        return "conditioning"
    return "main"


def _progressions_from_stops(courses: Sequence[Course]) -> tuple[dt.date, ...]:
    """A course stopped for progression records a progression at its last dose."""
    return tuple(sorted({c.end for c in courses if c.stop_reason == "progression" and c.end is not None}))


def _build_regimens(courses: Sequence[Course], recorded: Sequence[dt.date]) -> list[_Regimen]:
    """Rule 1: group main courses into regimens (window, restart gap, recorded progression)."""
    regimens: list[_Regimen] = []
    for c in courses:
        if c.role not in ("main", "car-t"):
            continue
        cur = regimens[-1] if regimens else None
        if cur is None or c.role == "car-t" or cur.is_car_t:
            regimens.append(_Regimen(c.start, [c]))
            continue
        progressed = any(cur.start < p <= c.start for p in recorded)
        in_window = (c.start - cur.start).days <= REGIMEN_WINDOW_DAYS
        same = [x for x in cur.courses if x.drug == c.drug]
        continues = bool(same) and any(
            x.end is None or (c.start - x.end).days <= REGIMEN_GAP_DAYS for x in same
        )
        if not progressed and (in_window or continues):
            cur.courses.append(c)
        else:
            regimens.append(_Regimen(c.start, [c]))
    return regimens


def _attach_supporting(regimens: list[_Regimen], courses: Sequence[Course], record: Record) -> list[str]:
    """Rule 2 and conditioning: steroids, conditioning and transplants join a regimen. Returns notes."""
    notes: list[str] = []
    for c in courses:
        if c.role == "steroid":
            host = _steroid_host(regimens, c)
            if host is None:
                notes.append(f"{c.drug} from {c.start} given without other myeloma therapy: not a line")
            else:
                host.courses.append(c)
        elif c.role == "lymphodepletion":
            infusions = [
                r for r in regimens if r.is_car_t and 0 <= (r.start - c.start).days <= CONDITIONING_DAYS
            ]
            (infusions[0] if infusions else _nearest_before(regimens, c.start, c)).courses.append(c)
    for t in sorted(record.transplants, key=lambda t: t.date):
        conditioning = [
            c
            for c in courses
            if c.role == "conditioning" and 0 <= (t.date - c.start).days <= CONDITIONING_DAYS
        ]
        regimens.append(
            _Regimen(min([t.date, *(c.start for c in conditioning)]), list(conditioning), [t.date])
        )
    regimens.sort(key=lambda r: (r.start, 0 if r.transplants else 1))
    placed = {c.index for r in regimens for c in r.courses}
    for c in courses:
        if c.role == "conditioning" and c.index not in placed:
            # conditioning with no transplant or infusion recorded (yet): part of the line it follows
            _nearest_before(regimens, c.start, c).courses.append(c)
            notes.append(f"{c.drug} conditioning on {c.start} with no transplant or CAR-T infusion recorded")
    return notes


def _steroid_host(regimens: Sequence[_Regimen], steroid: Course) -> _Regimen | None:
    candidates = [r for r in regimens if r.start <= steroid.start + dt.timedelta(days=REGIMEN_WINDOW_DAYS)]
    for r in reversed(candidates):
        end = r.last_end
        if end is None or steroid.start <= end + dt.timedelta(days=REGIMEN_GAP_DAYS):
            return r
    return None


def _nearest_before(regimens: list[_Regimen], day: dt.date, course: Course) -> _Regimen:
    before = [r for r in regimens if r.start <= day]
    if before:
        return before[-1]
    regimen = _Regimen(course.start, [])
    regimens.insert(0, regimen)
    return regimen


@dataclass(frozen=True)
class _Join:
    reason: str
    across_progression: bool = False  # bridging and CAR-T stay one line even when bridging fails


def _joins(line: list[_Regimen], nxt: _Regimen) -> _Join | None:
    """Rules 3 and 4: why ``nxt`` continues the planned line, or ``None`` when it starts a new one."""
    main = [c for c in nxt.courses if c.role in ("main", "car-t")]
    if nxt.transplants and not main:
        return _Join("transplant after induction: same line")
    if main and all(c.setting in ("consolidation", "maintenance") for c in main):
        return _Join(f"{'/'.join(sorted({c.setting or '' for c in main}))} after induction: same line")
    if nxt.is_car_t and any(c.setting == "bridging" for r in line for c in r.courses):
        return _Join("CAR T-cell infusion after bridging therapy: same line", across_progression=True)
    drugs = nxt.main_drugs
    if len(drugs) == 1 and drugs <= MAINTENANCE_DRUGS and not nxt.is_car_t:
        prior_multi = [r for r in line if len(r.main_drugs) >= 2 or r.transplants]
        ends = [r.last_end for r in prior_multi]
        if prior_multi and all(e is not None for e in ends):
            last = max(e for e in ends if e is not None)
            if 0 <= (nxt.start - last).days <= MAINTENANCE_WINDOW_DAYS:
                drug = next(iter(drugs))
                return _Join(f"single-agent {drug} within {MAINTENANCE_WINDOW_DAYS} days: maintenance")
    return None


def _group_lines(
    regimens: Sequence[_Regimen], measures: DiseaseMeasures, recorded: Sequence[dt.date]
) -> list[tuple[list[_Regimen], list[str]]]:
    """Rules 3-5: merge regimens into lines unless a progression lies between them."""
    lines: list[tuple[list[_Regimen], list[str]]] = []
    for r in regimens:
        if lines:
            group, notes = lines[-1]
            join = _joins(group, r)
            if join is not None and (
                join.across_progression
                or first_progression(measures, recorded, group[0].start, r.start) is None
            ):
                group.append(r)
                notes.append(join.reason)
                continue
        lines.append(([r], []))
    return lines


def lines_of_therapy(
    record: Record, as_of: dt.date | None = None, measures: DiseaseMeasures | None = None
) -> tuple[Line, ...]:
    """The record's lines of therapy, in order, each with its response, end and refractory drugs.

    Implements the IMWG definition of a line (Rajkumar et al., Blood 2011) with the episode rules of this
    module; refractoriness per line follows :func:`refractory_in_line`. ``measures`` may be passed when the
    caller has already collected them with :func:`disease_measures`.
    """
    as_of = as_of or record.evaluation_date
    courses = classify_courses(record)
    measures = measures or disease_measures(record)
    recorded = tuple(sorted(set(recorded_progressions(record)) | set(_progressions_from_stops(courses))))
    regimens = _build_regimens(courses, recorded)
    notes = _attach_supporting(regimens, courses, record)
    grouped = _group_lines(regimens, measures, recorded)
    responses = recorded_responses(record)
    starts = [group[0].start for group, _ in grouped]
    lines: list[Line] = []
    for number, (group, why) in enumerate(grouped, start=1):
        start = starts[number - 1]
        nxt = starts[number] if number < len(starts) else None
        own = [c for r in group for c in r.courses]
        carried = _carried_into(lines, start)
        line_courses = tuple(sorted({*own, *carried}, key=lambda c: (c.start, c.drug, c.index)))
        transplants = tuple(sorted(d for r in group for d in r.transplants))
        stop = nxt if nxt is not None else as_of
        lines.append(
            _evaluate_line(
                number,
                start,
                nxt,
                stop,
                line_courses,
                transplants,
                measures,
                recorded,
                responses,
                tuple(why) + (tuple(notes) if number == 1 else ()),
            )
        )
    return tuple(lines)


def _carried_into(previous: Sequence[Line], start: dt.date) -> list[Course]:
    """Courses of earlier lines still running :data:`CARRY_OVER_DAYS` after ``start``."""
    horizon = start + dt.timedelta(days=CARRY_OVER_DAYS)
    return [
        c
        for line in previous[-1:]
        for c in line.courses
        if c.role in ("main", "steroid") and c.start < start and (c.end is None or c.end > horizon)
    ]


def _evaluate_line(
    number: int,
    start: dt.date,
    next_start: dt.date | None,
    stop: dt.date,
    courses: tuple[Course, ...],
    transplants: tuple[dt.date, ...],
    measures: DiseaseMeasures,
    recorded: Sequence[dt.date],
    recorded_responses: Sequence[tuple[dt.date, str]],
    notes: tuple[str, ...],
) -> Line:
    ends = [c.end for c in courses]
    last_dose = None if any(e is None for e in ends) else max([*(e for e in ends if e), *transplants, start])
    end = last_dose
    if next_start is not None and (end is None or end > next_start):
        end = next_start
    progression = first_progression(measures, recorded, start, stop)
    response_stop = progression.date - dt.timedelta(days=1) if progression else stop
    course = response_course(measures, start, response_stop)
    assessed = [(d, r) for d, r in recorded_responses if start < d <= response_stop]
    best = best_of([course.best_confirmed, *(r for _, r in assessed)])
    dated = [*course.confirmed, *assessed]
    latest = max(dated, key=lambda dr: dr[0]) if dated else None
    on_therapy = progression is not None and (
        last_dose is None or progression.date <= last_dose + dt.timedelta(days=REFRACTORY_WINDOW_DAYS)
    )
    ended_by = _ended_by(courses, last_dose, on_therapy)
    refractory, reasons = refractory_in_line(courses, progression, best)
    return Line(
        number=number,
        start=start,
        end=end,
        drugs=tuple(sorted({c.drug for c in courses if c.role != "lymphodepletion"})),
        courses=courses,
        includes_transplant=bool(transplants),
        transplant_dates=transplants,
        includes_car_t=any(c.role == "car-t" for c in courses),
        best_response=best,
        latest_response=latest,
        ended_by=ended_by,
        progression=progression,
        refractory_drugs=refractory,
        refractory_reasons=reasons,
        notes=notes,
    )


def _ended_by(
    courses: Sequence[Course], last_dose: dt.date | None, progressed_on_therapy: bool
) -> str | None:
    if progressed_on_therapy:
        return "progression"
    if last_dose is None:
        return None
    main = [c for c in courses if c.role in ("main", "car-t", "conditioning") and c.end is not None]
    if not main:
        return None
    latest = max(c.end for c in main if c.end is not None)
    reasons = {c.stop_reason for c in main if c.end == latest and c.stop_reason}
    for reason in ("progression", "toxicity", "patient_choice", "other", "completed"):
        if reason in reasons:
            return reason
    return None


def refractory_in_line(
    courses: Sequence[Course], progression: Progression | None, best_response: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Drugs the disease was refractory to on this line, with the reason for each (IMWG).

    Refractory disease is "disease that is nonresponsive while on primary or salvage therapy, or progresses
    within 60 days of last therapy"; nonresponsive is "failing to achieve minimal response or developing
    progressive disease while on therapy" (Rajkumar et al., Blood 2011; Kumar et al., Lancet Oncol 2016).
    Per drug: progression while on the drug or within :data:`REFRACTORY_WINDOW_DAYS` days of its last dose,
    or a best response on the line below MR. Corticosteroids and CAR-T lymphodepletion are not counted.
    """
    refractory: dict[str, str] = {}
    for c in courses:
        if c.role in ("steroid", "lymphodepletion"):
            continue
        if progression is not None and c.start <= progression.date:
            if c.end is None or progression.date <= c.end:
                refractory.setdefault(c.drug, f"{c.drug}: progressed on therapy ({progression.date})")
            elif (progression.date - c.end).days <= REFRACTORY_WINDOW_DAYS:
                days = (progression.date - c.end).days
                refractory.setdefault(
                    c.drug, f"{c.drug}: progressed {days} days after the last dose ({progression.date})"
                )
    if best_response is not None and RESPONSE_ORDER.index(best_response) < RESPONSE_ORDER.index("MR"):
        for c in courses:
            if c.role in ("main", "car-t"):
                refractory.setdefault(c.drug, f"{c.drug}: best response {best_response}, less than MR")
    drugs = tuple(sorted(refractory))
    return drugs, tuple(refractory[d] for d in drugs)
