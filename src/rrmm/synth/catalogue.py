"""What the synthetic patients are treated with: regimens, their rough behaviour, adverse events, places.

Dates of availability, response profiles and progression-free survival medians below are rough, round
numbers chosen so that demo records look plausible. They are not clinical facts, not trial results and not
recommendations: do not cite them. Drug names are lowercase INN of the rrmm drug vocabulary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate
from typing import Literal

from rrmm.terminology import drug_vocabulary

RESPONSES: tuple[str, ...] = ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD")

# Weights over RESPONSES (sCR, CR, VGPR, PR, MR, SD, PD). Rough, for demo only.
QUAD_FRONTLINE = (0.15, 0.33, 0.35, 0.14, 0.01, 0.015, 0.005)
TRIPLET_FRONTLINE = (0.08, 0.22, 0.35, 0.28, 0.03, 0.03, 0.01)
DOUBLET_FRONTLINE = (0.03, 0.10, 0.25, 0.40, 0.10, 0.09, 0.03)
RELAPSE_GOOD = (0.04, 0.16, 0.30, 0.30, 0.08, 0.08, 0.04)
RELAPSE_MID = (0.02, 0.08, 0.22, 0.33, 0.12, 0.13, 0.10)
RELAPSE_POOR = (0.0, 0.02, 0.08, 0.20, 0.15, 0.25, 0.30)
CAR_T = (0.45, 0.25, 0.12, 0.10, 0.03, 0.03, 0.02)
BISPECIFIC = (0.15, 0.20, 0.20, 0.12, 0.05, 0.10, 0.18)

Kind = Literal["continuous", "fixed", "car_t"]


def _d(text: str) -> int:
    return dt.date.fromisoformat(text).toordinal()


_FAR_FUTURE = dt.date(2100, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class Regimen:
    """A regimen as the generator uses it (rough behaviour, for demo only).

    ``limited``: drugs of a continuous regimen that stop as ``completed`` after (min_days, max_days).
    ``fixed_days``: the whole course of a ``fixed`` regimen. ``available``/``withdrawn`` are ordinals.
    """

    id: str
    drugs: tuple[str, ...]
    kind: Kind = "continuous"
    available: int = 0
    withdrawn: int = _FAR_FUTURE
    min_line: int = 2
    weight: float = 1.0
    response: tuple[float, ...] = RELAPSE_MID
    pfs_months: float = 12.0
    limited: tuple[tuple[str, int, int], ...] = ()
    fixed_days: tuple[int, int] = (0, 0)
    requires: str | None = None
    trial: bool = False
    response_cum: tuple[float, ...] = field(init=False)
    active: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "response_cum", tuple(accumulate(self.response)))
        object.__setattr__(self, "active", tuple(d for d in self.drugs if not _is_steroid(d)))


_STEROIDS = frozenset({"dexamethasone", "prednisone", "prednisolone", "methylprednisolone"})


def _is_steroid(drug: str) -> bool:
    return drug in _STEROIDS


# First line, transplant-eligible: induction regimens; pfs_months is for the whole line
# (induction, autologous transplant, maintenance). Rough, for demo only.
INDUCTION: tuple[Regimen, ...] = (
    Regimen(
        "VRd",
        ("bortezomib", "lenalidomide", "dexamethasone"),
        available=_d("2012-01-01"),
        weight=5,
        response=TRIPLET_FRONTLINE,
        pfs_months=50,
    ),
    Regimen(
        "VTd",
        ("bortezomib", "thalidomide", "dexamethasone"),
        available=_d("2012-01-01"),
        withdrawn=_d("2020-12-31"),
        weight=1.5,
        response=TRIPLET_FRONTLINE,
        pfs_months=45,
    ),
    Regimen(
        "VCd",
        ("bortezomib", "cyclophosphamide", "dexamethasone"),
        available=_d("2012-01-01"),
        weight=1,
        response=TRIPLET_FRONTLINE,
        pfs_months=42,
    ),
    Regimen(
        "KRd",
        ("carfilzomib", "lenalidomide", "dexamethasone"),
        available=_d("2016-01-01"),
        weight=1,
        response=TRIPLET_FRONTLINE,
        pfs_months=55,
    ),
    Regimen(
        "D-VTd",
        ("daratumumab", "bortezomib", "thalidomide", "dexamethasone"),
        available=_d("2020-01-20"),
        weight=1,
        response=QUAD_FRONTLINE,
        pfs_months=62,
    ),
    Regimen(
        "D-VRd",
        ("daratumumab", "bortezomib", "lenalidomide", "dexamethasone"),
        available=_d("2020-06-01"),
        weight=6,
        response=QUAD_FRONTLINE,
        pfs_months=75,
    ),
    Regimen(
        "Isa-VRd",
        ("isatuximab", "bortezomib", "lenalidomide", "dexamethasone"),
        available=_d("2024-09-01"),
        weight=1.5,
        response=QUAD_FRONTLINE,
        pfs_months=75,
    ),
)

# Maintenance after an autologous transplant. Rough, for demo only.
MAINTENANCE: tuple[tuple[tuple[str, ...], int, float, float], ...] = (
    # (drugs, available from, weight, weight if high risk)
    (("lenalidomide",), _d("2012-01-01"), 8.0, 3.0),
    (("daratumumab", "lenalidomide"), _d("2022-06-01"), 2.0, 2.0),
    (("bortezomib",), _d("2012-01-01"), 0.3, 2.0),
    (("bortezomib", "lenalidomide"), _d("2016-01-01"), 0.3, 2.0),
)

# First line, not transplant-eligible (or declined): continuous or fixed regimens. Rough, for demo only.
FRONTLINE_INELIGIBLE: tuple[Regimen, ...] = (
    Regimen(
        "DRd",
        ("daratumumab", "lenalidomide", "dexamethasone"),
        available=_d("2019-06-27"),
        weight=7,
        response=QUAD_FRONTLINE,
        pfs_months=55,
    ),
    Regimen(
        "VRd-lite",
        ("bortezomib", "lenalidomide", "dexamethasone"),
        available=_d("2012-01-01"),
        weight=3,
        response=TRIPLET_FRONTLINE,
        pfs_months=35,
        limited=(("bortezomib", 180, 270),),
    ),
    Regimen(
        "Rd",
        ("lenalidomide", "dexamethasone"),
        available=_d("2012-01-01"),
        weight=2,
        response=DOUBLET_FRONTLINE,
        pfs_months=26,
    ),
    Regimen(
        "VMP",
        ("bortezomib", "melphalan", "prednisone"),
        kind="fixed",
        available=_d("2012-01-01"),
        withdrawn=_d("2019-12-31"),
        weight=2,
        response=TRIPLET_FRONTLINE,
        pfs_months=22,
        fixed_days=(330, 380),
    ),
    Regimen(
        "D-VMP",
        ("daratumumab", "bortezomib", "melphalan", "prednisone"),
        available=_d("2018-05-07"),
        withdrawn=_d("2020-06-30"),
        weight=1,
        response=QUAD_FRONTLINE,
        pfs_months=36,
        limited=(("bortezomib", 330, 380), ("melphalan", 330, 380), ("prednisone", 330, 380)),
    ),
    Regimen(
        "Isa-VRd",
        ("isatuximab", "bortezomib", "lenalidomide", "dexamethasone"),
        available=_d("2024-09-20"),
        weight=2,
        response=QUAD_FRONTLINE,
        pfs_months=60,
        limited=(("bortezomib", 360, 540),),
    ),
)

# Relapse (second and later lines). min_line is the line number from which it is used. Rough, for demo only.
RELAPSE: tuple[Regimen, ...] = (
    Regimen(
        "DRd",
        ("daratumumab", "lenalidomide", "dexamethasone"),
        available=_d("2016-11-21"),
        weight=3,
        response=RELAPSE_GOOD,
        pfs_months=30,
    ),
    Regimen(
        "DVd",
        ("daratumumab", "bortezomib", "dexamethasone"),
        available=_d("2016-11-21"),
        weight=2,
        response=RELAPSE_GOOD,
        pfs_months=16,
        limited=(("bortezomib", 150, 180),),
    ),
    Regimen(
        "KRd",
        ("carfilzomib", "lenalidomide", "dexamethasone"),
        available=_d("2015-07-24"),
        weight=2,
        response=RELAPSE_GOOD,
        pfs_months=26,
        limited=(("carfilzomib", 480, 560),),
    ),
    Regimen(
        "IRd",
        ("ixazomib", "lenalidomide", "dexamethasone"),
        available=_d("2015-11-20"),
        weight=1,
        pfs_months=18,
    ),
    Regimen(
        "ERd",
        ("elotuzumab", "lenalidomide", "dexamethasone"),
        available=_d("2015-11-30"),
        weight=0.6,
        pfs_months=19,
    ),
    Regimen("Kd", ("carfilzomib", "dexamethasone"), available=_d("2016-01-21"), weight=1.5, pfs_months=15),
    Regimen(
        "DKd",
        ("daratumumab", "carfilzomib", "dexamethasone"),
        available=_d("2020-08-20"),
        weight=4,
        response=RELAPSE_GOOD,
        pfs_months=24,
    ),
    Regimen(
        "IsaKd",
        ("isatuximab", "carfilzomib", "dexamethasone"),
        available=_d("2021-03-31"),
        weight=3,
        response=RELAPSE_GOOD,
        pfs_months=28,
    ),
    Regimen(
        "DPd",
        ("daratumumab", "pomalidomide", "dexamethasone"),
        available=_d("2017-06-16"),
        weight=5,
        pfs_months=13,
    ),
    Regimen(
        "IsaPd",
        ("isatuximab", "pomalidomide", "dexamethasone"),
        available=_d("2020-03-02"),
        weight=2.5,
        pfs_months=11,
    ),
    Regimen(
        "KPd",
        ("carfilzomib", "pomalidomide", "dexamethasone"),
        available=_d("2016-01-21"),
        weight=1.5,
        pfs_months=14,
    ),
    Regimen(
        "PVd",
        ("pomalidomide", "bortezomib", "dexamethasone"),
        available=_d("2019-06-01"),
        weight=2,
        pfs_months=11,
    ),
    Regimen(
        "SVd",
        ("selinexor", "bortezomib", "dexamethasone"),
        available=_d("2020-12-18"),
        weight=1.5,
        pfs_months=13,
    ),
    Regimen(
        "EPd",
        ("elotuzumab", "pomalidomide", "dexamethasone"),
        available=_d("2018-11-06"),
        min_line=3,
        weight=1,
        pfs_months=10,
    ),
    Regimen(
        "BVd",
        ("belantamab mafodotin", "bortezomib", "dexamethasone"),
        available=_d("2025-07-01"),
        weight=1,
        response=RELAPSE_GOOD,
        pfs_months=30,
    ),
    Regimen(
        "Pd",
        ("pomalidomide", "dexamethasone"),
        available=_d("2013-02-08"),
        min_line=3,
        weight=1,
        response=RELAPSE_POOR,
        pfs_months=4.5,
    ),
    Regimen(
        "Vd",
        ("bortezomib", "dexamethasone"),
        available=_d("2012-01-01"),
        weight=0.6,
        response=RELAPSE_POOR,
        pfs_months=8,
    ),
    Regimen(
        "Pano-Vd",
        ("panobinostat", "bortezomib", "dexamethasone"),
        available=_d("2015-02-23"),
        withdrawn=_d("2021-12-31"),
        min_line=3,
        weight=0.4,
        response=RELAPSE_POOR,
        pfs_months=10,
    ),
    Regimen(
        "Ven-d",
        ("venetoclax", "dexamethasone"),
        available=_d("2017-06-01"),
        min_line=3,
        weight=3,
        pfs_months=10,
        requires="t(11;14)",
    ),
    Regimen(
        "Sd",
        ("selinexor", "dexamethasone"),
        available=_d("2019-07-03"),
        min_line=5,
        weight=1.5,
        response=RELAPSE_POOR,
        pfs_months=3.7,
    ),
    Regimen(
        "belamaf",
        ("belantamab mafodotin",),
        available=_d("2020-08-05"),
        withdrawn=_d("2022-11-22"),
        min_line=5,
        weight=1.5,
        response=RELAPSE_POOR,
        pfs_months=3,
    ),
    Regimen(
        "melflufen-d",
        ("melphalan flufenamide", "dexamethasone"),
        available=_d("2021-02-26"),
        withdrawn=_d("2021-10-22"),
        min_line=5,
        weight=0.3,
        response=RELAPSE_POOR,
        pfs_months=4,
    ),
    Regimen(
        "DCEP",
        ("dexamethasone", "cyclophosphamide", "etoposide", "cisplatin"),
        kind="fixed",
        available=_d("2012-01-01"),
        min_line=4,
        weight=0.3,
        response=RELAPSE_POOR,
        pfs_months=3,
        fixed_days=(50, 100),
    ),
    Regimen(
        "Cd",
        ("cyclophosphamide", "dexamethasone"),
        available=_d("2012-01-01"),
        min_line=4,
        weight=0.4,
        response=RELAPSE_POOR,
        pfs_months=4,
    ),
    Regimen(
        "Benda-d",
        ("bendamustine", "dexamethasone"),
        available=_d("2012-01-01"),
        min_line=5,
        weight=0.3,
        response=RELAPSE_POOR,
        pfs_months=4,
    ),
    Regimen(
        "teclistamab",
        ("teclistamab",),
        available=_d("2022-10-25"),
        min_line=5,
        weight=3,
        response=BISPECIFIC,
        pfs_months=11,
    ),
    Regimen(
        "elranatamab",
        ("elranatamab",),
        available=_d("2023-08-14"),
        min_line=5,
        weight=2,
        response=BISPECIFIC,
        pfs_months=14,
    ),
    Regimen(
        "talquetamab",
        ("talquetamab",),
        available=_d("2023-08-09"),
        min_line=5,
        weight=2,
        response=BISPECIFIC,
        pfs_months=8,
    ),
    Regimen(
        "linvoseltamab",
        ("linvoseltamab",),
        available=_d("2025-07-02"),
        min_line=5,
        weight=1,
        response=BISPECIFIC,
        pfs_months=12,
    ),
    Regimen(
        "cilta-cel",
        ("ciltacabtagene autoleucel",),
        kind="car_t",
        available=_d("2022-02-28"),
        withdrawn=_d("2024-04-05"),
        min_line=5,
        weight=2,
        response=CAR_T,
        pfs_months=30,
    ),
    Regimen(
        "cilta-cel",
        ("ciltacabtagene autoleucel",),
        kind="car_t",
        available=_d("2024-04-05"),
        min_line=2,
        weight=1.2,
        response=CAR_T,
        pfs_months=30,
    ),
    Regimen(
        "ide-cel",
        ("idecabtagene vicleucel",),
        kind="car_t",
        available=_d("2021-03-26"),
        withdrawn=_d("2024-04-04"),
        min_line=5,
        weight=1.2,
        response=CAR_T,
        pfs_months=12,
    ),
    Regimen(
        "ide-cel",
        ("idecabtagene vicleucel",),
        kind="car_t",
        available=_d("2024-04-04"),
        min_line=3,
        weight=0.6,
        response=CAR_T,
        pfs_months=13,
    ),
    # Clinical trials: every entry carries setting "clinical_trial".
    Regimen(
        "iberdomide-d",
        ("iberdomide", "dexamethasone"),
        available=_d("2019-01-01"),
        min_line=3,
        weight=0.15,
        pfs_months=8,
        trial=True,
    ),
    Regimen(
        "mezigdomide-d",
        ("mezigdomide", "dexamethasone"),
        available=_d("2021-01-01"),
        min_line=4,
        weight=0.15,
        pfs_months=6,
        trial=True,
    ),
    Regimen(
        "linvoseltamab (trial)",
        ("linvoseltamab",),
        available=_d("2020-06-01"),
        withdrawn=_d("2025-07-02"),
        min_line=4,
        weight=0.15,
        response=BISPECIFIC,
        pfs_months=12,
        trial=True,
    ),
    Regimen(
        "etentamig (trial)",
        ("etentamig",),
        available=_d("2021-01-01"),
        min_line=4,
        weight=0.15,
        response=BISPECIFIC,
        pfs_months=12,
        trial=True,
    ),
    Regimen(
        "cevostamab (trial)",
        ("cevostamab",),
        available=_d("2019-06-01"),
        min_line=4,
        weight=0.15,
        pfs_months=8,
        trial=True,
    ),
    Regimen(
        "anito-cel (trial)",
        ("anitocabtagene autoleucel",),
        kind="car_t",
        available=_d("2022-01-01"),
        min_line=4,
        weight=0.15,
        response=CAR_T,
        pfs_months=24,
        trial=True,
    ),
    Regimen(
        "arlo-cel (trial)",
        ("arlocabtagene autoleucel",),
        kind="car_t",
        available=_d("2023-06-01"),
        min_line=5,
        weight=0.15,
        response=CAR_T,
        pfs_months=18,
        trial=True,
    ),
)

# When nothing else fits: older salvage regimens, chosen regardless of refractoriness.
FALLBACK: tuple[Regimen, ...] = tuple(r for r in RELAPSE if r.id in ("DCEP", "Cd", "Benda-d"))

# Bridging before CAR-T infusion: (drugs, weight). Rough, for demo only.
BRIDGING: tuple[tuple[tuple[str, ...], float], ...] = (
    (("dexamethasone",), 1.0),
    (("carfilzomib", "dexamethasone"), 1.5),
    (("pomalidomide", "dexamethasone"), 1.0),
    (("cyclophosphamide", "dexamethasone"), 1.0),
    (("daratumumab", "pomalidomide", "dexamethasone"), 1.0),
    (("selinexor", "dexamethasone"), 0.5),
    (("bortezomib", "dexamethasone"), 0.7),
)
LYMPHODEPLETION: tuple[str, ...] = ("fludarabine", "cyclophosphamide")

BONE_AGENTS: tuple[str, ...] = ("zoledronic acid", "zoledronic acid", "denosumab", "pamidronate")

# Doses that may be charted, (dose, unit) by drug; chosen at random. Illustrative only.
DOSES: dict[str, tuple[tuple[float, str], ...]] = {
    "lenalidomide": ((25.0, "mg"), (15.0, "mg"), (10.0, "mg"), (5.0, "mg")),
    "dexamethasone": ((40.0, "mg"), (20.0, "mg")),
    "pomalidomide": ((4.0, "mg"), (3.0, "mg")),
    "bortezomib": ((1.3, "mg/m2"),),
    "carfilzomib": ((56.0, "mg/m2"), (70.0, "mg/m2"), (27.0, "mg/m2")),
    "daratumumab": ((1800.0, "mg"), (16.0, "mg/kg")),
    "selinexor": ((100.0, "mg"), (80.0, "mg")),
}
MELPHALAN_CONDITIONING_DOSES: tuple[float, ...] = (200.0, 200.0, 200.0, 140.0)
MAINTENANCE_LENALIDOMIDE_DOSES: tuple[float, ...] = (10.0, 10.0, 15.0, 5.0)

# Grade weights over CTCAE grades 1..4. Rough, for demo only.
MILD = (0.55, 0.33, 0.11, 0.01)
MODERATE = (0.35, 0.35, 0.25, 0.05)
HEME = (0.1, 0.3, 0.4, 0.2)
CRS = (0.62, 0.33, 0.04, 0.01)
SEVERE = (0.0, 0.05, 0.85, 0.10)


@dataclass(frozen=True, slots=True)
class AdverseEventSpec:
    """An adverse event a drug may cause: CTCAE term, chance per course, grades, onset and duration."""

    term: str
    probability: float
    grades: tuple[float, ...]
    symptom: str | None = None
    onset: tuple[int, int] = (7, 120)  # days after the drug's start
    duration: tuple[int, int] = (5, 60)  # days until resolved
    grades_cum: tuple[float, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "grades_cum", tuple(accumulate(self.grades)))


_A = AdverseEventSpec
_NEUTROPENIA = _A("Neutrophil count decreased", 0.3, HEME, onset=(14, 120), duration=(7, 30))
_THROMBOCYTOPENIA = _A("Platelet count decreased", 0.2, HEME, onset=(14, 120), duration=(7, 30))
_CRS_BISPECIFIC = _A("Cytokine release syndrome", 0.6, CRS, "fever", onset=(1, 5), duration=(1, 4))
_ICANS = _A(
    "Immune effector cell-associated neurotoxicity syndrome",
    0.05,
    CRS,
    "confusion",
    onset=(2, 10),
    duration=(2, 10),
)
_BISPECIFIC_AES = (
    _CRS_BISPECIFIC,
    _ICANS,
    _A("Neutrophil count decreased", 0.45, HEME, onset=(7, 90), duration=(7, 30)),
    _A("Upper respiratory infection", 0.25, MILD, "fever", onset=(20, 200), duration=(5, 20)),
    _A("Lung infection", 0.15, MODERATE, "shortness_of_breath", onset=(30, 300), duration=(10, 40)),
)
_CAR_T_AES = (
    _A("Cytokine release syndrome", 0.9, CRS, "fever", onset=(1, 9), duration=(2, 10)),
    _A(
        "Immune effector cell-associated neurotoxicity syndrome",
        0.15,
        CRS,
        "confusion",
        onset=(3, 12),
        duration=(2, 14),
    ),
    _A("Neutrophil count decreased", 0.9, HEME, onset=(0, 10), duration=(14, 60)),
    _A("Platelet count decreased", 0.5, HEME, onset=(0, 14), duration=(14, 90)),
    _A("Upper respiratory infection", 0.2, MILD, "fever", onset=(30, 180), duration=(5, 20)),
)
_ANTI_CD38_AES = (
    _A("Infusion related reaction", 0.3, MILD, "shortness_of_breath", onset=(0, 1), duration=(1, 2)),
    _A("Upper respiratory infection", 0.2, MILD, "fever", onset=(20, 200), duration=(5, 20)),
    _A("Neutrophil count decreased", 0.15, HEME, onset=(20, 150), duration=(7, 30)),
)
_NEUROPATHY = _A(
    "Peripheral sensory neuropathy", 0.35, MODERATE, "numbness_tingling", onset=(30, 150), duration=(60, 365)
)

ADVERSE_EVENTS: dict[str, tuple[AdverseEventSpec, ...]] = {
    "bortezomib": (
        _NEUROPATHY,
        _A("Platelet count decreased", 0.15, HEME, onset=(7, 60), duration=(7, 21)),
        _A("Diarrhea", 0.12, MILD, "diarrhea"),
        _A("Constipation", 0.1, MILD, "constipation"),
    ),
    "thalidomide": (
        _A(
            "Peripheral sensory neuropathy",
            0.35,
            MODERATE,
            "numbness_tingling",
            onset=(60, 200),
            duration=(90, 365),
        ),
        _A("Constipation", 0.3, MILD, "constipation"),
        _A("Thromboembolic event", 0.05, MODERATE, onset=(14, 120), duration=(90, 180)),
    ),
    "lenalidomide": (
        _NEUTROPENIA,
        _A("Diarrhea", 0.15, MILD, "diarrhea", onset=(60, 400)),
        _A("Rash maculo-papular", 0.08, MILD, "rash", onset=(7, 40), duration=(7, 30)),
        _A("Fatigue", 0.15, MILD, "fatigue"),
        _A("Thromboembolic event", 0.04, MODERATE, onset=(14, 180), duration=(90, 180)),
    ),
    "pomalidomide": (
        _A("Neutrophil count decreased", 0.45, HEME, onset=(14, 90), duration=(7, 30)),
        _A("Fatigue", 0.2, MILD, "fatigue"),
        _A("Lung infection", 0.1, MODERATE, "fever", onset=(20, 200), duration=(10, 40)),
    ),
    "carfilzomib": (
        _A("Hypertension", 0.18, MODERATE, onset=(7, 200), duration=(30, 200)),
        _A("Dyspnea", 0.15, MILD, "shortness_of_breath"),
        _A("Heart failure", 0.04, SEVERE, "shortness_of_breath", onset=(14, 300), duration=(30, 120)),
        _A("Acute kidney injury", 0.05, MODERATE, onset=(7, 120), duration=(7, 40)),
    ),
    "ixazomib": (
        _A("Diarrhea", 0.2, MILD, "diarrhea"),
        _A("Rash maculo-papular", 0.1, MILD, "rash"),
        _A(
            "Peripheral sensory neuropathy",
            0.1,
            MILD,
            "numbness_tingling",
            onset=(60, 300),
            duration=(60, 300),
        ),
    ),
    "daratumumab": _ANTI_CD38_AES,
    "isatuximab": _ANTI_CD38_AES,
    "elotuzumab": (
        _A("Infusion related reaction", 0.1, MILD, onset=(0, 1), duration=(1, 2)),
        _A("Upper respiratory infection", 0.15, MILD, "fever", onset=(20, 200), duration=(5, 20)),
    ),
    "selinexor": (
        _A("Nausea", 0.6, MILD, "nausea", onset=(2, 30)),
        _A("Platelet count decreased", 0.45, HEME, onset=(7, 60), duration=(7, 30)),
        _A("Fatigue", 0.4, MODERATE, "fatigue", onset=(7, 60)),
        _A("Hyponatremia", 0.15, MODERATE, onset=(7, 60), duration=(3, 14)),
        _A("Anorexia", 0.3, MILD, onset=(7, 60)),
        _A("Weight loss", 0.25, MILD, onset=(30, 120), duration=(30, 120)),
    ),
    "venetoclax": (
        _A("Neutrophil count decreased", 0.25, HEME, onset=(14, 90), duration=(7, 30)),
        _A("Diarrhea", 0.2, MILD, "diarrhea"),
    ),
    "panobinostat": (
        _A("Diarrhea", 0.5, MODERATE, "diarrhea", onset=(7, 60)),
        _A("Fatigue", 0.3, MILD, "fatigue"),
        _A("Platelet count decreased", 0.4, HEME, onset=(7, 60), duration=(7, 30)),
    ),
    "melphalan": (
        _A("Mucositis oral", 0.5, MODERATE, "mouth_sores", onset=(3, 10), duration=(5, 14)),
        _A("Febrile neutropenia", 0.35, SEVERE, "fever", onset=(4, 12), duration=(3, 10)),
        _A("Nausea", 0.4, MILD, "nausea", onset=(0, 5), duration=(3, 14)),
        _A("Diarrhea", 0.3, MILD, "diarrhea", onset=(3, 10), duration=(3, 14)),
    ),
    "cyclophosphamide": (
        _A("Neutrophil count decreased", 0.2, HEME, onset=(5, 20), duration=(5, 20)),
        _A("Nausea", 0.15, MILD, "nausea", onset=(0, 3), duration=(2, 7)),
    ),
    "etoposide": (_A("Febrile neutropenia", 0.2, SEVERE, "fever", onset=(7, 20), duration=(3, 10)),),
    "cisplatin": (_A("Nausea", 0.3, MILD, "nausea", onset=(0, 3), duration=(2, 7)),),
    "fludarabine": (_A("Neutrophil count decreased", 0.6, HEME, onset=(5, 15), duration=(7, 30)),),
    "bendamustine": (_A("Neutrophil count decreased", 0.3, HEME, onset=(7, 30), duration=(7, 21)),),
    "melphalan flufenamide": (
        _A("Platelet count decreased", 0.6, HEME, onset=(7, 40), duration=(7, 30)),
        _A("Neutrophil count decreased", 0.5, HEME, onset=(7, 40), duration=(7, 30)),
    ),
    "belantamab mafodotin": (
        _A("Keratitis", 0.6, MODERATE, "blurred_vision", onset=(20, 90), duration=(30, 120)),
        _A("Blurred vision", 0.3, MODERATE, "blurred_vision", onset=(20, 90), duration=(30, 120)),
        _A("Platelet count decreased", 0.2, HEME, onset=(7, 60), duration=(7, 30)),
    ),
    "teclistamab": _BISPECIFIC_AES,
    "elranatamab": _BISPECIFIC_AES,
    "linvoseltamab": _BISPECIFIC_AES,
    "etentamig": _BISPECIFIC_AES,
    "cevostamab": _BISPECIFIC_AES,
    "talquetamab": (
        _A("Cytokine release syndrome", 0.7, CRS, "fever", onset=(1, 5), duration=(1, 4)),
        _ICANS,
        _A("Dysgeusia", 0.6, MILD, "taste_change", onset=(14, 60), duration=(60, 300)),
        _A("Nail ridging", 0.4, MILD, onset=(30, 120), duration=(60, 300)),
        _A("Weight loss", 0.3, MILD, onset=(30, 150), duration=(60, 300)),
        _A("Rash maculo-papular", 0.2, MILD, "rash", onset=(14, 60), duration=(14, 60)),
    ),
    "ciltacabtagene autoleucel": _CAR_T_AES,
    "idecabtagene vicleucel": _CAR_T_AES,
    "anitocabtagene autoleucel": _CAR_T_AES,
    "arlocabtagene autoleucel": _CAR_T_AES,
    "iberdomide": (_A("Neutrophil count decreased", 0.5, HEME, onset=(14, 90), duration=(7, 30)),),
    "mezigdomide": (_A("Neutrophil count decreased", 0.6, HEME, onset=(14, 90), duration=(7, 30)),),
    "dexamethasone": (
        _A("Hyperglycemia", 0.04, MILD, onset=(7, 120), duration=(7, 60)),
        _A("Insomnia", 0.05, MILD, onset=(1, 30), duration=(7, 120)),
    ),
    "prednisone": (_A("Hyperglycemia", 0.05, MILD, onset=(7, 120), duration=(7, 60)),),
}

# Where synthetic patients live: (country, city centre latitude, longitude, uses US units). Illustrative.
PLACES: tuple[tuple[str, float, float, bool], ...] = (
    ("US", 42.36, -71.06, True),
    ("US", 40.71, -74.01, True),
    ("US", 29.76, -95.37, True),
    ("US", 44.02, -92.47, True),
    ("US", 41.88, -87.63, True),
    ("US", 34.05, -118.24, True),
    ("US", 47.61, -122.33, True),
    ("US", 33.75, -84.39, True),
    ("CA", 43.65, -79.38, False),
    ("GB", 51.51, -0.13, False),
    ("DE", 49.40, 8.69, False),
    ("FR", 48.86, 2.35, False),
    ("ES", 40.97, -5.66, False),
    ("IT", 44.49, 11.34, False),
    ("NL", 52.37, 4.90, False),
    ("AU", -37.81, 144.96, False),
)

COMORBIDITIES: tuple[tuple[str, float], ...] = (
    ("diabetes", 0.2),
    ("coronary_artery_disease", 0.12),
    ("arrhythmia", 0.1),
    ("uncontrolled_hypertension", 0.04),
    ("prior_vte", 0.06),
    ("copd", 0.08),
    ("prior_malignancy", 0.1),
    ("heart_failure", 0.05),
    ("peripheral_neuropathy", 0.05),
    ("hepatitis_b", 0.02),
    ("hiv", 0.005),
    ("dementia", 0.02),
    ("corneal_disease", 0.01),
    ("cirrhosis", 0.01),
)


@cache
def drug_classes() -> dict[str, str | None]:
    """Class of every drug the generator uses, from the rrmm drug vocabulary (checks the names, too)."""
    vocabulary = drug_vocabulary()
    names: set[str] = set(LYMPHODEPLETION) | set(BONE_AGENTS) | set(ADVERSE_EVENTS) | set(DOSES)
    for regimen in INDUCTION + FRONTLINE_INELIGIBLE + RELAPSE:
        names.update(regimen.drugs)
    for drugs, *_ in MAINTENANCE:
        names.update(drugs)
    for drugs, _ in BRIDGING:
        names.update(drugs)
    classes: dict[str, str | None] = {}
    for name in sorted(names):
        if vocabulary.resolve(name) != name:
            raise ValueError(f"synthetic catalogue: {name!r} is not the INN of the drug vocabulary")
        classes[name] = vocabulary.drug_class(name)
    return classes
