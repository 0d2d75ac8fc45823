"""Finding in a record the facts that staging, risk and kidney function are computed from.

These are reading conventions of rrmm, not clinical figures; each is stated here once and used by
:mod:`rrmm.clinical.staging`, :mod:`rrmm.clinical.risk` and :mod:`rrmm.clinical.kidney`.

- **At diagnosis.** The staging systems (ISS, R-ISS, R2-ISS) were built on values measured in newly
  diagnosed, untreated patients. A value "at diagnosis" is therefore the one nearest the diagnosis date
  within :data:`DIAGNOSIS_WINDOW_DAYS` before or after it, and never later than the start of the first
  therapy (values drawn on the day therapy starts are taken to be pre-dose). A value drawn after treatment
  began describes the treated disease, not the disease at diagnosis, so it is not used; the stage is then
  unknown rather than computed from it.
- **Cytogenetics.** A test of an abnormality with ``present=False`` counts as absent; an abnormality with no
  test in the period considered is unknown. When the period holds both a positive and a negative test of the
  same abnormality, the positive one decides: a FISH probe can miss a clone (too few plasma cells in the
  sample) but does not report one that is not there.
- **1q+** is gain(1q) (3 copies) or amp(1q) (4 or more copies), as in the R2-ISS and the IMS/IMWG 2025
  consensus. Both are read from the same 1q21 FISH probe, so a negative test of either, with no positive
  test of the other, is read as 1q+ absent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from rrmm.record import Cytogenetics, Lab, Record
from rrmm.terminology import drug_vocabulary

#: Days before or after the diagnosis date within which a value counts as "at diagnosis" (rrmm convention:
#: the diagnostic work-up -- marrow, FISH, beta-2 microglobulin, albumin, LDH -- is usually complete within
#: weeks of the diagnosis date; 90 days allows for a diagnosis date entered late without reaching into the
#: time of treatment, which :func:`diagnosis_window` excludes in any case).
DIAGNOSIS_WINDOW_DAYS = 90

#: The lab tests' canonical units (``../shared/contracts/patient-record.schema.json``), for reasons.
UNITS = {
    "beta2_microglobulin": "mg/L",
    "albumin": "g/dL",
    "ldh": "U/L",
    "creatinine": "mg/dL",
}

#: How the lab tests are named in reasons.
TEST_NAMES = {
    "beta2_microglobulin": "beta-2 microglobulin",
    "albumin": "albumin",
    "ldh": "LDH",
    "creatinine": "creatinine",
}


@dataclass(frozen=True)
class Window:
    """A closed period of dates; ``start > end`` when nothing can fall in it."""

    start: dt.date
    end: dt.date
    description: str

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    @property
    def empty(self) -> bool:
        return self.start > self.end


def number(value: float) -> str:
    """A value as a person writes it: ``6.1``, ``80``, ``62.5`` (at most four significant figures)."""
    return f"{value:.4g}"


def first_therapy_start(record: Record) -> dt.date | None:
    """The earliest start of anti-myeloma therapy in the record, or ``None`` when there is none.

    Supportive drugs (bone agents) do not count: they do not treat the clone that staging describes.
    """
    vocab = drug_vocabulary()
    return min((t.start for t in record.therapies if vocab[t.drug].is_anti_myeloma), default=None)


def diagnosis_window(record: Record) -> Window:
    """The dates whose values count as "at diagnosis" (see the module docstring)."""
    diagnosis = record.diagnosis.date
    span = dt.timedelta(days=DIAGNOSIS_WINDOW_DAYS)
    start, end = diagnosis - span, diagnosis + span
    description = (
        f"{DIAGNOSIS_WINDOW_DAYS} days either side of diagnosis on {diagnosis.isoformat()}"
        f" ({start.isoformat()} to {end.isoformat()})"
    )
    first = first_therapy_start(record)
    if first is not None and first < end:
        end = first
        description = (
            f"{start.isoformat()} to {end.isoformat()}: from {DIAGNOSIS_WINDOW_DAYS} days before "
            f"diagnosis on {diagnosis.isoformat()} to the start of the first therapy"
        )
    return Window(start, end, description)


def nearest_lab(record: Record, test: str, window: Window, target: dt.date) -> Lab | None:
    """The result of ``test`` in ``window`` nearest ``target``; on a tie, the earlier one."""
    found = [lab for lab in record.labs if lab.test == test and lab.date in window]
    return min(found, key=lambda lab: (abs((lab.date - target).days), lab.date), default=None)


def latest_lab(record: Record, test: str, at: dt.date) -> Lab | None:
    """The latest result of ``test`` on or before ``at``."""
    found = [lab for lab in record.labs if lab.test == test and lab.date <= at]
    return max(found, key=lambda lab: lab.date, default=None)


def describe_lab(lab: Lab) -> str:
    """``beta-2 microglobulin 6.1 mg/L on 2019-03-01``."""
    name = TEST_NAMES.get(lab.test, lab.test)
    return f"{name} {number(lab.value)} {UNITS.get(lab.test, lab.unit)} on {lab.date.isoformat()}"


def cytogenetic_result(
    record: Record,
    abnormality: str,
    at: dt.date | None = None,
    *,
    since: dt.date | None = None,
    nearest: dt.date | None = None,
) -> Cytogenetics | None:
    """The test that decides the status of ``abnormality`` between ``since`` and ``at`` (both inclusive).

    A positive test outweighs a negative one (module docstring). Among tests of the same result the one
    nearest ``nearest`` is taken when given, else the latest; among positive tests, preferably one that
    reports the clone fraction. ``None`` when the abnormality was not tested in the period.
    """
    tests = [
        c
        for c in record.cytogenetics
        if c.abnormality == abnormality
        and (at is None or c.date <= at)
        and (since is None or c.date >= since)
    ]
    if not tests:
        return None
    positive = [c for c in tests if c.present]
    pool = positive or tests
    if positive and any(c.clone_fraction is not None for c in positive):
        pool = [c for c in positive if c.clone_fraction is not None]
    if nearest is not None:
        target = nearest
        return min(pool, key=lambda c: (abs((c.date - target).days), c.date))
    return max(pool, key=lambda c: c.date)


def abnormality_status(
    record: Record,
    abnormality: str,
    at: dt.date | None = None,
    *,
    since: dt.date | None = None,
) -> bool | None:
    """Whether ``abnormality`` was found between ``since`` and ``at``: ``None`` when it was not tested.

    Parameters
    ----------
    record
        A validated patient record.
    abnormality
        One of the record's cytogenetic abnormalities, e.g. ``"del(17p)"``.
    at, since
        The period considered, both ends inclusive; open-ended where ``None``.

    Returns
    -------
    bool or None
        ``True`` if any test in the period found it, ``False`` if every test there was negative,
        ``None`` if there was none.
    """
    result = cytogenetic_result(record, abnormality, at, since=since)
    return None if result is None else result.present


def clone_fraction(
    record: Record,
    abnormality: str,
    at: dt.date | None = None,
    *,
    since: dt.date | None = None,
) -> float | None:
    """Fraction of plasma cells (0..1) carrying ``abnormality`` in the deciding positive test, if reported."""
    result = cytogenetic_result(record, abnormality, at, since=since)
    if result is None or not result.present:
        return None
    return result.clone_fraction


def describe_cytogenetics(result: Cytogenetics) -> str:
    """``del(17p) in 62% of plasma cells on 2019-03-01 (FISH)``, ``t(4;14) present on 2019-03-01`` (no clone
    fraction recorded) or ``t(4;14) absent on 2019-03-01``."""
    method = f" ({result.method})" if result.method else ""
    when = result.date.isoformat()
    if not result.present:
        return f"{result.abnormality} absent on {when}{method}"
    if result.clone_fraction is None:
        return f"{result.abnormality} present on {when}{method}"
    return f"{result.abnormality} in {number(result.clone_fraction * 100)}% of plasma cells on {when}{method}"


GAIN_1Q = ("gain(1q)", "amp(1q)")


def one_q_gain_status(
    record: Record, at: dt.date | None = None, *, since: dt.date | None = None
) -> tuple[bool | None, tuple[str, ...]]:
    """1q+ (gain or amplification of 1q) between ``since`` and ``at``, with the tests that decided it."""
    results = [cytogenetic_result(record, name, at, since=since) for name in GAIN_1Q]
    found = [r for r in results if r is not None]
    status = any_true(r.present for r in found) if found else None
    deciding = [r for r in found if r.present] if status else found
    return status, tuple(describe_cytogenetics(r) for r in deciding)


def any_true(values: Iterable[bool | None]) -> bool | None:
    """Three-valued OR: ``True`` if any is true, ``False`` if all are false, else ``None``."""
    seen = list(values)
    if any(v is True for v in seen):
        return True
    if seen and all(v is False for v in seen):
        return False
    return None


def all_true(values: Iterable[bool | None]) -> bool | None:
    """Three-valued AND: ``False`` if any is false, ``True`` if all are true, else ``None``."""
    seen = list(values)
    if any(v is False for v in seen):
        return False
    if seen and all(v is True for v in seen):
        return True
    return None
