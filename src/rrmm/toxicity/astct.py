"""ASTCT consensus grading of cytokine release syndrome (CRS) and immune effector cell-associated
neurotoxicity syndrome (ICANS), with the ICE score.

Lee DW, Santomasso BD, Locke FL, et al. ASTCT consensus grading for cytokine release syndrome and neurologic
toxicity associated with immune effector cells. Biol Blood Marrow Transplant 2019;25(4):625-638.
DOI 10.1016/j.bbmt.2018.12.758. PMID 30592986.

CRS (Table: ASTCT CRS consensus grading): fever >= 38 C is required for every grade; the grade is set by the
more severe of hypotension and hypoxia:
- grade 1: fever, no hypotension, no hypoxia;
- grade 2: hypotension not requiring vasopressors, and/or hypoxia requiring low-flow nasal cannula
  (<= 6 L/min) or blow-by;
- grade 3: hypotension requiring one vasopressor (with or without vasopressin), and/or hypoxia requiring
  high-flow nasal cannula (> 6 L/min), facemask, non-rebreather mask or Venturi mask;
- grade 4: hypotension requiring multiple vasopressors (excluding vasopressin), and/or hypoxia requiring
  positive pressure (CPAP, BiPAP, intubation and mechanical ventilation).
Fever that antipyretics or anticytokine therapy has brought down does not lower the grade: the grade is then
driven by hypotension and hypoxia (the paper's footnote).

ICE score (10 points): orientation to year, month, city, hospital (4); naming three objects (3); following
simple commands (1); writing a standard sentence (1); counting backwards from 100 by 10 (1).

ICANS (Table: ASTCT ICANS consensus grading for adults), the most severe of its domains:
- ICE score: 7-9 grade 1; 3-6 grade 2; 0-2 grade 3; 0 because the patient is unarousable grade 4;
- depressed level of consciousness: awakens spontaneously 1; awakens to voice 2; awakens only to tactile
  stimulus 3; unarousable or needs vigorous/repetitive tactile stimuli to arouse, stupor or coma 4;
- seizure: any clinical seizure, focal or generalized, that resolves rapidly, or non-convulsive seizures on
  EEG that resolve with intervention 3; life-threatening prolonged seizure (> 5 min) or repetitive seizures
  without return to baseline 4;
- motor findings: deep focal motor weakness such as hemiparesis or paraparesis 4;
- raised intracranial pressure / cerebral edema: focal/local edema on neuroimaging 3; diffuse cerebral
  edema, decerebrate or decorticate posturing, cranial nerve VI palsy, papilledema or Cushing's triad 4.
An ICE score of 10 with no other finding is no ICANS (grade 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Oxygen = Literal["none", "low_flow", "high_flow", "positive_pressure"]
Vasopressors = Literal["none", "fluids_only", "one", "multiple"]
Consciousness = Literal["normal", "spontaneous", "voice", "tactile", "unarousable"]
Seizure = Literal["none", "resolved_rapidly", "prolonged"]
Edema = Literal["none", "focal", "diffuse"]

FEVER_C = 38.0

#: The grade each finding sets (the tables of Lee et al. 2019), shared by the graders and their explanations.
CRS_BY_PRESSURE: dict[str, int] = {"none": 1, "fluids_only": 2, "one": 3, "multiple": 4}
CRS_BY_OXYGEN: dict[str, int] = {"none": 1, "low_flow": 2, "high_flow": 3, "positive_pressure": 4}
ICANS_BY_CONSCIOUSNESS: dict[str, int] = {
    "normal": 0,
    "spontaneous": 1,
    "voice": 2,
    "tactile": 3,
    "unarousable": 4,
}
ICANS_BY_SEIZURE: dict[str, int] = {"none": 0, "resolved_rapidly": 3, "prolonged": 4}
ICANS_BY_EDEMA: dict[str, int] = {"none": 0, "focal": 3, "diffuse": 4}


def crs_grade(fever: bool, hypotension: Vasopressors, oxygen: Oxygen, fever_treated: bool = False) -> int:
    """ASTCT CRS grade (0-4). ``fever``: temperature >= 38 C not attributable to another cause.

    ``fever_treated``: antipyretic or anticytokine therapy (tocilizumab, corticosteroids) has been started;
    the grade is then driven by hypotension and hypoxia, and a fever it brought down still counts.

    ``hypotension``: ``none``; ``fluids_only`` (not requiring vasopressors); ``one`` vasopressor (with or
    without vasopressin); ``multiple`` vasopressors (excluding vasopressin). ``oxygen``: ``none``;
    ``low_flow`` nasal cannula <= 6 L/min or blow-by; ``high_flow`` > 6 L/min, facemask, non-rebreather or
    Venturi; ``positive_pressure`` CPAP, BiPAP or mechanical ventilation.

    >>> crs_grade(True, "fluids_only", "none"), crs_grade(True, "one", "low_flow")
    (2, 3)
    >>> crs_grade(False, "none", "none"), crs_grade(False, "one", "none", fever_treated=True)
    (0, 3)
    """
    if not (fever or fever_treated):
        return 0
    return max(CRS_BY_PRESSURE[hypotension], CRS_BY_OXYGEN[oxygen])


@dataclass(frozen=True)
class IceAnswers:
    orientation: int  # 0-4: year, month, city, hospital
    naming: int  # 0-3 objects named
    follows_commands: bool
    writes_sentence: bool
    counts_backwards: bool

    def __post_init__(self) -> None:
        if not 0 <= self.orientation <= 4 or not 0 <= self.naming <= 3:
            raise ValueError("orientation is 0-4 points and naming 0-3")


def ice_score(a: IceAnswers) -> int:
    """The 10-point ICE score (Lee et al. 2019).

    >>> ice_score(IceAnswers(4, 3, True, True, True))
    10
    """
    return (
        a.orientation + a.naming + int(a.follows_commands) + int(a.writes_sentence) + int(a.counts_backwards)
    )


def icans_grade(
    ice: int | None,
    consciousness: Consciousness = "normal",
    seizure: Seizure = "none",
    motor_weakness: bool = False,
    edema: Edema = "none",
    unarousable: bool = False,
) -> int:
    """ASTCT ICANS grade (0-4) for adults: the most severe of its domains.

    ``ice`` is the ICE score (``None`` when it could not be done because the patient is unarousable: set
    ``unarousable``). ``consciousness``: ``normal``, or awakens ``spontaneously``, to ``voice``, only to
    ``tactile`` stimulus, or ``unarousable``.

    >>> icans_grade(9), icans_grade(6), icans_grade(2), icans_grade(10)
    (1, 2, 3, 0)
    >>> icans_grade(None, "unarousable", unarousable=True)
    4
    """
    grades = [0]
    if unarousable:
        grades.append(4)
    elif ice is not None:
        if not 0 <= ice <= 10:
            raise ValueError("the ICE score is 0-10")
        grades.append(0 if ice == 10 else 1 if ice >= 7 else 2 if ice >= 3 else 3)
    grades.append(ICANS_BY_CONSCIOUSNESS[consciousness])
    grades.append(ICANS_BY_SEIZURE[seizure])
    grades.append(4 if motor_weakness else 0)
    grades.append(ICANS_BY_EDEMA[edema])
    return max(grades)


@dataclass(frozen=True)
class AstctGrade:
    """A grade with the findings that set it (the domains at that grade)."""

    syndrome: str  # "CRS" or "ICANS"
    grade: int
    because: tuple[str, ...]


_PRESSURE_TEXT = {
    "none": "no hypotension",
    "fluids_only": "hypotension not requiring vasopressors",
    "one": "hypotension requiring one vasopressor",
    "multiple": "hypotension requiring multiple vasopressors",
}
_OXYGEN_TEXT = {
    "none": "no hypoxia",
    "low_flow": "hypoxia requiring low-flow nasal cannula or blow-by",
    "high_flow": "hypoxia requiring high-flow nasal cannula, facemask, non-rebreather or Venturi mask",
    "positive_pressure": "hypoxia requiring positive pressure (CPAP, BiPAP, mechanical ventilation)",
}


def explain_crs(
    fever: bool, hypotension: Vasopressors, oxygen: Oxygen, fever_treated: bool = False
) -> AstctGrade:
    """:func:`crs_grade` with the findings that set it (Lee et al. 2019, ASTCT CRS consensus grading).

    >>> explain_crs(True, "fluids_only", "high_flow").because
    ('hypoxia requiring high-flow nasal cannula, facemask, non-rebreather or Venturi mask',)
    """
    grade = crs_grade(fever, hypotension, oxygen, fever_treated)
    if grade == 0:
        return AstctGrade("CRS", 0, ("no fever (38 C or more) and no antipyretic or anticytokine treatment",))
    by_pressure, by_oxygen = CRS_BY_PRESSURE[hypotension], CRS_BY_OXYGEN[oxygen]
    if grade == 1:
        because: tuple[str, ...] = ("fever of 38 C or more, no hypotension, no hypoxia",)
    else:
        because = tuple(
            text
            for level, text in ((by_pressure, _PRESSURE_TEXT[hypotension]), (by_oxygen, _OXYGEN_TEXT[oxygen]))
            if level == grade
        )
    if fever_treated and not fever:
        because += ("fever brought down by antipyretic or anticytokine therapy still counts",)
    return AstctGrade("CRS", grade, because)


_SEIZURE_TEXT = {
    "resolved_rapidly": "seizure that resolved rapidly",
    "prolonged": "prolonged (> 5 min) or repetitive seizures",
}
_EDEMA_TEXT = {"focal": "focal edema on neuroimaging", "diffuse": "diffuse cerebral edema"}


def explain_icans(
    ice: int | None,
    consciousness: Consciousness = "normal",
    seizure: Seizure = "none",
    motor_weakness: bool = False,
    edema: Edema = "none",
    unarousable: bool = False,
) -> AstctGrade:
    """:func:`icans_grade` with the domains that set it (Lee et al. 2019, ASTCT ICANS grading for adults).

    >>> explain_icans(5, "spontaneous")
    AstctGrade(syndrome='ICANS', grade=2, because=('ICE score 5 (3-6)',))
    """
    grade = icans_grade(ice, consciousness, seizure, motor_weakness, edema, unarousable)
    if grade == 0:
        return AstctGrade(
            "ICANS", 0, ("ICE score 10 and no other finding",) if ice == 10 else ("no finding",)
        )
    found: list[tuple[int, str]] = []
    if unarousable:
        found.append((4, "ICE score 0: patient unarousable"))
    elif ice is not None and ice < 10:
        band = "7-9" if ice >= 7 else "3-6" if ice >= 3 else "0-2"
        found.append((icans_grade(ice), f"ICE score {ice} ({band})"))
    if ICANS_BY_CONSCIOUSNESS[consciousness]:
        found.append(
            (ICANS_BY_CONSCIOUSNESS[consciousness], f"depressed level of consciousness: {consciousness}")
        )
    if seizure != "none":
        found.append((ICANS_BY_SEIZURE[seizure], _SEIZURE_TEXT[seizure]))
    if motor_weakness:
        found.append((4, "deep focal motor weakness"))
    if edema != "none":
        found.append((ICANS_BY_EDEMA[edema], _EDEMA_TEXT[edema]))
    return AstctGrade("ICANS", grade, tuple(text for level, text in found if level == grade))
