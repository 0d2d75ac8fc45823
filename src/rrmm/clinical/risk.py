"""High-risk multiple myeloma by the IMS/IMWG 2025 consensus definition.

Avet-Loiseau H, Davies FE, Samur MK, et al. International Myeloma Society/International Myeloma Working
Group consensus recommendations on the definition of high-risk multiple myeloma. J Clin Oncol
2025;43(24):2739-2751. DOI 10.1200/JCO-24-01893. PMID 40489728 (erratum J Clin Oncol 2025;43(22):2553,
DOI 10.1200/JCO-25-01367).

High risk is the presence of at least one of:

1. del(17p) in more than 20% of plasma cells (cancer clonal fraction), and/or a TP53 mutation;
2. an IgH translocation -- t(4;14), t(14;16) or t(14;20) -- together with 1q+ and/or del(1p32);
3. monoallelic del(1p32) together with 1q+, or biallelic del(1p32);
4. serum beta-2 microglobulin >= 5.5 mg/L with normal creatinine (< 1.2 mg/dL).

How the definition was checked (2026-11, with rrmm's reference search; the full paper was not available):
the citation, DOI and PMID from its PubMed record; the four criteria, "a cut-off of >20% clonal fraction",
"≥5.5 mg/L" and "<1.2 mg/dL" from a news report of the consensus criteria (thelimbic.com, on the Australian
validation); a patient-facing summary (healthtree.org) words the del(17p) cut-off "20% or more". The two
readings differ only at exactly 20%; this module follows ">20%", the wording closer to the abstract, and
says so in the reasons when a result sits on the boundary. Confirm against the full text before relying on
the boundary case.

What the record can and cannot say:

- The record's ``del(1p)`` is read as del(1p32) (the schema names no locus), and it cannot tell monoallelic
  from biallelic deletions: del(1p) without 1q+ therefore leaves the answer open rather than negative.
- The consensus defines risk for newly diagnosed disease. Beta-2 microglobulin and creatinine are read at
  diagnosis (:func:`rrmm.clinical.evidence.diagnosis_window`), because both change with treatment and
  relapse. Cytogenetic results are read up to ``at`` (default: the record's evaluation date), so an
  abnormality found at relapse counts -- an rrmm convention, not a statement of the consensus.
"""

from __future__ import annotations

import datetime as dt

from rrmm.clinical.evidence import (
    abnormality_status,
    all_true,
    any_true,
    clone_fraction,
    cytogenetic_result,
    describe_cytogenetics,
    describe_lab,
    diagnosis_window,
    nearest_lab,
    number,
    one_q_gain_status,
)
from rrmm.clinical.types import Assessment
from rrmm.record import Record

__all__ = [
    "DEL17P_CLONE_FRACTION_ABOVE",
    "HIGH_B2M_MG_L",
    "IGH_TRANSLOCATIONS",
    "NORMAL_CREATININE_BELOW_MG_DL",
    "abnormality_status",
    "chromosome_1_with_igh_translocation",
    "clone_fraction",
    "del_1p32_with_1q_gain",
    "high_b2m_with_normal_creatinine",
    "high_risk",
    "tp53_abnormality",
]

# IMS/IMWG 2025, criterion 1: del(17p) "with a cut-off of >20% clonal fraction" (strictly above; see the
# module docstring for the "20% or more" wording found elsewhere).
DEL17P_CLONE_FRACTION_ABOVE = 0.20
# IMS/IMWG 2025, criterion 2: IgH translocations t(4;14), t(14;16) or t(14;20).
IGH_TRANSLOCATIONS = ("t(4;14)", "t(14;16)", "t(14;20)")
# IMS/IMWG 2025, criterion 4: "beta-2 microglobulin ≥5.5 mg/L with normal creatinine (<1.2 mg/dL)".
HIGH_B2M_MG_L = 5.5
NORMAL_CREATININE_BELOW_MG_DL = 1.2


