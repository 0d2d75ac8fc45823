"""Response and progression by the IMWG 2016 criteria.

Kumar S, Paiva B, Anderson KC, et al. International Myeloma Working Group consensus criteria for response
and minimal residual disease assessment in multiple myeloma. Lancet Oncol 2016;17(8):e328-e346.
DOI 10.1016/S1470-2045(16)30206-6. The numeric rules below are the ones of its Table 3 (standard response
criteria) and of the measurable-disease definition; each function names the row it implements.

How the record is read, where the criteria leave a choice to the reader:

- Serum and urine M-protein, involved-minus-uninvolved free light chains (dFLC) and marrow plasma cells are
  the measures. The involved chain is ``diagnosis.light_chain`` when given, else the higher FLC at baseline.
- An assessment is a date with a serum, urine or FLC result (or marrow); a measure not drawn that day is
  taken from the latest result within :data:`LAB_CARRY_DAYS` before it.
- Every response category and progression needs two consecutive assessments ("confirmed"); a category is
  confirmed at the first of the two, and the lower of the two categories is the one confirmed. Marrow and
  imaging findings need no confirmation (IMWG 2016, Table 3 footnotes).
- Complete response needs no M-protein measured by electrophoresis that day, a negative serum and urine
  immunofixation within :data:`CR_EVIDENCE_DAYS` of the assessment, and marrow plasma cells below 5% in the
  latest marrow up to :data:`CR_EVIDENCE_DAYS` after it (marrow needs no confirmation, so one marrow serves
  both assessments that confirm a CR); stringent CR in addition a normal FLC ratio and a negative marrow MRD
  test, which stands in for "absence of clonal cells" (the record holds no immunohistochemistry).
  Without that evidence the response is graded on M-protein alone (VGPR at most): never a guess upwards.
- A urine M-protein that was measurable at baseline but not measured again does not block a serum-based
  response; it is used whenever a result exists.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from rrmm.record import Record

Measure = Literal["serum", "urine", "flc", "marrow"]

#: Response categories from worst to best (IMWG 2016), used to compare and confirm categories.
RESPONSE_ORDER: tuple[str, ...] = ("PD", "SD", "MR", "PR", "VGPR", "CR", "sCR")

# Measurable disease (IMWG 2016, "Measurable disease"): serum M-protein >= 1 g/dL, urine M-protein
# >= 200 mg/24 h, or involved FLC >= 10 mg/dL (100 mg/L) with an abnormal kappa/lambda ratio.
MEASURABLE_SERUM_G_DL = 1.0
MEASURABLE_URINE_MG_24H = 200.0
MEASURABLE_INVOLVED_FLC_MG_L = 100.0

# Normal serum FLC kappa/lambda ratio 0.26-1.65 (Katzmann JA et al., Clin Chem 2002;48(9):1437-44,
# DOI 10.1093/clinchem/48.9.1437), the range IMWG 2016 uses for sCR and FLC-only CR.
FLC_RATIO_NORMAL = (0.26, 1.65)

# Progressive disease (IMWG 2016, Table 3): an increase of 25% from the lowest value, with absolute minimums.
PD_RELATIVE_RISE = 0.25
PD_SERUM_MIN_RISE_G_DL = 0.5
PD_SERUM_HIGH_NADIR_G_DL = 5.0  # "serum M-protein increase >= 1 g/dL if the lowest M component was >= 5 g/dL"
PD_SERUM_HIGH_NADIR_RISE_G_DL = 1.0
PD_URINE_MIN_RISE_MG_24H = 200.0
PD_DFLC_MIN_RISE_MG_L = 100.0  # "> 10 mg/dL", FLC-only disease
PD_MARROW_MIN_RISE_POINTS = 10.0  # no measurable serum, urine or FLC disease

# Reading conventions of this module (not IMWG figures; see the module docstring).
#: A baseline result may be drawn up to this many days before a line starts ...
BASELINE_LOOKBACK_DAYS = 60
#: ... or up to this many days after (labs of cycle 1 day 1 are often dated a few days late).
BASELINE_LOOKAHEAD_DAYS = 7
#: A measure missing on an assessment date is taken from the latest result this many days before.
LAB_CARRY_DAYS = 14
#: Immunofixation and marrow results count for a CR assessment this many days before or after it.
CR_EVIDENCE_DAYS = 60
#: Marrow plasma cells below this percentage for CR (IMWG 2016, "<5% plasma cells in bone marrow").
CR_MARROW_PC_BELOW = 5.0


def rank(category: str | None) -> int:
    """Position of a response category in :data:`RESPONSE_ORDER` (-1 for ``None``)."""
    return -1 if category is None else RESPONSE_ORDER.index(category)


def best_of(categories: Iterable[str | None]) -> str | None:
    """The best of some response categories; ``None`` when there is none."""
    found = [c for c in categories if c is not None]
    return max(found, key=rank) if found else None


def worst_of(categories: Iterable[str | None]) -> str | None:
    found = [c for c in categories if c is not None]
    return min(found, key=rank) if found else None


@dataclass(frozen=True)
class Point:
    date: dt.date
    value: float


@dataclass(frozen=True)
class DiseaseMeasures:
    """The record's response measures as time series, in canonical units."""

    serum: tuple[Point, ...]  # g/dL
    urine: tuple[Point, ...]  # mg/24 h
    dflc: tuple[Point, ...]  # involved minus uninvolved FLC, mg/L
    involved_flc: tuple[Point, ...]  # mg/L
    flc_ratio: tuple[Point, ...]  # kappa / lambda
    marrow: tuple[Point, ...]  # % plasma cells
    ife_serum: tuple[tuple[dt.date, bool], ...]  # True = positive
    ife_urine: tuple[tuple[dt.date, bool], ...]
    mrd_negative: tuple[dt.date, ...]
    new_lesions: tuple[dt.date, ...]  # new bone lesion, plasmacytoma growth or a new plasmacytoma


