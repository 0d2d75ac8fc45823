"""Performance status and eligibility for high-dose melphalan with autologous stem cell transplant (ASCT).

Eligibility for ASCT is a clinical judgement of biological, not only chronological, age; the numbers below
are guideline defaults that flag a patient for the hematologist, who may override them. The answer is
``True`` only when nothing recorded speaks against transplant and the facts it needs are known.

Sources, and how far each was confirmed (2026-11, rrmm's reference search; the guideline texts themselves
could not be opened beyond their first pages):

- Age: ESMO Clinical Practice Guidelines 2017 (Moreau P, San Miguel J, Sonneveld P, et al. Multiple myeloma:
  ESMO Clinical Practice Guidelines for diagnosis, treatment and follow-up. Ann Oncol 2017;28(suppl 4):
  iv52-iv61. DOI 10.1093/annonc/mdx096): ASCT "for patients aged <65 (or fit older patients up to 70 years)".
  Confirmed only as quoted in a review (Blood Cancer J 2022, DOI 10.1038/s41408-022-00645-1). The
  EHA-ESMO 2021 guideline (Dimopoulos MA, et al. Ann Oncol 2021, DOI 10.1016/j.annonc.2020.11.014) was
  found, but its wording on age could not be read.
- Performance status: ECOG 3-4 as a bar to ASCT unless caused by myeloma bone disease is said to be the
  Mayo Clinic (mSMART) practice (Gonsalves WI, et al. Bone Marrow Transplant 2019;54(3):353-367,
  DOI 10.1038/s41409-018-0264-8). NOT confirmed: the statement's eligibility section could not be read.
  Until it is, ECOG 3-4 leaves eligibility open (``None``) with a reason asking for a fitness assessment,
  rather than deciding on an unchecked threshold.
- Kidney: renal impairment, dialysis included, is not an absolute bar. CIBMTR analysis of 1,492 patients
  (Bone Marrow Transplant 2017;52(12):1616-1622, DOI 10.1038/bmt.2017.198), abstract: 35 patients on
  dialysis before ASCT, 34 became dialysis-independent; "AHCT is safe and effective in patients with MM with
  RI". Confirmed in the abstract.
- Heart failure: a recorded heart failure leaves eligibility open for cardiac assessment; no guideline
  threshold (NYHA class, ejection fraction) is applied, because none could be confirmed and the record holds
  neither.
"""

from __future__ import annotations

import datetime as dt

from rrmm.clinical.evidence import number
from rrmm.clinical.types import Assessment
from rrmm.record import Record

__all__ = [
    "ECOG_TRANSPLANT_BAR",
    "TRANSPLANT_AGE_FIT_ONLY_FROM",
    "TRANSPLANT_AGE_LIMIT",
    "current_ecog",
    "transplant_eligibility",
]

# ESMO 2017 (Moreau et al., Ann Oncol 2017;28(suppl 4):iv52-iv61, DOI 10.1093/annonc/mdx096), as quoted in
# Blood Cancer J 2022 (DOI 10.1038/s41408-022-00645-1): ASCT for "patients aged <65 (or fit older patients up
# to 70 years)". A guideline default: the hematologist may transplant a biologically fit older patient.
TRANSPLANT_AGE_LIMIT = 70  # above this age, not a transplant candidate by default
TRANSPLANT_AGE_FIT_ONLY_FROM = 65  # from this age to the limit, only fit patients

# mSMART (Gonsalves et al., Bone Marrow Transplant 2019;54(3):353-367, DOI 10.1038/s41409-018-0264-8):
# ECOG 3 or 4 bars ASCT unless due to myeloma bone disease. NOT confirmed against the text (module docstring),
# so it opens the question instead of answering it.
ECOG_TRANSPLANT_BAR = 3

_CIBMTR_RENAL = "CIBMTR, Bone Marrow Transplant 2017, DOI 10.1038/bmt.2017.198"


