"""Stage at diagnosis by the International Staging System and its two revisions.

- ISS: Greipp PR, San Miguel J, Durie BGM, et al. International staging system for multiple myeloma.
  J Clin Oncol 2005;23(15):3412-3420. DOI 10.1200/JCO.2005.04.242.
- R-ISS: Palumbo A, Avet-Loiseau H, Oliva S, et al. Revised International Staging System for multiple
  myeloma: a report from International Myeloma Working Group. J Clin Oncol 2015;33:2863-2869.
  DOI 10.1200/JCO.2015.61.2267.
- R2-ISS: D'Agostino M, Cairns DA, Lahuerta JJ, et al. Second Revision of the International Staging System
  (R2-ISS) for overall survival in multiple myeloma: a European Myeloma Network (EMN) report within the
  HARMONY project. J Clin Oncol 2022;40(29):3406-3418. DOI 10.1200/JCO.21.02614 (erratum
  DOI 10.1200/JCO.22.02228).

Missing facts are handled with three-valued logic: a stage is given whenever the facts that are known fix
it (ISS II gives R-ISS II whatever the LDH and cytogenetics; ISS III with a high LDH gives R-ISS III with
cytogenetics unknown), and is ``None`` with the missing facts named otherwise. Which values count as "at
diagnosis" is set out in :mod:`rrmm.clinical.evidence` (:data:`DIAGNOSIS_WINDOW_DAYS`).

How the figures were checked (2026-11, with rrmm's reference search; the full papers were not available):

- ISS cut-offs: the Greipp 2005 abstract, as reproduced by the IMWG (imwg.myeloma.org): "stage I, Sβ2M less
  than 3.5 mg/L plus serum albumin ≥ 3.5 g/dL ... stage III, Sβ2M ≥ 5.5 mg/L".
- R-ISS groups and abnormalities: secondary sources quoting the Palumbo 2015 abstract (ASH Clinical News;
  The Hematologist, ASH; Cancer Therapy Advisor): R-ISS I = ISS I, no del(17p)/t(4;14)/t(14;16), normal
  LDH; R-ISS III = ISS III and high-risk abnormalities or high LDH; high LDH = above the upper limit of
  normal. The abstract itself was seen only up to its results.
- R2-ISS points and groups: The ASCO Post (June 2022) quoting the D'Agostino 2022 abstract (ISS-III 1.5,
  ISS-II 1, del(17p) 1, high LDH 1, 1q+ 0.5; groups 0, 0.5-1, 1.5-2.5, 3-5) and Blood Cancer Journal 2025
  (DOI 10.1038/s41408-025-01268-y), which also gives t(4;14) 1 point. The primary abstract was not seen.
"""

from __future__ import annotations

from rrmm.clinical.evidence import (
    DIAGNOSIS_WINDOW_DAYS,
    any_true,
    cytogenetic_result,
    describe_cytogenetics,
    describe_lab,
    diagnosis_window,
    nearest_lab,
    number,
    one_q_gain_status,
)
from rrmm.clinical.types import Assessment, Stage
from rrmm.record import Record

__all__ = [
    "DIAGNOSIS_WINDOW_DAYS",
    "ISS_ALBUMIN_MIN_G_DL",
    "ISS_B2M_HIGH_MG_L",
    "ISS_B2M_LOW_MG_L",
    "R2_ISS_GROUPS",
    "R2_ISS_POINTS",
    "R_ISS_HIGH_RISK_ABNORMALITIES",
    "iss",
    "ldh_high",
    "r2_iss",
    "r_iss",
    "stage_at_diagnosis",
]

# ISS (Greipp 2005, abstract): "stage I, Sβ2M less than 3.5 mg/L plus serum albumin ≥ 3.5 g/dL; stage II,
# neither stage I nor III; and stage III, Sβ2M ≥ 5.5 mg/L".
ISS_B2M_LOW_MG_L = 3.5  # stage I needs beta-2 microglobulin below this ...
ISS_ALBUMIN_MIN_G_DL = 3.5  # ... and albumin at or above this
ISS_B2M_HIGH_MG_L = 5.5  # stage III: beta-2 microglobulin at or above this

# R-ISS (Palumbo 2015): high-risk chromosomal abnormalities by iFISH are del(17p) and/or t(4;14) and/or
# t(14;16); a high LDH is a serum LDH above the upper limit of normal.
R_ISS_HIGH_RISK_ABNORMALITIES = ("del(17p)", "t(4;14)", "t(14;16)")

