"""Criterion-by-criterion matching of a patient against trials, with a verdict and a ranking.

Each criterion is ``met``, ``not_met`` or ``unknown`` with the fact of the record it used; a trial is
``excluded`` when any criterion is not met, ``uncertain`` when any is unknown, ``eligible`` otherwise.
Trials are ranked by hard exclusions, then unknowns, recruiting status, phase, and distance from the
patient's location to the nearest recruiting site (:func:`haversine_km`), with ``preferences.max_travel_km``
respected (a trial whose nearest open site is farther ranks after every trial within reach). Each match's
``score`` is the share of its criteria known to be met.

Reading conventions (each a named constant):
- a laboratory result counts for eligibility when it is at most :data:`LAB_RECENCY_DAYS` old;
- measurable disease is judged on the latest serum, urine and FLC results within the baseline window
  before ``as_of`` (IMWG 2016 thresholds, :func:`rrmm.clinical.response.measurable_disease`);
- Karnofsky thresholds are compared through the ECOG-to-Karnofsky ranges of :data:`KARNOFSKY_FOR_ECOG`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from rrmm.clinical.response import baseline
from rrmm.clinical.risk import abnormality_status
from rrmm.planning.facts import PatientFacts
from rrmm.trials.constraints import Constraint, Criterion
from rrmm.trials.criteria import parse_criteria
from rrmm.trials.study import Study

#: Eligibility labs older than this are not used (a trial usually asks for results within 14-28 days of
#: enrolment; older ones are reported as stale, so the match stays honest about what it knows).
LAB_RECENCY_DAYS = 60

#: Karnofsky score ranges equivalent to each ECOG grade: 100 (0), 80-90 (1), 60-70 (2), 40-50 (3), 10-30 (4).
#: Ma C, Bandukwala S, Burman D, et al. Interconversion of three measures of performance status: an empirical
#: analysis. Eur J Cancer 2010;46(18):3175-83. DOI 10.1016/j.ejca.2010.06.126.
KARNOFSKY_FOR_ECOG: dict[int, tuple[int, int]] = {
    0: (100, 100),
    1: (80, 90),
    2: (60, 70),
    3: (40, 50),
    4: (10, 30),
}

#: Mean radius of the Earth in km (IUGG mean radius R1 = 6371.0088 km; Moritz H, Geodetic Reference System
#: 1980, J Geod 2000;74:128-33, DOI 10.1007/s001900050278).
EARTH_RADIUS_KM = 6371.0088

STATUS_ORDER = {
    "RECRUITING": 0,
    "NOT_YET_RECRUITING": 1,
    "ENROLLING_BY_INVITATION": 2,
    "ACTIVE_NOT_RECRUITING": 3,
}
OPEN_SITE_STATUSES = frozenset({"RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION"})


@dataclass(frozen=True)
class CriterionResult:
    text: str
    section: str
    kind: str
    status: str  # met, not_met, unknown
    reason: str


@dataclass(frozen=True)
class NearestSite:
    facility: str | None
    city: str | None
    country: str | None
    distance_km: float
    within_travel: bool | None


@dataclass(frozen=True)
class TrialMatch:
    nct_id: str
    title: str
    status: str
    phase: str
    verdict: str  # eligible, excluded, uncertain
    score: float
    criteria: tuple[CriterionResult, ...]
    nearest_site: NearestSite | None

    @property
    def not_met(self) -> int:
        return sum(c.status == "not_met" for c in self.criteria)

    @property
    def unknown(self) -> int:
        return sum(c.status == "unknown" for c in self.criteria)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees (haversine formula).

    >>> round(haversine_km(51.5074, -0.1278, 48.8566, 2.3522))  # London to Paris
    344
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _bounds(value: float, c: Constraint) -> bool:
    return (c.min is None or value >= c.min) and (c.max is None or value <= c.max)


def _bounds_text(c: Constraint) -> str:
    parts = [f">= {c.min:g}" if c.min is not None else "", f"<= {c.max:g}" if c.max is not None else ""]
    return " and ".join(p for p in parts if p)


def _lab_holds(c: Constraint, facts: PatientFacts) -> tuple[bool | None, str]:
    test = c.test or ""
    state = facts.state
    if test in ("crcl", "egfr"):
        judged = state.kidney.crcl_ml_min if test == "crcl" else state.kidney.egfr
        if judged.value is None:
            return None, f"{test} unknown: " + "; ".join(judged.reasons)
        return _bounds(
            judged.value, c
        ), f"{'CrCl' if test == 'crcl' else 'eGFR'} {judged.value:g} ({_bounds_text(c)})"
    names = ("alt", "ast") if test == "transaminases" else (test,)
    verdicts: list[bool] = []
    facts_used: list[str] = []
    for name in names:
        latest = facts.latest_lab(name)
        if latest is None:
            return None, f"no {name.upper() if len(name) == 3 else name} result"
        value, uln, day = latest
        age = (facts.as_of - day).days
        if age > LAB_RECENCY_DAYS:
            return None, f"latest {name} {value:g} is from {day}, more than {LAB_RECENCY_DAYS} days old"
        if c.uln_multiple:
            if uln is None:
                return None, f"{name} {value:g} on {day}: upper limit of normal not recorded"
            verdicts.append(_bounds(value / uln, c))
            facts_used.append(f"{name} {value:g} = {value / uln:.2g} x ULN on {day}")
        else:
            verdicts.append(_bounds(value, c))
            facts_used.append(f"{name} {value:g} on {day}")
    return all(verdicts), "; ".join(
        facts_used
    ) + f" (criterion {_bounds_text(c)}{' x ULN' if c.uln_multiple else ''})"


def _performance(c: Constraint, facts: PatientFacts) -> tuple[bool | None, str]:
    ecog = facts.state.ecog.value
    if ecog is None:
        return None, "no ECOG performance status recorded"
    if c.scale == "ecog":
        return _bounds(ecog, c), f"ECOG {ecog} (criterion {_bounds_text(c)})"
    low, high = KARNOFSKY_FOR_ECOG[ecog]
    if _bounds(low, c) and _bounds(high, c):
        return True, f"ECOG {ecog} ~ Karnofsky {low}-{high} (criterion {_bounds_text(c)})"
    if not _bounds(low, c) and not _bounds(high, c):
        return False, f"ECOG {ecog} ~ Karnofsky {low}-{high} (criterion {_bounds_text(c)})"
    return None, f"ECOG {ecog} ~ Karnofsky {low}-{high}: straddles the criterion {_bounds_text(c)}"


def _therapy(c: Constraint, facts: PatientFacts, refractory: bool) -> tuple[bool | None, str]:
    r = facts.state.refractoriness
    word = "refractory to" if refractory else "exposed to"
    if c.target == "triple-class":
        have = r.triple_class_refractory if refractory else r.triple_class_exposed
        return have, f"triple-class {'refractory' if refractory else 'exposed'}: {'yes' if have else 'no'}"
    table = facts.refractory() if refractory else facts.exposed()
    drugs = sorted(table.get(c.target or "", ()))
    return bool(drugs), f"{word} {c.target}: {', '.join(drugs)}" if drugs else f"not {word} {c.target}"


_FEATURES = {
    "plasma_cell_leukemia": "plasma_cell_leukemia",
    "amyloidosis": "al_amyloidosis",
    "cns_involvement": "cns_involvement",
}
_INFECTIONS = {
    "hbv": "hepatitis_b",
    "hcv": "hepatitis_c",
    "hiv": "hiv",
    "active_infection": "active_infection",
}


def condition_holds(c: Constraint, facts: PatientFacts) -> tuple[bool | None, str]:
    """Whether the condition a constraint describes holds for the patient (before section and negation)."""
    state, record = facts.state, facts.record
    k = c.kind
    if k == "age":
        if state.age is None:
            return None, "age unknown"
        return _bounds(state.age, c), f"age {state.age} ({_bounds_text(c)})"
    if k == "performance_status":
        return _performance(c, facts)
    if k == "prior_lines":
        n = state.lines_of_therapy
        return _bounds(n, c), f"{n} prior line{'s' if n != 1 else ''} ({_bounds_text(c)})"
    if k in ("prior_therapy", "refractory"):
        return _therapy(c, facts, refractory=k == "refractory")
    if k == "measurable_disease":
        now = baseline(facts.measures, state.as_of)
        if now.serum is None and now.urine is None and now.involved_flc is None:
            return None, "no recent M-protein or free light chain result"
        measurable = bool(now.measurable)
        return (
            measurable,
            f"measurable disease: {', '.join(now.measurable) or 'none'} (results up to {now.date})",
        )
    if k == "lab":
        return _lab_holds(c, facts)
    if k == "transplant":
        done = [t.date for t in record.transplants if t.type == c.target]
        if not done:
            return False, f"no {c.target} transplant recorded"
        last = max(done)
        if c.within_days is None:
            return True, f"{c.target} transplant on {last}"
        days = (state.as_of - last).days
        return (
            days <= c.within_days,
            f"{c.target} transplant {days} days ago (criterion within {c.within_days})",
        )
    if k == "cytogenetics":
        present = abnormality_status(record, c.target or "", state.as_of)
        if present is None:
            return None, f"{c.target} not tested"
        return present, f"{c.target} {'present' if present else 'absent'}"
    if k == "disease_feature":
        flag = getattr(record.diagnosis, _FEATURES[c.target or ""])
        if flag is None:
            return None, f"{(c.target or '').replace('_', ' ')} not recorded"
        return bool(flag), f"{(c.target or '').replace('_', ' ')}: {'yes' if flag else 'no'}"
    if k == "infection":
        listed = facts.comorbidity_grade(_INFECTIONS[c.target or ""]) is not None
        return (
            listed,
            f"{_INFECTIONS[c.target or ''].replace('_', ' ')} {'listed' if listed else 'not listed'}",
        )
    if k == "prior_malignancy":
        listed = facts.comorbidity_grade("prior_malignancy") is not None
        return listed, f"prior malignancy {'listed' if listed else 'not listed'}"
    if k == "neuropathy":
        neuropathy, why = facts.neuropathy_grade()
        return neuropathy >= (c.min or 1), f"{why} (criterion grade >= {c.min or 1:g})"
    if k == "heart_failure":
        if facts.comorbidity_grade("heart_failure") is None:
            return False, "heart failure not listed"
        if c.min is None:
            return True, "heart failure listed"
        return (
            None,
            f"heart failure listed; its NYHA class is not in the record (criterion NYHA >= {c.min:g})",
        )
    return None, "not structured: needs a human read"


def criterion_status(criterion: Criterion, facts: PatientFacts) -> CriterionResult:
    """``met`` when the patient satisfies what the criterion asks in its section, ``not_met`` when not."""
    c = criterion.constraint
    holds, reason = condition_holds(c, facts)
    if holds is None:
        status = "unknown"
    else:
        condition = holds != c.negated
        wanted = criterion.section == "inclusion"
        status = "met" if condition == wanted else "not_met"
    return CriterionResult(criterion.text, criterion.section, c.kind, status, reason)


@cache
def parsed_criteria(text: str) -> tuple[Criterion, ...]:
    """Criteria of one eligibility text, parsed once per process however many patients are matched."""
    return tuple(parse_criteria(text))


def _study_criteria(study: Study) -> list[Criterion]:
    """The parsed criteria plus the registry's structured age limits."""
    criteria = list(parsed_criteria(study.eligibility_criteria or ""))
    if study.minimum_age_years is not None or study.maximum_age_years is not None:
        criteria.append(
            Criterion(
                text=f"Age {study.minimum_age_years or 0:g} to {study.maximum_age_years or 'no limit'} years "
                "(registry age limits)",
                section="inclusion",
                constraint=Constraint(kind="age", min=study.minimum_age_years, max=study.maximum_age_years),
            )
        )
    return criteria


