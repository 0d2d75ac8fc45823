"""Kidney function: creatinine clearance (Cockcroft-Gault) and eGFR (CKD-EPI 2021).

- Cockcroft DW, Gault MH. Prediction of creatinine clearance from serum creatinine. Nephron
  1976;16:31-41. DOI 10.1159/000180580. From the abstract: "(140 - age) (wt kg) / 72 x Scr (mg/100 ml)
  (15% less in females)", derived in patients aged 18-92 with stable serum creatinine.
- Inker LA, Eneanya ND, Coresh J, et al. New creatinine- and cystatin C-based equations to estimate GFR
  without race. N Engl J Med 2021;385:1737-1749. DOI 10.1056/NEJMoa2102953. The 2021 creatinine
  equation: eGFR = 142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^age x 1.012 [if female], with
  k = 0.7 (female) or 0.9 (male) and a = -0.241 (female) or -0.302 (male); Scr in mg/dL, IDMS-traceable.

How they were checked (2026-11, rrmm's reference search): the Cockcroft-Gault formula and the 15% reduction
in women from the 1976 paper's abstract (a scanned copy of Nephron 16:31-41); the CKD-EPI 2021 coefficients
from the National Kidney Foundation's page of the equation, which cites Inker 2021 (the NEJM paper itself
was not seen).

Both equations need a sex of female or male; for another or unknown sex they give ``None`` and
:func:`kidney_function` says why. Cockcroft-Gault uses the actual body weight, as in the paper.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rrmm.clinical.evidence import describe_lab, latest_lab, number
from rrmm.clinical.types import Assessment
from rrmm.record import Record

__all__ = [
    "CKD_EPI_2021",
    "COCKCROFT_GAULT_FEMALE_FACTOR",
    "KidneyFunction",
    "ckd_epi_2021",
    "cockcroft_gault",
    "kidney_function",
]

# Cockcroft & Gault 1976, abstract: "(15% less in females)".
COCKCROFT_GAULT_FEMALE_FACTOR = 0.85

# Inker et al. 2021 (as given by the National Kidney Foundation): sex -> (kappa, alpha, sex factor).
CKD_EPI_2021 = {
    "female": (0.7, -0.241, 1.012),
    "male": (0.9, -0.302, 1.0),
}
CKD_EPI_2021_CONSTANT = 142.0
CKD_EPI_2021_UPPER_EXPONENT = -1.200
CKD_EPI_2021_AGE_BASE = 0.9938


def cockcroft_gault(age_years: float, weight_kg: float, creatinine_mg_dl: float, sex: str) -> float | None:
    """Creatinine clearance in mL/min by the Cockcroft-Gault formula, unrounded.

    Cockcroft DW, Gault MH. Prediction of creatinine clearance from serum creatinine. Nephron
    1976;16:31-41. DOI 10.1159/000180580: CrCl = (140 - age) x weight / (72 x serum creatinine),
    15% less in women (x 0.85). Actual body weight, as in the paper; not normalised to body surface area.

    Parameters
    ----------
    age_years
        Age in years.
    weight_kg
        Actual body weight in kg.
    creatinine_mg_dl
        Serum creatinine in mg/dL.
    sex
        ``"female"`` or ``"male"``; any other value gives ``None`` (the formula has no other factor).

    Returns
    -------
    float or None
        mL/min.

    Raises
    ------
    ValueError
        For a creatinine or weight that is not positive, or a negative age.

    Examples
    --------
    >>> cockcroft_gault(60, 72.0, 1.0, "male")  # (140 - 60) x 72 / (72 x 1.0)
    80.0
    >>> round(cockcroft_gault(60, 72.0, 1.0, "female"), 1)
    68.0
    """
    _check_inputs(age_years, creatinine_mg_dl, weight_kg)
    if sex not in ("female", "male"):
        return None
    clearance = (140.0 - age_years) * weight_kg / (72.0 * creatinine_mg_dl)
    return clearance * COCKCROFT_GAULT_FEMALE_FACTOR if sex == "female" else clearance


def ckd_epi_2021(age_years: float, creatinine_mg_dl: float, sex: str) -> float | None:
    """Estimated GFR in mL/min/1.73 m² by the race-free CKD-EPI 2021 creatinine equation, unrounded.

    Inker LA, et al. New creatinine- and cystatin C-based equations to estimate GFR without race. N Engl J Med
    2021;385:1737-1749. DOI 10.1056/NEJMoa2102953:
    142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^age x 1.012 [if female]
    (:data:`CKD_EPI_2021` holds k, a and the sex factor). For adults; creatinine IDMS-traceable.

    Parameters
    ----------
    age_years
        Age in years (18 or over).
    creatinine_mg_dl
        Serum creatinine in mg/dL.
    sex
        ``"female"`` or ``"male"``; any other value gives ``None``.

    Raises
    ------
    ValueError
        For a creatinine that is not positive or an age under 18 (the equation is for adults).

    Examples
    --------
    >>> round(ckd_epi_2021(50, 0.7, "female"), 1)  # Scr/k = 1: 142 x 0.9938^50 x 1.012
    105.3
    """
    _check_inputs(age_years, creatinine_mg_dl)
    if age_years < 18:
        raise ValueError(f"CKD-EPI 2021 is an equation for adults; age {age_years} is under 18")
    if sex not in CKD_EPI_2021:
        return None
    kappa, alpha, sex_factor = CKD_EPI_2021[sex]
    ratio = creatinine_mg_dl / kappa
    return float(
        CKD_EPI_2021_CONSTANT
        * min(ratio, 1.0) ** alpha
        * max(ratio, 1.0) ** CKD_EPI_2021_UPPER_EXPONENT
        * CKD_EPI_2021_AGE_BASE**age_years
        * sex_factor
    )


@dataclass(frozen=True)
class KidneyFunction:
    """Kidney function on a date: estimates rounded to one decimal, and the creatinine they came from."""

    crcl_ml_min: Assessment[float]
    egfr: Assessment[float]
    creatinine_mg_dl: float | None
    creatinine_date: dt.date | None
    on_dialysis: bool


def kidney_function(record: Record, at: dt.date) -> KidneyFunction:
    """Cockcroft-Gault creatinine clearance and CKD-EPI 2021 eGFR on ``at``.

    Uses the latest serum creatinine on or before ``at``, the record's weight (``weight_kg``; the record
    holds one, undated) and the age on ``at`` (:meth:`Record.age_at`). A dialysis recorded as a comorbidity
    (since on or before ``at``, or undated) is reported: serum creatinine in a patient on dialysis is set by
    the dialysis, not the stable state both equations were derived in, and the reasons say so.

    References: :func:`cockcroft_gault` (Cockcroft & Gault, Nephron 1976, DOI 10.1159/000180580) and
    :func:`ckd_epi_2021` (Inker et al., N Engl J Med 2021, DOI 10.1056/NEJMoa2102953).

    Parameters
    ----------
    record
        A validated patient record.
    at
        The date the kidney function is wanted for.

    Returns
    -------
    KidneyFunction
        ``crcl_ml_min`` (mL/min) and ``egfr`` (mL/min/1.73 m²), each ``None`` with the missing fact named
        when it cannot be computed.
    """
    on_dialysis = any(
        c.condition == "dialysis" and (c.since is None or c.since <= at) for c in record.comorbidities
    )
    dialysis_note = (
        (
            "on dialysis: the creatinine reflects dialysis, "
            "not the stable kidney function the equation assumes",
        )
        if on_dialysis
        else ()
    )
    creatinine = latest_lab(record, "creatinine", at)
    age = record.age_at(at)
    if creatinine is None:
        missing = f"no serum creatinine on or before {at.isoformat()}"
        return KidneyFunction(
            Assessment(None, (missing, *dialysis_note)),
            Assessment(None, (missing, *dialysis_note)),
            None,
            None,
            on_dialysis,
        )
    used = describe_lab(creatinine)
    if creatinine.value <= 0:
        unusable = f"{used} is not a usable result"
        return KidneyFunction(
            Assessment(None, (unusable,)),
            Assessment(None, (unusable,)),
            creatinine.value,
            creatinine.date,
            on_dialysis,
        )

    crcl_reasons = [used]
    crcl: float | None = None
    if age is None:
        crcl_reasons.append("age unknown")
    if record.weight_kg is None:
        crcl_reasons.append("weight unknown: Cockcroft-Gault needs the actual body weight")
    if record.sex not in ("female", "male"):
        crcl_reasons.append(f"sex {record.sex}: Cockcroft-Gault has factors for female and male only")
    if age is not None and record.weight_kg is not None:
        crcl = cockcroft_gault(age, record.weight_kg, creatinine.value, record.sex)
    if crcl is not None:
        crcl_reasons[1:1] = [f"age {age}", f"weight {number(record.weight_kg or 0)} kg", record.sex]
        crcl = round(crcl, 1)

    egfr_reasons = [used]
    egfr: float | None = None
    if age is None:
        egfr_reasons.append("age unknown")
    elif age < 18:
        egfr_reasons.append(f"age {age}: CKD-EPI 2021 is for adults")
    else:
        egfr = ckd_epi_2021(age, creatinine.value, record.sex)
        if egfr is None:
            egfr_reasons.append(f"sex {record.sex}: CKD-EPI 2021 has coefficients for female and male only")
        else:
            egfr_reasons[1:1] = [f"age {age}", record.sex]
            egfr = round(egfr, 1)

    return KidneyFunction(
        Assessment(crcl, (*crcl_reasons, *dialysis_note)),
        Assessment(egfr, (*egfr_reasons, *dialysis_note)),
        creatinine.value,
        creatinine.date,
        on_dialysis,
    )


def _check_inputs(age_years: float, creatinine_mg_dl: float, weight_kg: float | None = None) -> None:
    if creatinine_mg_dl <= 0:
        raise ValueError(f"serum creatinine must be positive (mg/dL), got {creatinine_mg_dl}")
    if weight_kg is not None and weight_kg <= 0:
        raise ValueError(f"weight must be positive (kg), got {weight_kg}")
    if age_years < 0:
        raise ValueError(f"age must not be negative, got {age_years}")