def _series(record: Record, test: str) -> tuple[Point, ...]:
    points: dict[dt.date, float] = {}
    for lab in record.labs:
        if lab.test == test:
            points[lab.date] = lab.value  # the later entry of a duplicated date wins
    return tuple(Point(d, v) for d, v in sorted(points.items()))


def involved_chain(record: Record) -> Literal["kappa", "lambda"] | None:
    """The involved light chain: ``diagnosis.light_chain``, else the higher FLC at the first FLC draw."""
    if record.diagnosis.light_chain in ("kappa", "lambda"):
        return record.diagnosis.light_chain
    kappa = {p.date: p.value for p in _series(record, "flc_kappa")}
    lam = {p.date: p.value for p in _series(record, "flc_lambda")}
    both = sorted(set(kappa) & set(lam))
    if not both:
        return None
    first = both[0]
    if kappa[first] == lam[first]:
        return None
    return "kappa" if kappa[first] > lam[first] else "lambda"


def disease_measures(record: Record) -> DiseaseMeasures:
    """Collect the response measures of a record (IMWG 2016 measures of disease)."""
    kappa = {p.date: p.value for p in _series(record, "flc_kappa")}
    lam = {p.date: p.value for p in _series(record, "flc_lambda")}
    chain = involved_chain(record)
    dflc: list[Point] = []
    involved: list[Point] = []
    ratio: list[Point] = []
    for day in sorted(set(kappa) & set(lam)):
        k, lm = kappa[day], lam[day]
        if lm > 0:
            ratio.append(Point(day, k / lm))
        if chain is not None:
            inv, uninv = (k, lm) if chain == "kappa" else (lm, k)
            involved.append(Point(day, inv))
            dflc.append(Point(day, max(inv - uninv, 0.0)))
    ife_serum, ife_urine, mrd_negative, lesions = [], [], [], []
    seen_plasmacytoma_negative = False
    for f in sorted(record.findings, key=lambda f: f.date):
        positive = f.result == "positive"
        if f.test == "ife_serum":
            ife_serum.append((f.date, positive))
        elif f.test == "ife_urine":
            ife_urine.append((f.date, positive))
        elif f.test == "mrd_bone_marrow" and not positive:
            mrd_negative.append(f.date)
        elif f.test in ("new_bone_lesion", "plasmacytoma_growth") and positive:
            lesions.append(f.date)
        elif f.test == "soft_tissue_plasmacytoma":
            if positive and seen_plasmacytoma_negative:
                lesions.append(f.date)  # a plasmacytoma that appeared after one was absent
            seen_plasmacytoma_negative = seen_plasmacytoma_negative or not positive
    return DiseaseMeasures(
        serum=_series(record, "m_protein_serum"),
        urine=_series(record, "m_protein_urine_24h"),
        dflc=tuple(dflc),
        involved_flc=tuple(involved),
        flc_ratio=tuple(ratio),
        marrow=_series(record, "bm_plasma_cells"),
        ife_serum=tuple(ife_serum),
        ife_urine=tuple(ife_urine),
        mrd_negative=tuple(mrd_negative),
        new_lesions=tuple(lesions),
    )


