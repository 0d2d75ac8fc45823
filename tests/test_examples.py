"""The example records under ``examples/``: each validates, and the engine says what the definitions say.

Every expectation below was worked out by hand from the definitions in the docstrings of
``rrmm.clinical.lines``, ``response``, ``refractoriness``, ``staging`` and ``kidney``, never copied from the
engine's output:

- Response (IMWG 2016): PR >= 50% fall in serum M-protein (with urine < 200 mg/24 h or -90% when urine is
  measurable), VGPR >= 90% (urine < 100 mg/24 h), MR 25-49%; FLC-only disease by the fall in dFLC
  (involved minus uninvolved FLC). CR needs negative serum and urine immunofixation and < 5% marrow
  plasma cells; without them VGPR at most. Every category needs two consecutive assessments and the lower
  of the two is the one confirmed.
- Progression: +25% from the lowest value and >= 0.5 g/dL serum (>= 200 mg/24 h urine; > 100 mg/L dFLC in
  FLC-only disease), confirmed by the next result and dated at the first of the two.
- Lines: drugs started within 30 days are one regimen; induction, transplant and consolidation/maintenance
  are one line; bridging and the CAR T-cell infusion are one line; corticosteroids never a line; no join
  across a progression.
- Refractory drug: progression on it or within 60 days of its last dose, or best response below MR on
  its line. Status is that of the latest progression (primary refractory when no line ever reached MR).
- ISS: I when beta-2 microglobulin < 3.5 mg/L and albumin >= 3.5 g/dL, III when beta-2 microglobulin
  >= 5.5 mg/L, else II; R-ISS and R2-ISS add del(17p), t(4;14), t(14;16) (R-ISS), LDH > upper limit of
  normal and 1q+ (R2-ISS points: ISS II 1, ISS III 1.5, del(17p) 1, LDH 1, t(4;14) 1, 1q+ 0.5).
- Cockcroft-Gault: (140 - age) x weight / (72 x creatinine mg/dL), x 0.85 for women, with the latest
  creatinine on or before ``as_of``.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from rrmm.planning import build_plan
from rrmm.planning.plan import DiseaseOut
from rrmm.record import record_from_json, record_from_mapping

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "contracts" / "patient-record.schema.json"

EXAMPLE_FILES = (
    "len-refractory-after-one-line.json",
    "triple-class-refractory.json",
    "penta-refractory-after-car-t.json",
    "t11-14.json",
    "renal-failure.json",
    "neuropathy.json",
    "frail-elderly.json",
    "late-relapse-off-therapy.json",
    "primary-refractory.json",
    "flc-only-disease.json",
)

VRD_ASCT = ["bortezomib", "dexamethasone", "lenalidomide", "melphalan"]  # melphalan 200: the conditioning


@cache
def disease(name: str) -> DiseaseOut:
    return build_plan(record_from_json((EXAMPLES / name).read_text())).disease


def line_facts(d: DiseaseOut) -> list[dict[str, Any]]:
    return [
        {
            "drugs": line.drugs,
            "transplant": line.includes_transplant,
            "car_t": line.includes_car_t,
            "best": line.best_response,
            "ended_by": line.ended_by,
            "refractory": line.refractory_drugs,
            "progression": line.progression_date,
        }
        for line in d.lines
    ]


def line(
    drugs: list[str],
    best: str | None,
    ended_by: str | None,
    refractory: list[str],
    progression: str | None,
    transplant: bool = False,
    car_t: bool = False,
) -> dict[str, Any]:
    return {
        "drugs": drugs,
        "transplant": transplant,
        "car_t": car_t,
        "best": best,
        "ended_by": ended_by,
        "refractory": refractory,
        "progression": dt.date.fromisoformat(progression) if progression else None,
    }


def summary(d: DiseaseOut) -> dict[str, Any]:
    return {
        "exposed_drugs": d.exposed_drugs,
        "refractory_drugs": d.refractory_drugs,
        "exposed_classes": d.exposed_classes,
        "refractory_classes": d.refractory_classes,
        "triple_class_exposed": d.triple_class_exposed,
        "triple_class_refractory": d.triple_class_refractory,
        "penta_exposed": d.penta_exposed,
        "penta_refractory": d.penta_refractory,
        "prior_bcma": d.prior_bcma,
        "status": d.status.value,
        "current_response": d.current_response,
    }


def stage(d: DiseaseOut) -> tuple[str | None, str | None, str | None]:
    return d.stage.iss, d.stage.r_iss, d.stage.r2_iss


# --- the files themselves -------------------------------------------------------------------------------


def test_the_ten_examples_are_there():
    assert sorted(p.name for p in EXAMPLES.glob("*.json")) == sorted(EXAMPLE_FILES)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_example_validates_against_the_schema_file(path: Path):
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA.is_file():
        pytest.skip(f"the shared contract {SCHEMA} is not beside this clone (../shared/contracts)")
    validator = jsonschema.Draft202012Validator(
        json.loads(SCHEMA.read_text()), format_checker=jsonschema.FormatChecker()
    )
    record = json.loads(path.read_text())
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(record)]
    assert errors == []


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_example_loads_as_a_record(path: Path):
    record = record_from_json(path.read_text())
    assert record.schema_version == "1"
    assert record.as_of is not None  # every example states the date it is evaluated at


# --- 1. VRd + ASCT + lenalidomide maintenance, progression on maintenance (the `make demo` record) -------


def test_len_refractory_after_one_line():
    d = disease("len-refractory-after-one-line.json")
    # One line: VRd from 2021-03-15, melphalan 200 + ASCT 2021-07-27 (transplant after induction) and
    # lenalidomide from 2021-10-25 labelled maintenance: a planned sequence, one line. Zoledronic acid is a
    # bone agent, never a line or an exposure.
    # Response against the baseline 3.4 g/dL (2021-03-02): 2.2 (-35% MR), 1.1 (-68% PR), 0.6, 0.38 (-89% PR),
    # 0.22 (-93.5% VGPR), 0.18 (-94.7% VGPR): VGPR confirmed by two consecutive assessments. Not CR: serum
    # immunofixation positive on 2021-10-18.
    # Progression: nadir 0.1 g/dL; 0.5 on 2024-08-05 is +0.4 (< 0.5 g/dL), 0.72 on 2024-09-09 is +0.62 and
    # 0.98 on 2024-10-07 confirms: progression dated 2024-09-09, while lenalidomide was being given
    # (stopped 2024-10-10): lenalidomide refractory. Bortezomib stopped 2021-06-17, 3 years before: not.
    assert d.lines_of_therapy == 1
    assert line_facts(d) == [
        line(VRD_ASCT, "VGPR", "progression", ["lenalidomide"], "2024-09-09", transplant=True),
    ]
    assert summary(d) == {
        "exposed_drugs": ["bortezomib", "lenalidomide", "melphalan"],
        "refractory_drugs": ["lenalidomide"],
        "exposed_classes": ["IMiD", "PI", "alkylator"],
        "refractory_classes": ["IMiD"],
        "triple_class_exposed": False,
        "triple_class_refractory": False,
        "penta_exposed": False,
        "penta_refractory": False,
        "prior_bcma": False,
        # the latest (only) progression came on lenalidomide, after a VGPR: relapsed and refractory
        "status": "relapsed_and_refractory",
        "current_response": "PD",
    }
    # ISS II: beta-2 microglobulin 4.2 mg/L (3.5-5.5). R-ISS II (ISS II whatever else). R2-ISS: ISS II 1,
    # del(17p)/t(4;14) absent, LDH 198 <= 250, gain(1q) absent: 1 point, R2-ISS II.
    assert stage(d) == ("II", "II", "II")
    # IMS/IMWG 2025, all four criteria tested negative: del(17p) absent and no TP53 mutation; no IgH
    # translocation (t(4;14), t(14;16), t(14;20) absent); del(1p) absent; beta-2 microglobulin 4.2 < 5.5.
    assert d.high_risk.value is False
    # Cockcroft-Gault on 2024-11-15: age 64, 82 kg, creatinine 1.05 (2024-10-07), male:
    # 76 x 82 / (72 x 1.05) = 6232 / 75.6 = 82.4 mL/min
    assert d.crcl_ml_min == pytest.approx(82.4, abs=0.05)
    # age 64 (< 65), ECOG 1, nothing against transplant
    assert d.transplant_eligible.value is True


# --- 2. triple-class refractory after 3 lines --------------------------------------------------------


def test_triple_class_refractory():
    d = disease("triple-class-refractory.json")
    # Line 1 VRd + ASCT + lenalidomide maintenance. Baseline 2.6 g/dL: 1.4 (-46% MR), 0.8 (-69% PR), ...,
    # 0.2 (-92% VGPR), 0.18 (-93% VGPR): VGPR. Nadir 0.14; 0.55 (+0.41) no; 0.72 (2021-01-11, +0.58) and
    # 1.05 confirm: progression on maintenance, lenalidomide refractory.
    # Line 2 DKd from 2021-02-22 (a progression was recorded 2021-02-08: new line). Baseline 1.2 (C1D1):
    # 0.55 (-54% PR), 0.3, 0.18, 0.1 (-91.7% VGPR), 0.08 (VGPR): VGPR. Nadir 0.07; 0.48 (+0.41) no;
    # 0.66 (2022-07-05, +0.59) and 0.9 confirm: progression on DKd, daratumumab and carfilzomib refractory.
    # Line 3 EPd from 2022-08-15. Baseline 1.1: 0.8 (-27% MR), 0.52 (-53% PR), 0.45 (PR): PR. Nadir 0.4;
    # 0.8 (+0.4) no; 0.95 (2023-05-01, +0.55) and 1.2 confirm (the new bone lesion of 2023-05-29 is later):
    # elotuzumab and pomalidomide refractory.
    assert d.lines_of_therapy == 3
    assert line_facts(d) == [
        line(VRD_ASCT, "VGPR", "progression", ["lenalidomide"], "2021-01-11", transplant=True),
        line(["carfilzomib", "daratumumab", "dexamethasone"], "VGPR", "progression",
             ["carfilzomib", "daratumumab"], "2022-07-05"),
        line(["dexamethasone", "elotuzumab", "pomalidomide"], "PR", "progression",
             ["elotuzumab", "pomalidomide"], "2023-05-01"),
    ]  # fmt: skip
    assert summary(d) == {
        "exposed_drugs": [
            "bortezomib", "carfilzomib", "daratumumab", "elotuzumab", "lenalidomide", "melphalan",
            "pomalidomide",
        ],
        "refractory_drugs": ["carfilzomib", "daratumumab", "elotuzumab", "lenalidomide", "pomalidomide"],
        "exposed_classes": ["IMiD", "PI", "alkylator", "anti-CD38", "anti-SLAMF7"],
        "refractory_classes": ["IMiD", "PI", "anti-CD38", "anti-SLAMF7"],
        "triple_class_exposed": True,
        # PI (carfilzomib) + IMiD (lenalidomide, pomalidomide) + anti-CD38 (daratumumab)
        "triple_class_refractory": True,
        # all five penta drugs given, but bortezomib (induction, stopped 2018) is not refractory
        "penta_exposed": True,
        "penta_refractory": False,
        "prior_bcma": False,
        "status": "relapsed_and_refractory",
        "current_response": "PD",
    }  # fmt: skip
    # ISS III (beta-2 microglobulin 6.3). R-ISS III: ISS III with t(4;14). R2-ISS: ISS III 1.5 + t(4;14) 1
    # + gain(1q) 0.5 = 3 (LDH 231 <= 245, del(17p) absent): IV.
    assert stage(d) == ("III", "III", "IV")
    # IMS/IMWG 2025: t(4;14) with 1q+; and beta-2 microglobulin 6.3 with creatinine 0.9
    assert d.high_risk.value is True
    # 65 years on 2023-06-15, 66 kg, creatinine 1.1, female: 75 x 66 / (72 x 1.1) x 0.85 = 53.1 mL/min
    assert d.crcl_ml_min == pytest.approx(53.1, abs=0.05)


# --- 3. penta-refractory, then bridging + cilta-cel, then progression after CAR-T -------------------------


def test_penta_refractory_after_car_t():
    d = disease("penta-refractory-after-car-t.json")
    # Line 1 VRd + ASCT + lenalidomide maintenance: 4.1 -> 0.35 (-91.5%) and 0.3 (-92.7%): VGPR; nadir 0.28,
    # 0.85 (2019-09-09, +0.57) and 1.1 confirm: progression on lenalidomide.
    # Line 2 DKd: baseline 1.35; 0.7 (-48% MR), 0.45 (-67% PR), ... 0.2 (-85% PR): PR; nadir 0.2, 0.8
    # (2021-01-04, +0.6) and 1.05 confirm: daratumumab, carfilzomib refractory.
    # Line 3 PVd: baseline 1.2; 0.7 (MR), 0.5 (-58% PR), 0.42: PR; nadir 0.38, 0.95 (2022-05-30, +0.57) and
    # 1.2 confirm: pomalidomide, bortezomib refractory. Penta-refractory from here on.
    # Line 4: selinexor-dexamethasone bridging, fludarabine-cyclophosphamide lymphodepletion and cilta-cel
    # 2022-09-03: one line (lymphodepletion is neither a drug of the line nor an exposure). Baseline 1.4
    # (2022-07-18): 1.25 on bridging (SD), then 0.5 (-64% PR), 0.15 (PR; immunofixation positive that day),
    # then 2022-12-05 and 2023-01-09: M-protein 0, serum and urine immunofixation negative, marrow 1%
    # plasma cells and MRD negative (2022-12-05), kappa/lambda 0.86 and 0.87: sCR twice, confirmed.
    # The M-protein returns: nadir 0; 0.45 (+0.45) no; 0.75 on 2023-11-27 and 1.1 confirm: progression
    # 15 months after the single infusion, far more than 60 days after any dose of line 4: cilta-cel and
    # selinexor are not refractory, and the line ended by completing its therapy.
    assert d.lines_of_therapy == 4
    assert line_facts(d) == [
        line(VRD_ASCT, "VGPR", "progression", ["lenalidomide"], "2019-09-09", transplant=True),
        line(["carfilzomib", "daratumumab", "dexamethasone"], "PR", "progression",
             ["carfilzomib", "daratumumab"], "2021-01-04"),
        line(["bortezomib", "dexamethasone", "pomalidomide"], "PR", "progression",
             ["bortezomib", "pomalidomide"], "2022-05-30"),
        line(["ciltacabtagene autoleucel", "dexamethasone", "selinexor"], "sCR", "completed", [],
             "2023-11-27", car_t=True),
    ]  # fmt: skip
    assert summary(d) == {
        "exposed_drugs": [
            "bortezomib", "carfilzomib", "ciltacabtagene autoleucel", "daratumumab", "lenalidomide",
            "melphalan", "pomalidomide", "selinexor",
        ],
        "refractory_drugs": ["bortezomib", "carfilzomib", "daratumumab", "lenalidomide", "pomalidomide"],
        "exposed_classes": ["BCMA", "IMiD", "PI", "XPO1", "alkylator", "anti-CD38"],
        "refractory_classes": ["IMiD", "PI", "anti-CD38"],
        "triple_class_exposed": True,
        "triple_class_refractory": True,
        "penta_exposed": True,
        "penta_refractory": True,
        "prior_bcma": True,
        # The status is that of the latest progression (refractoriness.disease_status): it came 15 months
        # after the cilta-cel infusion, not on therapy nor within 60 days of it, after an sCR: relapsed.
        # The earlier refractoriness is carried by penta_refractory, not by the status.
        "status": "relapsed",
        "current_response": "PD",
    }  # fmt: skip
    assert d.prior_car_t is True
    # ISS II (beta-2 microglobulin 4.1) -> R-ISS II. R2-ISS: ISS II 1 + del(17p) 1 + LDH 310 > 250 1 = 3
    # (gain(1q) absent at diagnosis; the 1q gain found at relapse in 2022 is not "at diagnosis"): IV.
    assert stage(d) == ("II", "II", "IV")
    assert d.high_risk.value is True  # del(17p) in 62% (> 20%) of plasma cells
    # 60 years, 88 kg, creatinine 1.2, male: 80 x 88 / (72 x 1.2) = 81.5 mL/min
    assert d.crcl_ml_min == pytest.approx(81.5, abs=0.05)


# --- 4. t(11;14), two prior lines -----------------------------------------------------------------------


def test_t11_14_after_two_lines():
    d = disease("t11-14.json")
    # Line 1 VRd + ASCT + lenalidomide maintenance. Baseline 2.3: 1.5 (-35% MR), 0.95 (-59% PR), ... the
    # lowest 0.25 is an 89.1% fall, just short of 90%: best PR (no VGPR). Nadir 0.25; 0.6 (+0.35) no;
    # 0.82 (2022-02-07, +0.57) and 1.08 confirm: lenalidomide refractory.
    # Line 2 DPd: baseline 1.2 (C1D1); 0.7 (-42% MR), 0.5 (-58% PR), 0.4, 0.35, 0.3 (-75%): PR. Nadir 0.3;
    # 0.62 (+0.32) no; 0.85 (2023-05-30, +0.55) and 1.1 confirm: daratumumab and pomalidomide refractory.
    assert d.lines_of_therapy == 2
    assert line_facts(d) == [
        line(VRD_ASCT, "PR", "progression", ["lenalidomide"], "2022-02-07", transplant=True),
        line(["daratumumab", "dexamethasone", "pomalidomide"], "PR", "progression",
             ["daratumumab", "pomalidomide"], "2023-05-30"),
    ]  # fmt: skip
    assert summary(d) == {
        "exposed_drugs": ["bortezomib", "daratumumab", "lenalidomide", "melphalan", "pomalidomide"],
        "refractory_drugs": ["daratumumab", "lenalidomide", "pomalidomide"],
        "exposed_classes": ["IMiD", "PI", "alkylator", "anti-CD38"],
        "refractory_classes": ["IMiD", "anti-CD38"],
        # exposed to all three classes, but the PI (bortezomib, stopped 2020-01-17) is not refractory
        "triple_class_exposed": True,
        "triple_class_refractory": False,
        "penta_exposed": False,  # no carfilzomib
        "penta_refractory": False,
        "prior_bcma": False,
        "status": "relapsed_and_refractory",
        "current_response": "PD",
    }
    # ISS I: beta-2 microglobulin 2.8 < 3.5 and albumin 3.9 >= 3.5. R-ISS I: del(17p), t(4;14), t(14;16)
    # absent and LDH 182 <= 250. R2-ISS: 0 points (1q gain tested absent): I.
    assert stage(d) == ("I", "I", "I")
    # 67 years on 2023-07-10, 61 kg, creatinine 0.9, female: 73 x 61 / (72 x 0.9) x 0.85 = 58.4 mL/min
    assert d.crcl_ml_min == pytest.approx(58.4, abs=0.05)


# --- 5. renal failure: cast-nephropathy presentation, creatinine in umol/L ---------------------------------


def test_renal_failure():
    d = disease("renal-failure.json")
    # Line 1 VCd (bortezomib, cyclophosphamide, dexamethasone) 2022-01-20 to 2022-07-01, completed; no
    # transplant. Both serum (1.8 g/dL) and urine (2,450 mg/24 h) are measurable at baseline:
    # 2022-02-14 serum -39%, urine -63%: MR; 2022-03-14 serum -67%, urine 180 (< 200): PR; 2022-04-11 and
    # 2022-05-09 serum -81%, -89%: PR; 2022-06-06 serum 0.15 (-91.7%) with urine 40 (< 100): VGPR;
    # 2022-07-05 serum -93%, urine 30: VGPR, confirmed. Not CR: immunofixation positive.
    # Progression: serum nadir 0.1, 0.74 on 2023-07-03 (+0.64) and 1.0 confirm; urine nadir 30, 420 (+390)
    # and 780 confirm; both on 2023-07-03, 367 days after the last dose: relapsed, not refractory.
    assert d.lines_of_therapy == 1
    assert line_facts(d) == [
        line(["bortezomib", "cyclophosphamide", "dexamethasone"], "VGPR", "completed", [], "2023-07-03"),
    ]
    assert summary(d) == {
        "exposed_drugs": ["bortezomib", "cyclophosphamide"],
        "refractory_drugs": [],
        "exposed_classes": ["PI", "alkylator"],
        "refractory_classes": [],
        "triple_class_exposed": False,
        "triple_class_refractory": False,
        "penta_exposed": False,
        "penta_refractory": False,
        "prior_bcma": False,
        "status": "relapsed",
        "current_response": "PD",
    }
    # ISS III (beta-2 microglobulin 12.4, high with the kidneys). R-ISS II: ISS III but del(17p), t(4;14),
    # t(14;16) absent and LDH 205 <= 250. R2-ISS: ISS III 1.5 + gain(1q) 0.5 = 2: III.
    assert stage(d) == ("III", "II", "III")
    # IMS/IMWG 2025: beta-2 microglobulin >= 5.5 counts only with creatinine < 1.2 mg/dL, and it was
    # 540 umol/L (6.1 mg/dL); del(17p), TP53, the IgH translocations and del(1p) were all tested negative.
    assert d.high_risk.value is False
    # Latest creatinine 310 umol/L (2023-07-31) = 310 x 113.12 / 10,000 = 3.507 mg/dL; age 73, 76 kg, male:
    # 67 x 76 / (72 x 3.507) = 5092 / 252.5 = 20.2 mL/min (< 30)
    assert d.crcl_ml_min == pytest.approx(20.2, abs=0.05)
    assert d.on_dialysis is False
    assert d.transplant_eligible.value is False  # age 73, above the default limit of 70


# --- 6. grade 2-3 neuropathy after bortezomib; now responding on DKd ----------------------------------------


def test_neuropathy():
    d = disease("neuropathy.json")
    # Line 1: VRd, bortezomib stopped for grade 3 neuropathy on 2021-01-15 (a stop is not a new line), Rd
    # to 2021-03-26, ASCT, lenalidomide maintenance. Baseline 3.0: 1.9 (-37% MR), 1.2 (-60% PR), ...,
    # 0.2 (-93% VGPR), 0.18 (-94% VGPR): VGPR. Nadir 0.12; 0.48 (+0.36) no; 0.7 on 2023-06-12 (+0.58) and
    # 1.1 confirm: on lenalidomide maintenance. Bortezomib stopped 2.5 years earlier: not refractory.
    # Line 2 DKd from 2023-07-24, ongoing. Baseline 1.25 (C1D1): 0.75 (-40% MR), 0.45 (-64% PR), 0.25, 0.15
    # (-88% PR), 0.1 (-92% VGPR), 0.08, 0.07, 0.06, 0.06, 0.07 (all VGPR; immunofixation positive, no CR):
    # VGPR, still the latest confirmed response. No progression: nothing refractory on line 2.
    assert d.lines_of_therapy == 2
    assert line_facts(d) == [
        line(VRD_ASCT, "VGPR", "progression", ["lenalidomide"], "2023-06-12", transplant=True),
        line(["carfilzomib", "daratumumab", "dexamethasone"], "VGPR", None, [], None),
    ]
    assert d.lines[1].end is None  # ongoing
    assert summary(d) == {
        "exposed_drugs": ["bortezomib", "carfilzomib", "daratumumab", "lenalidomide", "melphalan"],
        "refractory_drugs": ["lenalidomide"],
        "exposed_classes": ["IMiD", "PI", "alkylator", "anti-CD38"],
        "refractory_classes": ["IMiD"],
        "triple_class_exposed": True,
        "triple_class_refractory": False,
        "penta_exposed": False,
        "penta_refractory": False,
        "prior_bcma": False,
        # the latest progression (line 1) came on lenalidomide
        "status": "relapsed_and_refractory",
        "current_response": "VGPR",
    }
    # ISS I (2.9 mg/L, albumin 4.1), standard-risk FISH and LDH 170 <= 250: R-ISS I; R2-ISS 0 points: I.
    assert stage(d) == ("I", "I", "I")
    # 63 years, 70 kg, creatinine 0.85, female: 77 x 70 / (72 x 0.85) x 0.85 = 77 x 70 / 72 = 74.9 mL/min
    assert d.crcl_ml_min == pytest.approx(74.9, abs=0.05)


# --- 7. frail, 84 years old, ECOG 3, heart failure: DRd then progression -----------------------------------


def test_frail_elderly():
    d = disease("frail-elderly.json")
    # One line: daratumumab + lenalidomide + dexamethasone (dexamethasone stopped after a year: a steroid,
    # not a line). Baseline 2.4: 1.5 (-37.5% MR), 0.9 (-62.5% PR), ..., 0.22 (-90.8% VGPR), 0.2 (-91.7%):
    # VGPR. Nadir 0.15; 0.5 (+0.35), 0.6 (+0.45) no; 0.72 on 2024-11-04 (+0.57) and 0.9 confirm: progression
    # on daratumumab and lenalidomide (both given until 2025-01-08).
    assert d.lines_of_therapy == 1
    assert line_facts(d) == [
        line(["daratumumab", "dexamethasone", "lenalidomide"], "VGPR", "progression",
             ["daratumumab", "lenalidomide"], "2024-11-04"),
    ]  # fmt: skip
    assert summary(d) == {
        "exposed_drugs": ["daratumumab", "lenalidomide"],
        "refractory_drugs": ["daratumumab", "lenalidomide"],
        "exposed_classes": ["IMiD", "anti-CD38"],
        "refractory_classes": ["IMiD", "anti-CD38"],
        "triple_class_exposed": False,
        "triple_class_refractory": False,
        "penta_exposed": False,
        "penta_refractory": False,
        "prior_bcma": False,
        "status": "relapsed_and_refractory",
        "current_response": "PD",
    }
    # ISS II (beta-2 microglobulin 4.8) -> R-ISS II. R2-ISS: ISS II 1 + LDH 260 > 245 1 + gain(1q) 0.5 = 2.5:
    # III.
    assert stage(d) == ("II", "II", "III")
    assert d.age == 84
    assert d.ecog.value == 3
    # age 84 (> 70), ECOG 3, and she declines transplant
    assert d.transplant_eligible.value is False
    # 84 years, 54 kg, creatinine 1.3, female: 56 x 54 / (72 x 1.3) x 0.85 = 27.5 mL/min
    assert d.crcl_ml_min == pytest.approx(27.5, abs=0.05)


# --- 8. late relapse off therapy: relapsed, not refractory; salvage transplant candidate --------------------


def test_late_relapse_off_therapy():
    d = disease("late-relapse-off-therapy.json")
    # One line: VRd, ASCT 2016-07-26, lenalidomide maintenance stopped for infections on 2018-10-15.
    # Baseline 3.8: 2.2 (-42% MR), 1.2 (-68% PR), 0.6 (PR), 0.35 (-90.8% VGPR), 0.3 (VGPR); then
    # M-protein 0 on 2016-10-03 and 2016-10-31 with serum and urine immunofixation negative and 2% marrow
    # plasma cells (2016-10-31, within 60 days of both): CR twice, confirmed (not sCR: no MRD result).
    # Relapse: nadir 0; 0.4 (+0.4) no; 0.62 on 2023-05-15 and 0.85 confirm: progression 4.6 years after the
    # last dose: relapsed, not refractory; the line ended by toxicity.
    assert d.lines_of_therapy == 1
    assert line_facts(d) == [line(VRD_ASCT, "CR", "toxicity", [], "2023-05-15", transplant=True)]
    assert summary(d) == {
        "exposed_drugs": ["bortezomib", "lenalidomide", "melphalan"],
        "refractory_drugs": [],
        "exposed_classes": ["IMiD", "PI", "alkylator"],
        "refractory_classes": [],
        "triple_class_exposed": False,
        "triple_class_refractory": False,
        "penta_exposed": False,
        "penta_refractory": False,
        "prior_bcma": False,
        "status": "relapsed",
        "current_response": "PD",
    }
    # ISS I (3.1 mg/L, albumin 3.8), standard-risk FISH, LDH 190 <= 250, gain(1q) absent: I, I, I.
    assert stage(d) == ("I", "I", "I")
    # 59 years, ECOG 0: a candidate for a second (salvage) autologous transplant
    assert d.transplant_eligible.value is True
    # 59 years, 79 kg, creatinine 0.92, male: 81 x 79 / (72 x 0.92) = 96.6 mL/min
    assert d.crcl_ml_min == pytest.approx(96.6, abs=0.05)


# --- 9. primary refractory: less than MR on VRd, now on second line -----------------------------------------


def test_primary_refractory():
    d = disease("primary-refractory.json")
    # Line 1 VRd. Baseline 3.6: 3.3 (-8%), 3.1 (-14%), 2.95 (-18%), 3.0 (-17%): SD, never MR (the clinician's
    # SD of 2023-05-15 agrees). Nadir 2.95; 3.75 on 2023-06-12 is +0.8 (>= 0.5 and >= 25% = 0.74) and 4.1
    # confirms: progression on VRd. Bortezomib and lenalidomide refractory on both counts.
    # Line 2 DKd from 2023-07-17: one assessment so far (4.3 -> 3.0, -30%), not confirmed: no response yet,
    # no current response, and nothing refractory on it.
    assert d.lines_of_therapy == 2
    assert line_facts(d) == [
        line(["bortezomib", "dexamethasone", "lenalidomide"], "SD", "progression",
             ["bortezomib", "lenalidomide"], "2023-06-12"),
        line(["carfilzomib", "daratumumab", "dexamethasone"], None, None, [], None),
    ]  # fmt: skip
    assert summary(d) == {
        "exposed_drugs": ["bortezomib", "carfilzomib", "daratumumab", "lenalidomide"],
        "refractory_drugs": ["bortezomib", "lenalidomide"],
        "exposed_classes": ["IMiD", "PI", "anti-CD38"],
        "refractory_classes": ["IMiD", "PI"],
        "triple_class_exposed": True,
        "triple_class_refractory": False,
        "penta_exposed": False,
        "penta_refractory": False,
        "prior_bcma": False,
        # no line ever reached MR
        "status": "primary_refractory",
        "current_response": None,
    }
    # ISS III (7.2). R-ISS III: del(17p) and LDH 420 > 245. R2-ISS: 1.5 + 1 + 1 + amp(1q) 0.5 = 4: IV.
    assert stage(d) == ("III", "III", "IV")
    assert d.high_risk.value is True  # del(17p) in 35% (> 20%)
    # 64 years, 74 kg, creatinine 1.2, male: 76 x 74 / (72 x 1.2) = 65.1 mL/min
    assert d.crcl_ml_min == pytest.approx(65.1, abs=0.05)


# --- 10. light-chain (FLC-only) disease --------------------------------------------------------------------


def test_flc_only_disease():
    d = disease("flc-only-disease.json")
    # Lambda light-chain myeloma: serum M-protein 0 and urine 150 mg/24 h (< 200), not measurable; involved
    # lambda 1,240 mg/L (>= 100) with kappa/lambda 0.005 (abnormal): measurable by FLC only, so response
    # and progression are read on dFLC = lambda - kappa, 1,234.2 mg/L at baseline.
    # One line: D-VRd induction, ASCT, D-VRd consolidation, daratumumab + lenalidomide maintenance.
    # dFLC 413.5 (-66.5% PR), 143 (-88% PR), 54.5 (-95.6% VGPR), 32 (-97% VGPR): VGPR (immunofixation
    # positive 2021-01-04: no CR). Nadir 5 mg/L; 87 (+82) no; 130.5 on 2023-03-06 (+125.5 > 100) and 193
    # confirm: progression on daratumumab and lenalidomide maintenance; bortezomib (last 2021-03-05) not.
    assert d.measurable_disease == ["flc"]
    assert d.lines_of_therapy == 1
    assert line_facts(d) == [
        line(["bortezomib", "daratumumab", "dexamethasone", "lenalidomide", "melphalan"], "VGPR",
             "progression", ["daratumumab", "lenalidomide"], "2023-03-06", transplant=True),
    ]  # fmt: skip
    assert summary(d) == {
        "exposed_drugs": ["bortezomib", "daratumumab", "lenalidomide", "melphalan"],
        "refractory_drugs": ["daratumumab", "lenalidomide"],
        "exposed_classes": ["IMiD", "PI", "alkylator", "anti-CD38"],
        "refractory_classes": ["IMiD", "anti-CD38"],
        "triple_class_exposed": True,
        "triple_class_refractory": False,
        "penta_exposed": False,
        "penta_refractory": False,
        "prior_bcma": False,
        "status": "relapsed_and_refractory",
        "current_response": "PD",
    }
    # ISS I (3.1 mg/L, albumin 3.8); R-ISS I (standard-risk FISH, LDH 215 <= 250); R2-ISS: gain(1q) 0.5: II.
    assert stage(d) == ("I", "I", "II")
    # 56 years, 84 kg, creatinine 1.0, male: 84 x 84 / 72 = 98.0 mL/min
    assert d.crcl_ml_min == pytest.approx(98.0, abs=0.05)


# --- Disagreements with the engine, found while writing the examples ---------------------------------------
# The examples above were written so that they do not depend on these (the record was made clearer); each
# test below changes one fact of an example in memory and asserts the outcome the definitions give.


def variant(name: str, change: Any) -> DiseaseOut:
    data = json.loads((EXAMPLES / name).read_text())
    change(data)
    return build_plan(record_from_mapping(data)).disease


def test_an_m_spike_on_the_day_rules_out_cr():
    def change(data: dict[str, Any]) -> None:
        # late-relapse example: the M-spike is still 0.1 g/dL on 2016-10-03 (instead of 0), and there is no
        # immunofixation on 2017-01-30
        for lab in data["labs"]:
            if lab["test"] == "m_protein_serum" and lab["date"] == "2016-10-03":
                lab["value"] = 0.1
        data["findings"] = [f for f in data["findings"] if f["date"] != "2017-01-30"]

    d = variant("late-relapse-off-therapy.json", change)
    # 2016-10-03: 0.1 of 3.8 g/dL (-97%), spike still visible: VGPR. 2016-10-31: M-protein 0, serum and urine
    # immunofixation negative, marrow 2%: CR. 2017-01-30: M-protein 0 but no immunofixation within 60 days:
    # VGPR. CR is never seen at two consecutive assessments, so the confirmed best response is VGPR.
    assert d.lines[0].best_response == "VGPR"


def test_a_bone_agent_does_not_close_the_diagnosis_window():
    def change(data: dict[str, Any]) -> None:
        # demo example: zoledronic acid started on the day of diagnosis (2021-03-02) instead of 2021-03-22
        for therapy in data["therapies"]:
            if therapy["drug"] == "zoledronic acid":
                therapy["start"] = "2021-03-02"

    d = variant("len-refractory-after-one-line.json", change)
    # Nothing about the disease changed: VRd still starts 2021-03-15 and the FISH of 2021-03-05 (del(17p),
    # t(4;14), t(14;16), gain(1q) absent) is still before it: ISS II, R-ISS II, R2-ISS II as in the example.
    assert stage(d) == ("II", "II", "II")