def nearest_site(study: Study, facts: PatientFacts) -> NearestSite | None:
    """The nearest open site with coordinates, when the record gives the patient's position."""
    loc = facts.record.location
    if loc is None or loc.latitude is None or loc.longitude is None:
        return None
    best: NearestSite | None = None
    for site in study.locations:
        if site.latitude is None or site.longitude is None:
            continue
        status = (site.status or study.status or "").upper()
        if status not in OPEN_SITE_STATUSES:
            continue
        d = haversine_km(loc.latitude, loc.longitude, site.latitude, site.longitude)
        if best is None or d < best.distance_km:
            limit = facts.record.preferences.max_travel_km if facts.record.preferences else None
            best = NearestSite(
                site.facility, site.city, site.country, round(d, 1), None if limit is None else d <= limit
            )
    return best


def _phase_rank(phases: Sequence[str]) -> int:
    digits = [int(ch) for p in phases for ch in p if ch.isdigit()]
    return max(digits, default=0)


def match_study(study: Study, facts: PatientFacts, criteria: Sequence[Criterion] | None = None) -> TrialMatch:
    """Match one study: every criterion with its status and reason, the verdict, the nearest site.

    ``criteria`` replaces the study's parsed criteria (for a reviewer's corrected reading, or a test).
    """
    chosen = _study_criteria(study) if criteria is None else list(criteria)
    results = tuple(criterion_status(c, facts) for c in chosen)
    site = nearest_site(study, facts)
    not_met = sum(r.status == "not_met" for r in results)
    unknown = sum(r.status == "unknown" for r in results)
    verdict = "excluded" if not_met else ("uncertain" if unknown else "eligible")
    # The score is the share of criteria known to be met (0-100), a fit a reader can interpret; the order of
    # the matches is set by :func:`match_studies` (exclusions, unknowns, status, phase, distance).
    met = sum(r.status == "met" for r in results)
    score = 100.0 * met / len(results) if results else 0.0
    return TrialMatch(
        nct_id=study.nct_id,
        title=study.title,
        status=study.status,
        phase="/".join(study.phases) or "not given",
        verdict=verdict,
        score=round(score, 1),
        criteria=results,
        nearest_site=site,
    )


def match_studies(studies: Iterable[Study], facts: PatientFacts) -> list[TrialMatch]:
    """Match every study and rank: fewest exclusions, within travel, fewest unknowns, recruiting, later phase,
    nearest."""
    studies_list = list(studies)
    matches = [match_study(s, facts) for s in studies_list]

    phases = {s.nct_id: _phase_rank(s.phases) for s in studies_list}

    def key(m: TrialMatch) -> tuple[int, int, int, int, int, float, str]:
        distance = m.nearest_site.distance_km if m.nearest_site else math.inf
        beyond = 1 if m.nearest_site is not None and m.nearest_site.within_travel is False else 0
        return (
            m.not_met,
            beyond,
            m.unknown,
            STATUS_ORDER.get(m.status, 4),
            -phases[m.nct_id],
            distance,
            m.nct_id,
        )

    return sorted(matches, key=key)