def recorded_progressions(record: Record) -> tuple[dt.date, ...]:
    """Dates of clinician-recorded progression: a ``progression`` event or an assessment of PD.

    The record schema: "A recorded progression counts as progression even where labs are missing."
    """
    dates = {
        e.date
        for e in record.events
        if e.type == "progression" or (e.type == "response_assessment" and e.response == "PD")
    }
    return tuple(sorted(dates))


def recorded_responses(record: Record) -> tuple[tuple[dt.date, str], ...]:
    """Clinician-recorded response assessments other than PD, as (date, category)."""
    return tuple(
        sorted(
            (e.date, e.response)
            for e in record.events
            if e.type == "response_assessment" and e.response is not None and e.response != "PD"
        )
    )


def _latest_on_or_before(series: Sequence[Point], day: dt.date) -> int:
    """Index of the latest point dated ``day`` or earlier in a date-sorted series (-1 if none)."""
    return bisect.bisect_right(series, day, key=lambda p: p.date) - 1


def _value_on_or_before(series: Sequence[Point], day: dt.date, lookback: int) -> float | None:
    i = _latest_on_or_before(series, day)
    if i >= 0 and (day - series[i].date).days <= lookback:
        return series[i].value
    return None


def _baseline_value(series: Sequence[Point], start: dt.date) -> Point | None:
    """The latest result in the baseline window of a line starting at ``start``."""
    i = _latest_on_or_before(series, start)
    if i >= 0 and (start - series[i].date).days <= BASELINE_LOOKBACK_DAYS:
        return series[i]
    if i + 1 < len(series) and (series[i + 1].date - start).days <= BASELINE_LOOKAHEAD_DAYS:
        return series[i + 1]
    return None


@dataclass(frozen=True)
class Baseline:
    """Values at the start of a line, and which measures are measurable there (IMWG 2016)."""

    date: dt.date
    serum: float | None
    urine: float | None
    dflc: float | None
    involved_flc: float | None
    flc_ratio: float | None
    marrow: float | None
    measurable: tuple[Measure, ...]


def flc_ratio_abnormal(ratio: float | None) -> bool | None:
    """Kappa/lambda outside 0.26-1.65 (Katzmann 2002); ``None`` when not measured."""
    if ratio is None:
        return None
    low, high = FLC_RATIO_NORMAL
    return not (low <= ratio <= high)


def measurable_disease(
    serum_g_dl: float | None,
    urine_mg_24h: float | None,
    involved_flc_mg_l: float | None,
    flc_ratio: float | None,
) -> tuple[Measure, ...]:
    """The measures in which disease is measurable (IMWG 2016, "Measurable disease").

    Serum M-protein >= 1 g/dL; urine M-protein >= 200 mg/24 h; serum FLC assay: involved FLC level
    >= 10 mg/dL (100 mg/L) provided the FLC ratio is abnormal. FLC counts as the measure of response only
    when neither serum nor urine is measurable.

    >>> measurable_disease(1.0, None, None, None)
    ('serum',)
    >>> measurable_disease(0.4, 150, 250, 12.0)
    ('flc',)
    """
    found: list[Measure] = []
    if serum_g_dl is not None and serum_g_dl >= MEASURABLE_SERUM_G_DL:
        found.append("serum")
    if urine_mg_24h is not None and urine_mg_24h >= MEASURABLE_URINE_MG_24H:
        found.append("urine")
    if (
        not found
        and involved_flc_mg_l is not None
        and involved_flc_mg_l >= MEASURABLE_INVOLVED_FLC_MG_L
        and flc_ratio_abnormal(flc_ratio)
    ):
        found.append("flc")
    return tuple(found)


def baseline(measures: DiseaseMeasures, start: dt.date) -> Baseline:
    """Baseline of a line starting at ``start`` (see :data:`BASELINE_LOOKBACK_DAYS`)."""
    picked = {
        name: _baseline_value(getattr(measures, name), start)
        for name in ("serum", "urine", "dflc", "involved_flc", "flc_ratio", "marrow")
    }
    values = {name: (p.value if p else None) for name, p in picked.items()}
    dates = [p.date for p in picked.values() if p is not None]
    measurable = measurable_disease(
        values["serum"], values["urine"], values["involved_flc"], values["flc_ratio"]
    )
    return Baseline(
        date=max(dates) if dates else start,
        serum=values["serum"],
        urine=values["urine"],
        dflc=values["dflc"],
        involved_flc=values["involved_flc"],
        flc_ratio=values["flc_ratio"],
        marrow=values["marrow"],
        measurable=measurable,
    )