def tp53_abnormality(record: Record, at: dt.date | None = None) -> Assessment[bool]:
    """Criterion 1: del(17p) in more than 20% of plasma cells and/or a TP53 mutation (IMS/IMWG 2025).

    Avet-Loiseau H, et al. J Clin Oncol 2025;43(24):2739-2751. DOI 10.1200/JCO-24-01893.
    A del(17p) found with no clone fraction recorded leaves the criterion open unless TP53 is mutated.
    """
    parts: list[bool | None] = []
    reasons: list[str] = []
    result = cytogenetic_result(record, "del(17p)", at)
    if result is None:
        parts.append(None)
        reasons.append("del(17p) not tested")
    elif not result.present:
        parts.append(False)
        reasons.append(describe_cytogenetics(result))
    elif result.clone_fraction is None:
        parts.append(None)
        reasons.append(
            f"{describe_cytogenetics(result)}, clone fraction not recorded: high risk needs more than "
            f"{number(DEL17P_CLONE_FRACTION_ABOVE * 100)}% of plasma cells"
        )
    elif result.clone_fraction > DEL17P_CLONE_FRACTION_ABOVE:
        parts.append(True)
        reasons.append(describe_cytogenetics(result))
    else:
        parts.append(False)
        cutoff = number(DEL17P_CLONE_FRACTION_ABOVE * 100)
        note = (
            f"exactly at the cut-off; the consensus reads '>{cutoff}%', so it is not counted "
            "(confirm against the full text)"
            if result.clone_fraction == DEL17P_CLONE_FRACTION_ABOVE
            else f"not above the consensus cut-off of {cutoff}%"
        )
        reasons.append(f"{describe_cytogenetics(result)}, {note}")

    tp53 = cytogenetic_result(record, "TP53 mutation", at)
    parts.append(None if tp53 is None else tp53.present)
    reasons.append("TP53 mutation not tested" if tp53 is None else _tp53_text(tp53.present, tp53.date))
    value = any_true(parts)
    return Assessment(value, _pick(value, parts, reasons))


def chromosome_1_with_igh_translocation(record: Record, at: dt.date | None = None) -> Assessment[bool]:
    """Criterion 2: t(4;14), t(14;16) or t(14;20) together with 1q+ and/or del(1p32) (IMS/IMWG 2025).

    Avet-Loiseau H, et al. J Clin Oncol 2025;43(24):2739-2751. DOI 10.1200/JCO-24-01893.
    """
    translocations = {name: cytogenetic_result(record, name, at) for name in IGH_TRANSLOCATIONS}
    translocation = any_true(None if r is None else r.present for r in translocations.values())
    gain_1q, gain_1q_tests = one_q_gain_status(record, at)
    del_1p = abnormality_status(record, "del(1p)", at)
    chromosome_1 = any_true([gain_1q, del_1p])
    value = all_true([translocation, chromosome_1])

    found = [describe_cytogenetics(r) for r in translocations.values() if r is not None and r.present]
    untested = [name for name, r in translocations.items() if r is None]
    if value is True:
        chromosome_1_text = [*gain_1q_tests] if gain_1q else []
        if del_1p:
            chromosome_1_text.append(_del_1p_text(record, at))
        return Assessment(True, tuple(f"{text}, with {' and '.join(chromosome_1_text)}" for text in found))
    if translocation is False:
        return Assessment(False, (f"no IgH translocation: {', '.join(IGH_TRANSLOCATIONS)} absent",))
    if translocation is True:
        if chromosome_1 is False:
            return Assessment(False, tuple(f"{text}, without 1q+ or del(1p32)" for text in found))
        return Assessment(
            None, tuple(f"{text}: 1q+ and del(1p32) not both known, and neither found" for text in found)
        )
    absent = [name for name, r in translocations.items() if r is not None and not r.present]
    text = f"{', '.join(untested)} not tested" + (f" ({', '.join(absent)} absent)" if absent else "")
    if chromosome_1 is False:
        return Assessment(False, (f"{text}, but neither 1q+ nor del(1p32) is present",))
    return Assessment(None, (f"IgH translocation unknown: {text}",))


def del_1p32_with_1q_gain(record: Record, at: dt.date | None = None) -> Assessment[bool]:
    """Criterion 3: monoallelic del(1p32) with 1q+, or biallelic del(1p32) (IMS/IMWG 2025).

    Avet-Loiseau H, et al. J Clin Oncol 2025;43(24):2739-2751. DOI 10.1200/JCO-24-01893.
    The record cannot tell a biallelic deletion from a monoallelic one, so del(1p) without 1q+ is open.
    """
    del_1p = abnormality_status(record, "del(1p)", at)
    gain_1q, gain_1q_tests = one_q_gain_status(record, at)
    if del_1p is False:
        return Assessment(False, (_del_1p_text(record, at),))
    if del_1p is None:
        if gain_1q is False:
            return Assessment(
                None, ("del(1p32) not tested (1q+ absent, so only a biallelic deletion would count)",)
            )
        return Assessment(None, ("del(1p32) not tested",))
    deletion = _del_1p_text(record, at)
    if gain_1q:
        return Assessment(True, (f"{deletion}, with {' and '.join(gain_1q_tests)}",))
    if gain_1q is False:
        return Assessment(
            None,
            (
                f"{deletion} without 1q+: high risk only if the deletion is biallelic, "
                "which the record cannot tell (mono- or biallelic is not recorded)",
            ),
        )
    return Assessment(
        None,
        (f"{deletion}, 1q+ not tested: high risk with 1q+, or if biallelic (not recorded)",),
    )