# R2-ISS (D'Agostino 2022, abstract): points by overall-survival impact "ISS-III 1.5, ISS-II 1, del(17p) 1,
# high LDH 1, t(4;14) 1, and 1q+ 0.5"; groups by total score "low (R2-ISS-I, 0 points), low-intermediate
# (II, 0.5-1), intermediate-high (III, 1.5-2.5), high (IV, 3-5)". 1q+ is gain (3 copies) or amplification
# (4 or more copies) of 1q.
R2_ISS_POINTS = {
    "ISS II": 1.0,
    "ISS III": 1.5,
    "del(17p)": 1.0,
    "high LDH": 1.0,
    "t(4;14)": 1.0,
    "1q+": 0.5,
}
#: (stage, lowest score, highest score) of each R2-ISS group.
R2_ISS_GROUPS = (("I", 0.0, 0.0), ("II", 0.5, 1.0), ("III", 1.5, 2.5), ("IV", 3.0, 5.0))

_ISS_POINTS = {"I": 0.0, "II": R2_ISS_POINTS["ISS II"], "III": R2_ISS_POINTS["ISS III"]}


def iss(beta2m_mg_l: float | None, albumin_g_dl: float | None) -> Assessment[str]:
    """International Staging System stage ("I", "II" or "III").

    Greipp PR, et al. International staging system for multiple myeloma. J Clin Oncol 2005;23(15):3412-3420.
    DOI 10.1200/JCO.2005.04.242. Stage I: serum beta-2 microglobulin < 3.5 mg/L and albumin >= 3.5 g/dL;
    stage III: beta-2 microglobulin >= 5.5 mg/L; stage II: neither.

    Parameters
    ----------
    beta2m_mg_l
        Serum beta-2 microglobulin in mg/L, or ``None`` when not measured.
    albumin_g_dl
        Serum albumin in g/dL, or ``None`` when not measured.

    Returns
    -------
    Assessment[str]
        The stage, or ``None`` when the values given cannot fix it (albumin is needed only to tell stage I
        from stage II).

    Examples
    --------
    >>> iss(6.1, None).value
    'III'
    >>> iss(3.4, 3.5).value
    'I'
    >>> iss(3.4, None).reasons[0]
    'albumin missing: beta-2 microglobulin 3.4 mg/L is below 3.5, so ISS I or II depending on albumin'
    """
    if beta2m_mg_l is None:
        return Assessment(None, ("beta-2 microglobulin missing: ISS needs it for every stage",))
    b2m = number(beta2m_mg_l)
    if beta2m_mg_l >= ISS_B2M_HIGH_MG_L:
        return Assessment(
            "III", (f"ISS III: beta-2 microglobulin {b2m} mg/L is at least {ISS_B2M_HIGH_MG_L}",)
        )
    if beta2m_mg_l >= ISS_B2M_LOW_MG_L:
        return Assessment(
            "II",
            (
                f"ISS II: beta-2 microglobulin {b2m} mg/L is between "
                f"{ISS_B2M_LOW_MG_L} and {ISS_B2M_HIGH_MG_L}",
            ),
        )
    if albumin_g_dl is None:
        return Assessment(
            None,
            (
                f"albumin missing: beta-2 microglobulin {b2m} mg/L is below {ISS_B2M_LOW_MG_L}, "
                "so ISS I or II depending on albumin",
            ),
        )
    alb = number(albumin_g_dl)
    if albumin_g_dl >= ISS_ALBUMIN_MIN_G_DL:
        return Assessment(
            "I",
            (
                f"ISS I: beta-2 microglobulin {b2m} mg/L is below {ISS_B2M_LOW_MG_L} "
                f"and albumin {alb} g/dL is at least {ISS_ALBUMIN_MIN_G_DL}",
            ),
        )
    return Assessment(
        "II",
        (
            f"ISS II: beta-2 microglobulin {b2m} mg/L is below {ISS_B2M_LOW_MG_L} "
            f"but albumin {alb} g/dL is low",
        ),
    )


def ldh_high(value: float | None, upper_limit_normal: float | None) -> bool | None:
    """Whether serum LDH is above the reporting laboratory's upper limit of normal (R-ISS, R2-ISS).

    Palumbo A, et al. J Clin Oncol 2015;33:2863-2869. DOI 10.1200/JCO.2015.61.2267: "high LDH" is serum
    LDH above the upper limit of normal. LDH reference ranges differ between laboratories and methods, so
    no fixed number stands in for a missing limit: the answer is then ``None``. A value equal to the limit
    is not above it.

    Examples
    --------
    >>> ldh_high(300.0, 250.0), ldh_high(250.0, 250.0), ldh_high(300.0, None)
    (True, False, None)
    """
    if value is None or upper_limit_normal is None:
        return None
    return value > upper_limit_normal