def _reduction(base: float | None, now: float | None) -> float | None:
    if base is None or now is None or base <= 0:
        return None
    return (base - now) / base


def _latest_within(items: Sequence[tuple[dt.date, bool]], day: dt.date, days: int) -> bool | None:
    near = [(abs((d - day).days), d, v) for d, v in items if abs((d - day).days) <= days]
    if not near:
        return None
    near.sort(key=lambda t: (t[0], -t[1].toordinal()))
    return near[0][2]


@dataclass(frozen=True)
class Snapshot:
    """The measures on one assessment date."""

    date: dt.date
    serum: float | None
    urine: float | None
    dflc: float | None
    flc_ratio: float | None
    marrow: float | None
    ife_serum_positive: bool | None
    ife_urine_positive: bool | None
    mrd_negative: bool


def snapshot(measures: DiseaseMeasures, day: dt.date) -> Snapshot:
    """What is known on ``day``: lab results of that day or carried from :data:`LAB_CARRY_DAYS` before;
    immunofixation within :data:`CR_EVIDENCE_DAYS`; the latest marrow up to :data:`CR_EVIDENCE_DAYS` after."""
    horizon = day + dt.timedelta(days=CR_EVIDENCE_DAYS)
    marrow_known = [p for p in measures.marrow if p.date <= horizon]
    return Snapshot(
        date=day,
        serum=_value_on_or_before(measures.serum, day, LAB_CARRY_DAYS),
        urine=_value_on_or_before(measures.urine, day, LAB_CARRY_DAYS),
        dflc=_value_on_or_before(measures.dflc, day, LAB_CARRY_DAYS),
        flc_ratio=_value_on_or_before(measures.flc_ratio, day, LAB_CARRY_DAYS),
        marrow=marrow_known[-1].value if marrow_known else None,
        ife_serum_positive=_latest_within(measures.ife_serum, day, CR_EVIDENCE_DAYS),
        ife_urine_positive=_latest_within(measures.ife_urine, day, CR_EVIDENCE_DAYS),
        mrd_negative=any(abs((d - day).days) <= CR_EVIDENCE_DAYS for d in measures.mrd_negative),
    )


def response_category(base: Baseline, now: Snapshot) -> str | None:
    """Response at one assessment against the line's baseline (IMWG 2016, Table 3), PD excluded.

    Returns ``None`` when the assessment cannot be graded (no measurable disease at baseline, or the
    measure that carries the response was not drawn).

    - sCR: CR plus a normal FLC ratio and no clonal plasma cells in the marrow (read as MRD-negative).
    - CR: no M-protein on electrophoresis, negative serum and urine immunofixation and < 5% marrow plasma
      cells (FLC-only disease: also a normal FLC ratio).
    - VGPR: M-protein detectable by immunofixation but not by electrophoresis, or >= 90% reduction in serum
      M-protein plus urine M-protein < 100 mg/24 h; FLC-only disease: >= 90% decrease in dFLC.
    - PR: >= 50% reduction in serum M-protein and reduction in urine M-protein by >= 90% or to < 200 mg/24 h;
      FLC-only disease: >= 50% decrease in dFLC; none measurable: >= 50% fewer marrow plasma cells when
      the baseline was >= 30%.
    - MR: 25-49% reduction in serum M-protein and 50-89% reduction in urine M-protein.
    - SD: none of these.

    >>> b = Baseline(dt.date(2020, 1, 1), 3.0, None, None, None, None, None, ("serum",))
    >>> response_category(b, Snapshot(dt.date(2020, 3, 1), 1.4, None, None, None, None, None, None, False))
    'PR'
    """
    serum_measurable = "serum" in base.measurable
    urine_measurable = "urine" in base.measurable
    flc_only = base.measurable == ("flc",)

    if serum_measurable and now.serum is None:
        return None
    if not serum_measurable and urine_measurable and now.urine is None:
        return None
    if flc_only and now.dflc is None:
        return None

    no_m_spike = (now.serum is None or now.serum == 0) and (now.urine is None or now.urine == 0)
    complete = (
        no_m_spike
        and now.ife_serum_positive is False
        and now.ife_urine_positive is False
        and now.marrow is not None
        and now.marrow < CR_MARROW_PC_BELOW
        and (not flc_only or flc_ratio_abnormal(now.flc_ratio) is False)
    )
    if complete:
        if flc_ratio_abnormal(now.flc_ratio) is False and now.mrd_negative:
            return "sCR"
        return "CR"

    if serum_measurable or urine_measurable:
        serum_red = _reduction(base.serum, now.serum) if serum_measurable else None
        urine_red = _reduction(base.urine, now.urine) if urine_measurable and now.urine is not None else None
        urine_now = now.urine

        only_on_ife = (
            (not serum_measurable or now.serum == 0)
            and (urine_now is None or urine_now == 0)
            and (now.ife_serum_positive is True or now.ife_urine_positive is True)
        )
        serum_vgpr = serum_red is not None and serum_red >= 0.90
        urine_vgpr = urine_now is None or urine_now < 100.0
        if (
            only_on_ife
            or (serum_vgpr and urine_vgpr)
            or (not serum_measurable and urine_now is not None and urine_now < 100.0)
        ):
            return "VGPR"

        urine_pr = urine_red is None or urine_red >= 0.90 or (urine_now is not None and urine_now < 200.0)
        if serum_measurable:
            if serum_red is not None and serum_red >= 0.50 and urine_pr:
                return "PR"
            urine_mr = urine_red is None or urine_red >= 0.50
            if serum_red is not None and serum_red >= 0.25 and urine_mr:
                return "MR"
            return "SD"
        # urine is the only measurable measure
        if urine_red is not None and (urine_red >= 0.90 or (urine_now is not None and urine_now < 200.0)):
            return "PR"
        if urine_red is not None and urine_red >= 0.50:
            return "MR"
        return "SD"

    if flc_only:
        dflc_red = _reduction(base.dflc, now.dflc)
        if dflc_red is None:
            return None
        if dflc_red >= 0.90:
            return "VGPR"
        if dflc_red >= 0.50:
            return "PR"
        return "SD"

    if base.marrow is not None and base.marrow >= 30.0 and now.marrow is not None:
        marrow_red = _reduction(base.marrow, now.marrow)
        if marrow_red is not None and marrow_red >= 0.50:
            return "PR"
        return "SD"
    return None