def current_ecog(record: Record, at: dt.date) -> Assessment[int]:
    """The latest ECOG performance status recorded on or before ``at``, with its date.

    The ECOG scale is that of Oken MM, et al. Toxicity and response criteria of the Eastern Cooperative
    Oncology Group. Am J Clin Oncol 1982 (citation details not checked with rrmm's reference search).

    Examples
    --------
    A record with ECOG 1 on 2024-03-01 and ECOG 2 on 2024-06-01 gives 1 at 2024-04-01, with the reason
    "ECOG 1 on 2024-03-01".
    """
    recorded = [p for p in record.performance_status if p.date <= at]
    if not recorded:
        return Assessment(None, (f"no ECOG performance status recorded on or before {at.isoformat()}",))
    latest = max(recorded, key=lambda p: p.date)
    return Assessment(latest.ecog, (f"ECOG {latest.ecog} on {latest.date.isoformat()}",))


def transplant_eligibility(
    record: Record, at: dt.date, ecog: Assessment[int], crcl: Assessment[float]
) -> Assessment[bool]:
    """Whether the patient is a candidate for high-dose melphalan with ASCT on ``at``, by guideline defaults.

    Sources and their confirmation are listed in the module docstring: age limit 70, "fit only" from 65
    (ESMO 2017, Moreau et al., Ann Oncol 2017, DOI 10.1093/annonc/mdx096); ECOG 3-4 opens the question
    (mSMART, Gonsalves et al., Bone Marrow Transplant 2019, DOI 10.1038/s41409-018-0264-8; not confirmed);
    dialysis not a bar (CIBMTR, Bone Marrow Transplant 2017, DOI 10.1038/bmt.2017.198).

    Parameters
    ----------
    record
        A validated patient record (age, preferences, comorbidities are read from it).
    at
        The date of the assessment.
    ecog
        Performance status, e.g. from :func:`current_ecog`.
    crcl
        Creatinine clearance in mL/min, e.g. ``kidney_function(record, at).crcl_ml_min``.

    Returns
    -------
    Assessment[bool]
        ``False`` when the patient declines transplant or is older than :data:`TRANSPLANT_AGE_LIMIT`;
        otherwise ``None`` when age or ECOG is unknown, ECOG is :data:`ECOG_TRANSPLANT_BAR` or worse, or heart
        failure is recorded; otherwise ``True``. Reasons put what excludes first, then what is open, then
        the rest.
    """
    excluded: list[str] = []
    open_: list[str] = []
    notes: list[str] = []

    preferences = record.preferences
    if preferences is not None and preferences.declines_transplant:
        excluded.append("patient declines transplant")

    age = record.age_at(at)
    if age is None:
        open_.append("age unknown")
    elif age > TRANSPLANT_AGE_LIMIT:
        excluded.append(
            f"age {age}: above the guideline default of {TRANSPLANT_AGE_LIMIT} for transplant (ESMO 2017); "
            "a biologically fit patient may still be considered by the hematologist"
        )
    elif age >= TRANSPLANT_AGE_FIT_ONLY_FROM:
        notes.append(
            f"age {age}: from {TRANSPLANT_AGE_FIT_ONLY_FROM} to {TRANSPLANT_AGE_LIMIT} the guideline "
            "(ESMO 2017) reserves transplant for fit patients"
        )
    else:
        notes.append(f"age {age}")

    if ecog.value is None:
        open_.extend(ecog.reasons or ("ECOG performance status unknown",))
    elif ecog.value >= ECOG_TRANSPLANT_BAR:
        when = "; ".join(ecog.reasons) or f"ECOG {ecog.value}"
        open_.append(
            f"{when}: poor performance status; fitness for high-dose melphalan needs assessment (an ECOG "
            f"{ECOG_TRANSPLANT_BAR}-4 bar, attributed to mSMART, is not yet verified against its source)"
        )
    else:
        notes.extend(ecog.reasons or (f"ECOG {ecog.value}",))

    conditions = {c.condition for c in record.comorbidities if c.since is None or c.since <= at}
    if "heart_failure" in conditions:
        open_.append(
            "heart failure recorded: cardiac fitness for high-dose melphalan needs assessment "
            "(the record gives no NYHA class or ejection fraction)"
        )
    if "dialysis" in conditions:
        notes.append(f"on dialysis: not by itself a bar to autologous transplant ({_CIBMTR_RENAL})")
    if crcl.value is None:
        notes.append("creatinine clearance unknown")
    else:
        notes.append(f"creatinine clearance {number(crcl.value)} mL/min")

    if excluded:
        return Assessment(False, (*excluded, *open_, *notes))
    if open_:
        return Assessment(None, (*open_, *notes))
    return Assessment(True, tuple(notes))