def r_iss(iss_stage: str | None, high_risk_ca: bool | None, ldh_high: bool | None) -> Assessment[str]:
    """Revised International Staging System stage ("I", "II" or "III").

    Palumbo A, et al. Revised International Staging System for multiple myeloma: a report from International
    Myeloma Working Group. J Clin Oncol 2015;33:2863-2869. DOI 10.1200/JCO.2015.61.2267.
    R-ISS I: ISS I, standard-risk chromosomal abnormalities (no del(17p), t(4;14) or t(14;16) by iFISH) and
    normal LDH. R-ISS III: ISS III and either high-risk chromosomal abnormalities or high LDH.
    R-ISS II: every other combination.

    Parameters
    ----------
    iss_stage
        "I", "II", "III", or ``None`` when unknown.
    high_risk_ca
        Whether del(17p), t(4;14) or t(14;16) was found; ``None`` when not all were tested and none found.
    ldh_high
        Whether serum LDH was above the upper limit of normal (:func:`ldh_high`).

    Examples
    --------
    >>> r_iss("II", None, None).value
    'II'
    >>> r_iss("III", None, True).value
    'III'
    >>> r_iss("I", False, None).value is None
    True
    """
    if iss_stage is None:
        return Assessment(None, ("ISS unknown: R-ISS is built on it",))
    if iss_stage == "II":
        return Assessment("II", ("R-ISS II: ISS II, whatever the cytogenetics and LDH",))
    adverse = any_true([high_risk_ca, ldh_high])
    missing = _missing({"high-risk cytogenetics": high_risk_ca, "LDH": ldh_high})
    if iss_stage == "I":
        if adverse is True:
            return Assessment("II", (f"R-ISS II: ISS I with {_adverse_text(high_risk_ca, ldh_high)}",))
        if adverse is False:
            return Assessment("I", ("R-ISS I: ISS I, standard-risk cytogenetics and normal LDH",))
        return Assessment(None, (f"R-ISS I or II: ISS I, and {missing} unknown",))
    if iss_stage == "III":
        if adverse is True:
            return Assessment("III", (f"R-ISS III: ISS III with {_adverse_text(high_risk_ca, ldh_high)}",))
        if adverse is False:
            return Assessment("II", ("R-ISS II: ISS III, but standard-risk cytogenetics and normal LDH",))
        return Assessment(None, (f"R-ISS II or III: ISS III, and {missing} unknown",))
    raise ValueError(f"iss_stage must be 'I', 'II', 'III' or None, got {iss_stage!r}")


def r2_iss(
    iss_stage: str | None,
    del_17p: bool | None,
    ldh_high: bool | None,
    t_4_14: bool | None,
    gain_1q: bool | None,
) -> Assessment[str]:
    """Second revision of the International Staging System ("I", "II", "III" or "IV").

    D'Agostino M, et al. Second Revision of the International Staging System (R2-ISS) for overall survival in
    multiple myeloma. J Clin Oncol 2022;40(29):3406-3418. DOI 10.1200/JCO.21.02614.
    Points: ISS II 1, ISS III 1.5, del(17p) 1, high LDH 1, t(4;14) 1, 1q+ (gain or amplification) 0.5
    (:data:`R2_ISS_POINTS`); stage by total: I 0, II 0.5-1, III 1.5-2.5, IV 3-5 (:data:`R2_ISS_GROUPS`).

    With some factors unknown, the stage is given when every possible total falls in the same group.

    Examples
    --------
    >>> r2_iss("III", True, True, False, False).value
    'IV'
    >>> r2_iss("I", False, False, False, None).value is None
    True
    >>> r2_iss("III", True, True, None, None).value  # at least 3.5 points whatever is unknown
    'IV'
    """
    if iss_stage is not None and iss_stage not in _ISS_POINTS:
        raise ValueError(f"iss_stage must be 'I', 'II', 'III' or None, got {iss_stage!r}")
    low = high = 0.0
    scored: list[str] = []
    unknown: list[str] = []
    if iss_stage is None:
        high += max(_ISS_POINTS.values())
        unknown.append("ISS")
    elif _ISS_POINTS[iss_stage]:
        low += _ISS_POINTS[iss_stage]
        high += _ISS_POINTS[iss_stage]
        scored.append(f"ISS {iss_stage} {number(_ISS_POINTS[iss_stage])}")
    factors = {"del(17p)": del_17p, "high LDH": ldh_high, "t(4;14)": t_4_14, "1q+": gain_1q}
    for name, present in factors.items():
        points = R2_ISS_POINTS[name]
        if present is None:
            high += points
            unknown.append(name)
        elif present:
            low += points
            high += points
            scored.append(f"{name} {number(points)}")
    points_text = ", ".join(scored) if scored else "no risk factor"
    low_stage, high_stage = _r2_group(low), _r2_group(high)
    if low_stage == high_stage:
        note = f"; {', '.join(unknown)} unknown but cannot change it" if unknown else ""
        return Assessment(low_stage, (f"R2-ISS {low_stage}: score {number(low)} ({points_text}){note}",))
    return Assessment(
        None,
        (
            f"R2-ISS {low_stage} to {high_stage}: score between {number(low)} and {number(high)} "
            f"({points_text}); {', '.join(unknown)} unknown",
        ),
    )