def serum_progression(nadir: float, value: float) -> bool:
    """Serum M-protein progression (IMWG 2016, Table 3, PD).

    An increase of 25% from the lowest value with an absolute increase of >= 0.5 g/dL; when the lowest
    value was >= 5 g/dL, an increase of >= 1 g/dL suffices. (The criteria list the 1 g/dL rule as its own
    bullet; since 25% of 5 g/dL already exceeds 1 g/dL, it is read as sufficient on its own.)

    >>> serum_progression(0.2, 0.7), serum_progression(0.2, 0.69)
    (True, False)
    >>> serum_progression(5.0, 6.0), serum_progression(5.0, 5.9)
    (True, False)
    """
    rise = value - nadir
    if nadir >= PD_SERUM_HIGH_NADIR_G_DL and rise >= PD_SERUM_HIGH_NADIR_RISE_G_DL - 1e-9:
        return True
    return rise >= PD_RELATIVE_RISE * nadir - 1e-9 and rise >= PD_SERUM_MIN_RISE_G_DL - 1e-9


def urine_progression(nadir: float, value: float) -> bool:
    """Urine M-protein: +25% from the lowest value and an absolute increase >= 200 mg/24 h (IMWG 2016)."""
    rise = value - nadir
    return rise >= PD_RELATIVE_RISE * nadir - 1e-9 and rise >= PD_URINE_MIN_RISE_MG_24H - 1e-9


def dflc_progression(nadir: float, value: float) -> bool:
    """dFLC, in disease not measurable in serum or urine: +25% and an absolute increase > 10 mg/dL."""
    rise = value - nadir
    return rise >= PD_RELATIVE_RISE * nadir - 1e-9 and rise > PD_DFLC_MIN_RISE_MG_L


def marrow_progression(nadir: float, value: float) -> bool:
    """Marrow plasma cells, in disease measurable by none of serum, urine, FLC: >= 10 points (IMWG 2016)."""
    return value - nadir >= PD_MARROW_MIN_RISE_POINTS - 1e-9