def high_b2m_with_normal_creatinine(record: Record) -> Assessment[bool]:
    """Criterion 4: beta-2 microglobulin >= 5.5 mg/L with creatinine < 1.2 mg/dL at diagnosis (IMS/IMWG 2025).

    Avet-Loiseau H, et al. J Clin Oncol 2025;43(24):2739-2751. DOI 10.1200/JCO-24-01893.
    Both values are read at diagnosis (module docstring), each the one nearest the diagnosis date.
    """
    window = diagnosis_window(record)
    b2m = nearest_lab(record, "beta2_microglobulin", window, record.diagnosis.date)
    if b2m is None:
        return Assessment(None, (f"no beta-2 microglobulin at diagnosis ({window.description})",))
    if b2m.value < HIGH_B2M_MG_L:
        return Assessment(False, (f"{describe_lab(b2m)}: below {number(HIGH_B2M_MG_L)}",))
    creatinine = nearest_lab(record, "creatinine", window, record.diagnosis.date)
    if creatinine is None:
        return Assessment(
            None, (f"{describe_lab(b2m)}, but no creatinine at diagnosis to tell it from renal impairment",)
        )
    if creatinine.value < NORMAL_CREATININE_BELOW_MG_DL:
        return Assessment(
            True,
            (
                f"{describe_lab(b2m)} with normal {describe_lab(creatinine)} "
                f"(below {number(NORMAL_CREATININE_BELOW_MG_DL)})",
            ),
        )
    return Assessment(
        False,
        (
            f"{describe_lab(b2m)}, but {describe_lab(creatinine)} is not normal "
            f"(at least {number(NORMAL_CREATININE_BELOW_MG_DL)}), so it does not count",
        ),
    )


def high_risk(record: Record, at: dt.date | None = None) -> Assessment[bool]:
    """High-risk multiple myeloma by the IMS/IMWG 2025 consensus definition.

    Avet-Loiseau H, Davies FE, Samur MK, et al. International Myeloma Society/International Myeloma Working
    Group consensus recommendations on the definition of high-risk multiple myeloma. J Clin Oncol
    2025;43(24):2739-2751. DOI 10.1200/JCO-24-01893. The four criteria are listed in the module docstring.

    Parameters
    ----------
    record
        A validated patient record.
    at
        Cytogenetic results up to this date are read; the record's evaluation date when ``None``.

    Returns
    -------
    Assessment[bool]
        ``True`` with the criteria met (e.g. "del(17p) in 62% of plasma cells on 2019-03-01 (FISH)");
        ``False`` only when every criterion was tested and is negative; ``None`` when no criterion is met but
        one that could be is untested, with what is missing.
    """
    when = at or record.evaluation_date
    criteria = (
        tp53_abnormality(record, when),
        chromosome_1_with_igh_translocation(record, when),
        del_1p32_with_1q_gain(record, when),
        high_b2m_with_normal_creatinine(record),
    )
    value = any_true(c.value for c in criteria)
    if value is True:
        return Assessment(True, tuple(r for c in criteria if c.value is True for r in c.reasons))
    if value is None:
        open_first = [c for c in criteria if c.value is None] + [c for c in criteria if c.value is False]
        return Assessment(None, tuple(r for c in open_first for r in c.reasons))
    return Assessment(False, tuple(r for c in criteria for r in c.reasons))


def _tp53_text(present: bool, when: dt.date) -> str:
    return f"TP53 mutation {'present' if present else 'absent'} on {when.isoformat()}"


def _del_1p_text(record: Record, at: dt.date | None) -> str:
    result = cytogenetic_result(record, "del(1p)", at)
    if result is None:
        return "del(1p32) not tested"
    return describe_cytogenetics(result).replace("del(1p)", "del(1p32)", 1)


def _pick(value: bool | None, parts: list[bool | None], reasons: list[str]) -> tuple[str, ...]:
    """The reasons that explain ``value``: the positive ones for ``True``, all others otherwise."""
    if value is True:
        return tuple(r for p, r in zip(parts, reasons, strict=True) if p is True)
    return tuple(reasons)