def stage_at_diagnosis(record: Record) -> Stage:
    """ISS, R-ISS and R2-ISS at diagnosis, from the values nearest the diagnosis date.

    Values are taken from :func:`rrmm.clinical.evidence.diagnosis_window`: within
    :data:`DIAGNOSIS_WINDOW_DAYS` of diagnosis and not after the first therapy started, because all three
    systems were defined on untreated, newly diagnosed patients (Greipp 2005; Palumbo 2015; D'Agostino 2022).
    A cytogenetic abnormality tested negative counts as absent; one never tested in the window is unknown.

    Parameters
    ----------
    record
        A validated patient record.

    Returns
    -------
    Stage
        The three stages (``None`` where the record cannot fix one) and the reasons: the window, each value
        used with its date, each fact missing, and how each stage follows.
    """
    window = diagnosis_window(record)
    target = record.diagnosis.date
    reasons: list[str] = [f"values at diagnosis: {window.description}"]
    if window.empty:
        reasons.append(
            "the first therapy started before the window opens: no value can count as at diagnosis"
        )

    labs = {
        test: nearest_lab(record, test, window, target) for test in ("beta2_microglobulin", "albumin", "ldh")
    }
    for test, lab in labs.items():
        if lab is None:
            reasons.append(f"no {_LAB_NAMES[test]} in that window")
        else:
            reasons.append(describe_lab(lab))
    b2m, albumin, ldh = labs["beta2_microglobulin"], labs["albumin"], labs["ldh"]

    ldh_is_high: bool | None = None
    if ldh is not None:
        ldh_is_high = ldh_high(ldh.value, ldh.upper_limit_normal)
        if ldh.upper_limit_normal is None:
            reasons.append("LDH upper limit of normal not recorded: high or normal LDH unknown")
        else:
            verdict = "high" if ldh_is_high else "normal"
            reasons.append(f"LDH {verdict} (upper limit of normal {number(ldh.upper_limit_normal)} U/L)")

    status: dict[str, bool | None] = {}
    for name in ("del(17p)", "t(4;14)", "t(14;16)"):
        result = cytogenetic_result(record, name, window.end, since=window.start, nearest=target)
        status[name] = None if result is None else result.present
        reasons.append(describe_cytogenetics(result) if result else f"{name} not tested in that window")
    gain_1q, gain_1q_tests = one_q_gain_status(record, window.end, since=window.start)
    reasons.extend(gain_1q_tests or ("1q+ (gain or amp of 1q) not tested in that window",))

    iss_stage = iss(b2m.value if b2m else None, albumin.value if albumin else None)
    high_risk_ca = any_true(status[name] for name in R_ISS_HIGH_RISK_ABNORMALITIES)
    revised = r_iss(iss_stage.value, high_risk_ca, ldh_is_high)
    second = r2_iss(iss_stage.value, status["del(17p)"], ldh_is_high, status["t(4;14)"], gain_1q)
    reasons.extend(iss_stage.reasons + revised.reasons + second.reasons)
    return Stage(iss_stage.value, revised.value, second.value, tuple(reasons))


_LAB_NAMES = {"beta2_microglobulin": "beta-2 microglobulin", "albumin": "albumin", "ldh": "LDH"}


def _r2_group(score: float) -> str:
    for stage, low, high in R2_ISS_GROUPS:
        if low <= score <= high:
            return stage
    raise ValueError(f"R2-ISS score {score} is outside 0-5")


def _missing(facts: dict[str, bool | None]) -> str:
    return " and ".join(name for name, value in facts.items() if value is None)


def _adverse_text(high_risk_ca: bool | None, ldh_is_high: bool | None) -> str:
    found = []
    if high_risk_ca:
        found.append("high-risk cytogenetics")
    if ldh_is_high:
        found.append("high LDH")
    return " and ".join(found)