def confirmed_rise(
    series: Sequence[Point],
    start: dt.date,
    stop: dt.date,
    rule: Callable[[float, float], bool],
    confirm: bool = True,
) -> dt.date | None:
    """Date of the first confirmed progression of one measure between ``start`` and ``stop``.

    The lowest value counts from the baseline (the latest result on or before ``start``, within
    :data:`BASELINE_LOOKBACK_DAYS`). A rise is confirmed when the next result of the same measure also meets
    the rule against the same lowest value; progression is dated at the first of the two (IMWG 2016:
    "two consecutive assessments"). ``confirm=False`` is for marrow, which needs no confirmation.
    """
    window = [p for p in series if start < p.date <= stop]
    base = [p for p in series if 0 <= (start - p.date).days <= BASELINE_LOOKBACK_DAYS]
    nadir = base[-1].value if base else None
    for i, point in enumerate(window):
        if nadir is not None and rule(nadir, point.value):
            if not confirm:
                return point.date
            if i + 1 < len(window) and rule(nadir, window[i + 1].value):
                return point.date
        nadir = point.value if nadir is None else min(nadir, point.value)
    return None


@dataclass(frozen=True)
class Progression:
    """A progression with the measure that showed it (``event`` for a clinician-recorded one)."""

    date: dt.date
    measure: str
    detail: str


def first_progression(
    measures: DiseaseMeasures,
    recorded: Sequence[dt.date],
    start: dt.date,
    stop: dt.date,
) -> Progression | None:
    """The first progression after ``start`` up to and including ``stop`` (IMWG 2016, PD).

    Serum and urine M-protein always count; dFLC only when neither serum nor urine is measurable at the
    baseline; marrow plasma cells only when no measure is; new bone lesions or plasmacytomas always; a
    clinician-recorded progression always.
    """
    base = baseline(measures, start)
    found: list[Progression] = []
    for day in recorded:
        if start < day <= stop:
            found.append(Progression(day, "event", "progression recorded by the clinician"))
            break
    checks: list[tuple[str, Sequence[Point], Callable[[float, float], bool], bool, str]] = [
        ("serum", measures.serum, serum_progression, True, "serum M-protein"),
        ("urine", measures.urine, urine_progression, True, "urine M-protein"),
    ]
    if "serum" not in base.measurable and "urine" not in base.measurable:
        checks.append(("flc", measures.dflc, dflc_progression, True, "involved minus uninvolved FLC"))
        if not base.measurable:
            checks.append(("marrow", measures.marrow, marrow_progression, False, "marrow plasma cells"))
    for name, series, rule, confirm, label in checks:
        when = confirmed_rise(series, start, stop, rule, confirm)
        if when is not None:
            found.append(Progression(when, name, f"confirmed rise in {label}"))
    for day in measures.new_lesions:
        if start < day <= stop:
            found.append(Progression(day, "imaging", "new bone lesion or plasmacytoma"))
            break
    return min(found, key=lambda p: p.date) if found else None


def assessment_dates(measures: DiseaseMeasures, start: dt.date, stop: dt.date) -> list[dt.date]:
    """Dates after ``start`` up to ``stop`` with a serum, urine, FLC or marrow result."""
    days = {
        p.date
        for series in (measures.serum, measures.urine, measures.dflc, measures.marrow)
        for p in series
        if start < p.date <= stop
    }
    return sorted(days)


@dataclass(frozen=True)
class ResponseCourse:
    """Graded assessments of one line: each date's category and the confirmed best response."""

    baseline: Baseline
    categories: tuple[tuple[dt.date, str | None], ...]
    confirmed: tuple[tuple[dt.date, str], ...]  # (date of the first of the two assessments, category)

    @property
    def best_confirmed(self) -> str | None:
        return best_of(c for _, c in self.confirmed)

    @property
    def latest_confirmed(self) -> tuple[dt.date, str] | None:
        return self.confirmed[-1] if self.confirmed else None


def response_course(
    measures: DiseaseMeasures,
    start: dt.date,
    stop: dt.date,
) -> ResponseCourse:
    """Grade every assessment of a line (start excluded, ``stop`` included) and confirm them.

    A category is confirmed by the next graded assessment (IMWG 2016: two consecutive assessments); the
    confirmed category is the lower of the two. The best confirmed category is the line's best response.
    """
    base = baseline(measures, start)
    graded = [
        (day, response_category(base, snapshot(measures, day)))
        for day in assessment_dates(measures, start, stop)
        if day > base.date
    ]
    usable = [(d, c) for d, c in graded if c is not None]
    confirmed = []
    for (day, first), (_, second) in itertools.pairwise(usable):
        category = worst_of([first, second])
        if category is not None:
            confirmed.append((day, category))
    return ResponseCourse(baseline=base, categories=tuple(graded), confirmed=tuple(confirmed))
