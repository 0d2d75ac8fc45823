"""Exposure and refractoriness across lines: drugs, classes, triple-class, penta, prior BCMA, and status.

Definitions:

- Refractory: nonresponsive while on therapy (less than a minimal response, or progression on therapy), or
  progression within 60 days of the last dose (Rajkumar SV et al., Blood 2011;117(18):4691-5,
  DOI 10.1182/blood-2010-10-299487; Kumar S et al., Lancet Oncol 2016;17(8):e328-46,
  DOI 10.1016/S1470-2045(16)30206-6). Per drug, see :func:`rrmm.clinical.lines.refractory_in_line`.
- Primary refractory: nonresponsive in a patient who never reached a minimal response or better with any
  therapy. Relapsed and refractory: nonresponsive on salvage therapy, or progression within 60 days of the
  last therapy, in a patient who reached at least MR at some point. Relapsed: progression after that, not
  meeting the refractory definition (same sources).
- Classes, triple-class (PI + IMiD + anti-CD38) and penta (bortezomib, carfilzomib, lenalidomide,
  pomalidomide and an anti-CD38 antibody): ``../shared/contracts/README.md``, as used by the pivotal
  studies of these populations (Gandhi UH et al., Leukemia 2019;33(9):2266-75,
  DOI 10.1038/s41375-019-0435-7, the MAMMOTH study: "penta-refractory", refractory to an anti-CD38
  antibody, 2 PIs and 2 IMiDs, with progression on therapy or within 60 days of the last dose).
- Corticosteroids never make a class, an exposure or a refractoriness on their own; neither does the
  lymphodepleting chemotherapy given before a CAR T-cell infusion.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rrmm.clinical.lines import Line
from rrmm.clinical.response import RESPONSE_ORDER
from rrmm.clinical.types import Assessment
from rrmm.terminology import drug_vocabulary

TRIPLE_CLASS: tuple[str, ...] = ("PI", "IMiD", "anti-CD38")
PENTA_DRUGS: tuple[str, ...] = ("bortezomib", "carfilzomib", "lenalidomide", "pomalidomide")

#: Status values of :func:`disease_status`.
STATUSES = ("primary_refractory", "relapsed_and_refractory", "relapsed", "no_progression")


def exposed_drugs(lines: Sequence[Line]) -> tuple[str, ...]:
    """Drugs given in any line, without corticosteroids and CAR-T lymphodepletion, sorted."""
    return tuple(
        sorted(
            {c.drug for line in lines for c in line.courses if c.role not in ("steroid", "lymphodepletion")}
        )
    )


def refractory_drugs(lines: Sequence[Line]) -> tuple[str, ...]:
    """Drugs the disease was refractory to in any line, sorted."""
    return tuple(sorted({d for line in lines for d in line.refractory_drugs}))


def drug_classes(drugs: Iterable[str]) -> tuple[str, ...]:
    """The classes of some drugs (``None`` classes and corticosteroids left out), sorted."""
    vocab = drug_vocabulary()
    classes = {vocab.drug_class(d) for d in drugs}
    return tuple(sorted(c for c in classes if c is not None and c != "corticosteroid"))


def is_triple_class(classes: Iterable[str]) -> bool:
    """PI, IMiD and anti-CD38 all among ``classes``."""
    have = set(classes)
    return all(c in have for c in TRIPLE_CLASS)


def is_penta(drugs: Iterable[str]) -> bool:
    """Bortezomib, carfilzomib, lenalidomide, pomalidomide and an anti-CD38 antibody among ``drugs``."""
    have = set(drugs)
    anti_cd38 = drug_vocabulary().in_class("anti-CD38")
    return all(d in have for d in PENTA_DRUGS) and bool(have & anti_cd38)


def prior_class(drugs: Iterable[str], drug_class: str, modality: str | None = None) -> bool:
    """Any of ``drugs`` in ``drug_class`` (and of ``modality`` when given), e.g. prior BCMA CAR-T."""
    vocab = drug_vocabulary()
    return any(
        vocab[d].drug_class == drug_class and (modality is None or vocab[d].modality == modality)
        for d in drugs
    )


def disease_status(lines: Sequence[Line]) -> Assessment[str]:
    """Primary refractory, relapsed and refractory, relapsed, or no progression (IMWG; see module doc).

    The status is that of the latest progression: refractory when it came on therapy or within 60 days of
    the last dose, or when the line before it reached less than MR.
    """
    if not lines:
        return Assessment(None, ("no myeloma therapy in the record",))
    responses = [line.best_response for line in lines if line.best_response is not None]
    mr = RESPONSE_ORDER.index("MR")
    ever_responded = any(RESPONSE_ORDER.index(r) >= mr for r in responses)
    progressed = [line for line in lines if line.progression is not None or line.refractory_drugs]
    if not progressed:
        return Assessment("no_progression", ("no progression recorded or measured",))
    latest = progressed[-1]
    refractory = bool(latest.refractory_drugs)
    if not ever_responded:
        if responses:
            return Assessment(
                "primary_refractory", (f"no line reached a minimal response (best: {', '.join(responses)})",)
            )
        if refractory:
            return Assessment(
                None, (f"line {latest.number} refractory, but no response of any line could be assessed",)
            )
    if refractory:
        return Assessment(
            "relapsed_and_refractory",
            (f"refractory on line {latest.number}: " + "; ".join(latest.refractory_reasons),),
        )
    when = latest.progression.date.isoformat() if latest.progression else "?"
    return Assessment(
        "relapsed", (f"progression on {when}, more than 60 days after the last dose of line {latest.number}",)
    )


@dataclass(frozen=True)
class Refractoriness:
    """What the disease has seen and resisted."""

    exposed_drugs: tuple[str, ...]
    refractory_drugs: tuple[str, ...]
    exposed_classes: tuple[str, ...]
    refractory_classes: tuple[str, ...]
    triple_class_exposed: bool
    triple_class_refractory: bool
    penta_exposed: bool
    penta_refractory: bool
    prior_bcma: bool
    prior_gprc5d: bool
    prior_car_t: bool
    status: Assessment[str]


def refractoriness(lines: Sequence[Line]) -> Refractoriness:
    """Summarise exposure and refractoriness over all lines."""
    exposed = exposed_drugs(lines)
    refractory = refractory_drugs(lines)
    exposed_cls = drug_classes(exposed)
    refractory_cls = drug_classes(refractory)
    return Refractoriness(
        exposed_drugs=exposed,
        refractory_drugs=refractory,
        exposed_classes=exposed_cls,
        refractory_classes=refractory_cls,
        triple_class_exposed=is_triple_class(exposed_cls),
        triple_class_refractory=is_triple_class(refractory_cls),
        penta_exposed=is_penta(exposed),
        penta_refractory=is_penta(refractory),
        prior_bcma=prior_class(exposed, "BCMA"),
        prior_gprc5d=prior_class(exposed, "GPRC5D"),
        prior_car_t=any(drug_vocabulary()[d].is_cell_therapy for d in exposed),
        status=disease_status(lines),
    )
