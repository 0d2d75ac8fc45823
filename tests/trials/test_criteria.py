"""The eligibility-criteria parser (rrmm.trials.criteria) on real registry text.

Texts are quoted from the HINT myeloma corpus (``../shared/data/trials/hint-myeloma-studies.json``, the study
is named beside each) or written in the Markdown of current ClinicalTrials.gov records where the old corpus
has no example (BCMA-directed therapy, CAR-T, t(11;14)).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from rrmm.trials.constraints import Constraint, Criterion
from rrmm.trials.criteria import parse_criteria, parse_criterion, split_criteria, structured_share

STUDIES = Path(__file__).resolve().parents[3] / "shared" / "data" / "trials" / "hint-myeloma-studies.json"


@cache
def corpus() -> dict[str, str]:
    """nctId -> eligibility criteria text of the 105 real studies."""
    if not STUDIES.is_file():
        pytest.skip(f"the shared trial corpus {STUDIES} is not beside this clone")
    studies = json.loads(STUDIES.read_text(encoding="utf-8"))
    return {
        s["protocolSection"]["identificationModule"]["nctId"]: s["protocolSection"]["eligibilityModule"].get(
            "eligibilityCriteria", ""
        )
        for s in studies
    }


def parsed(text: str, section: str = "inclusion") -> set[Constraint]:
    return set(parse_criterion(text, section))  # type: ignore[arg-type]


def c(kind: str, **fields: Any) -> Constraint:
    return Constraint(kind=kind, **fields)  # type: ignore[arg-type]


UNSTRUCTURED = c("unstructured")


# ---- splitting ------------------------------------------------------------------------------------------

MARKDOWN = (
    "Inclusion Criteria:\n\n"
    "* Age \\>= 18 years\n"
    "* Measurable disease:\n"
    "  * Serum M-protein \\>= 0.5 g/dL, or\n"
    "  * Urine M-protein \\>= 200 mg/24 hours\n"
    "* ECOG 0-1\n\n"
    "Exclusion Criteria:\n\n"
    "* Creatinine clearance \\< 30 mL/min\n"
    "* Prior BCMA-directed therapy"
)


def test_markdown_sections_nested_bullets_and_escapes():
    assert split_criteria(MARKDOWN) == [
        ("inclusion", "Age >= 18 years"),
        ("inclusion", "Measurable disease:"),
        ("inclusion", "Serum M-protein >= 0.5 g/dL, or"),
        ("inclusion", "Urine M-protein >= 200 mg/24 hours"),
        ("inclusion", "ECOG 0-1"),
        ("exclusion", "Creatinine clearance < 30 mL/min"),
        ("exclusion", "Prior BCMA-directed therapy"),
    ]


def test_markdown_numbered_and_lettered_items_without_blank_lines():
    text = (
        "INCLUSION:\n1. Age 18 or older\n2. ECOG 0-2\n   a) Karnofsky 70% or more\nEXCLUSION:\n1. Known HIV"
    )
    assert split_criteria(text) == [
        ("inclusion", "Age 18 or older"),
        ("inclusion", "ECOG 0-2"),
        ("inclusion", "Karnofsky 70% or more"),
        ("exclusion", "Known HIV"),
    ]


def test_text_before_any_header_is_inclusion_and_empty_text_gives_nothing():
    assert split_criteria("- Age 18 to 70\n- HIV negative") == [
        ("inclusion", "Age 18 to 70"),
        ("inclusion", "HIV negative"),
    ]
    assert split_criteria("") == []
    assert parse_criteria("   \n  ") == []


def test_old_registry_bullets_wrapped_lines_and_nesting():
    """NCT00047203: indented "-" bullets, wrapped continuation lines, three levels of nesting."""
    pieces = split_criteria(corpus()["NCT00047203"])
    assert pieces[0] == (
        "inclusion",
        "Diagnosis of relapsed or refractory multiple myeloma (MM) requiring treatment",
    )
    assert ("inclusion", "Durie-Salmon stage I or greater at diagnosis") in pieces
    assert ("inclusion", "Must have received at least 1, but no more than 5 prior therapy regimens") in pieces
    assert ("inclusion", "Absolute neutrophil count at least 750/mm^3") in pieces
    nested = [p for s, p in pieces if p.startswith("Patients with secretory MM must have measurable disease")]
    assert nested == [
        "Patients with secretory MM must have measurable disease defined as serum monoclonal protein of at "
        "least 1 g/dL or urinary M-spike of at least 200 mg/24 hours"
    ]


def test_wrapped_line_that_starts_with_a_number_is_not_a_bullet():
    """NCT00114101: "(Durie-Salmon stage >=\\n 1) and have stable disease" is one criterion."""
    pieces = [p for _, p in split_criteria(corpus()["NCT00114101"])]
    assert any(
        p.startswith(
            "Patients must have active multiple myeloma requiring treatment (Durie-Salmon stage >= 1)"
        )
        for p in pieces
    )


def test_wrapped_line_beginning_with_exclusion_is_not_a_header():
    """NCT03506802: a wrapped line "exclusion for participation as long as ..." stays in its criterion."""
    pieces = split_criteria(corpus()["NCT03506802"])
    cns = [(s, p) for s, p in pieces if "CNS involvement successfully treated" in p]
    assert len(cns) == 1 and cns[0][0] == "exclusion"
    assert cns[0][1].endswith("no neurological signs of potential CNS involvement")


def test_pdq_prose_is_cut_into_labelled_clauses():
    """NCT00004239: "PATIENT CHARACTERISTICS: Age: 18 and over Performance status: CTC 0-2 ..."."""
    pieces = split_criteria(corpus()["NCT00004239"])
    assert all(section == "inclusion" for section, _ in pieces)
    texts = [p for _, p in pieces]
    for expected in (
        "Age: 18 and over",
        "Performance status: CTC 0-2",
        "Neurologic: No history of grade 2 peripheral neuropathy",
        "Neurologic: No history of seizure disorder",
        "Other: HIV negative",
        "Chemotherapy: No prior 506U78",
        "No history of CNS disease, including carcinomatous meningitis",
    ):
        assert expected in texts


def test_pdq_labels_head_their_bullets():
    """NCT00049673: "Age" / "-  16 and over" becomes "Age: 16 and over"."""
    texts = [p for _, p in split_criteria(corpus()["NCT00049673"])]
    assert "Age: 16 and over" in texts
    assert "Hematopoietic: Granulocyte count at least 1,000/mm^3" in texts
    assert "Biologic therapy: No prior thalidomide" in texts
    assert "Age" not in texts and "PATIENT CHARACTERISTICS:" not in texts


def test_pdq_blocks_with_their_own_inclusion_and_exclusion_headers():
    """NCT00504101: "Exclusion criteria:" inside a PDQ block, then back to inclusion at the next block."""
    pieces = split_criteria(corpus()["NCT00504101"])
    assert ("exclusion", "Evidence of active plasma cell leukemia") in pieces
    assert ("inclusion", "Karnofsky performance status 60-100%") in pieces
    assert ("exclusion", "Previous autologous or allogeneic transplantation") in pieces


def test_inline_numbered_items_and_inline_bullets_are_their_own_criteria():
    """NCT03687125 ("... Screening. 3. Uncontrolled acute infection. 4. HCT-CI >6 points.") and NCT00091624
    (" * Absolute neutrophil count ... * Platelets ...")."""
    exclusions = [p for s, p in split_criteria(corpus()["NCT03687125"]) if s == "exclusion"]
    assert "Uncontrolled acute infection." in exclusions and "HCT-CI >6 points." in exclusions
    texts = [p for _, p in split_criteria(corpus()["NCT00091624"])]
    assert "Absolute neutrophil count > 1,000 cells/mm3 (1.0 x 109/L)" in texts
    assert "Hemoglobin ≥ 8 g/dL" in texts
    assert "Must have adequate bone marrow function:" in texts


def test_unbulleted_paragraphs_and_list_introductions():
    """NCT01889420 has no bullets: each paragraph is a criterion; NCT01217957 introduces its lists."""
    pieces = split_criteria(corpus()["NCT01889420"])
    assert pieces[0] == ("inclusion", "Age > 18 years")
    assert ("exclusion", "Patients with known amyloidosis.") in pieces
    texts = [p for _, p in split_criteria(corpus()["NCT01217957"])]
    assert not any(
        "following eligibility criteria" in p or "exclusion criteria are not to be" in p for p in texts
    )


def test_a_trailing_exclusion_header_switches_the_section():
    text = "Inclusion Criteria:\n\n- Age 18 or older. Other Exclusion Criteria\n\n- Known HIV infection"
    assert split_criteria(text) == [("inclusion", "Age 18 or older."), ("exclusion", "Known HIV infection")]


def test_every_study_splits_and_every_criterion_has_text():
    for nct, text in corpus().items():
        pieces = split_criteria(text)
        assert pieces, nct
        assert all(p and p == " ".join(p.split()) for _, p in pieces), nct


# ---- reading one criterion -----------------------------------------------------------------------------

CASES: list[tuple[str, str, str, set[Constraint]]] = [
    # (source, section, text, expected)
    # age
    (
        "NCT00091624",
        "inclusion",
        "Age greater than 18 years at the time of signing the informed consent form.",
        {c("age", min=18)},
    ),
    ("NCT00004239", "inclusion", "Age: 18 and over", {c("age", min=18)}),
    ("NCT00281476", "inclusion", "age = or > 18 years", {c("age", min=18)}),
    ("NCT00985907", "inclusion", "18 yrs or older", {c("age", min=18)}),
    ("NCT00052884", "inclusion", "Age: 18 to 70", {c("age", min=18, max=70)}),
    (
        "NCT02955810",
        "inclusion",
        "Patient must be between 18 and <70 years of age.",
        {c("age", min=18, max=70)},
    ),
    ("NCT00469209", "inclusion", "Age up to 75 years.", {c("age", max=75)}),
    ("NCT00579111", "inclusion", "Age birth to 70 years of age", {c("age", max=70)}),
    ("NCT00305812", "inclusion", "Life expectancy ≥ 12 months", {UNSTRUCTURED}),
    # performance status
    (
        "NCT00004239",
        "inclusion",
        "Performance status: CTC 0-2",
        {c("performance_status", scale="ecog", max=2)},
    ),
    (
        "NCT00306813",
        "inclusion",
        "Eastern Cooperative Oncology Group (ECOG) performance status score of 0, 1 or 2.",
        {c("performance_status", scale="ecog", max=2)},
    ),
    (
        "NCT03687125",
        "inclusion",
        "Eastern Cooperative Oncology Group (ECOG) performance status score <3 at Screening.",
        {c("performance_status", scale="ecog", max=2)},
    ),
    (
        "NCT00469209",
        "inclusion",
        "Zubrod performance status of <2.",
        {c("performance_status", scale="ecog", max=1)},
    ),
    ("NCT02066454", "exclusion", "Ecog > 2", {c("performance_status", scale="ecog", min=3)}),
    (
        "NCT02289222",
        "inclusion",
        "Have a performance status of 2 on the ECOG Performance Scale.",
        {c("performance_status", scale="ecog", min=2, max=2)},
    ),
    (
        "NCT00258258",
        "inclusion",
        "Performance status: Karnofsky 60-100%",
        {c("performance_status", scale="karnofsky", min=60)},
    ),
    (
        "NCT01609816",
        "inclusion",
        "Performance status >= 60%",
        {c("performance_status", scale="karnofsky", min=60)},
    ),
    # prior lines
    (
        "NCT00047203",
        "inclusion",
        "Must have received at least 1, but no more than 5 prior therapy regimens",
        {c("prior_lines", min=1, max=5)},
    ),
    (
        "NCT00431990",
        "inclusion",
        "Patient was previously diagnosed with multiple myeloma based on standard criteria treated with at "
        "least one, but less than 4 lines of therapy, and currently requires further treatment because of "
        "relapse from CR or PD.",
        {c("prior_lines", min=1, max=3)},
    ),
    ("NCT01464112", "exclusion", "More than 3 prior lines of therapy", {c("prior_lines", min=4)}),
    (
        "NCT02716805",
        "inclusion",
        "Four or less prior lines of systemic therapy for multiple myeloma",
        {c("prior_lines", max=4)},
    ),
    (
        "NCT00306813",
        "inclusion",
        "Subjects must have not have recieved more than 3 previous anti-myeloma regimens and must be "
        "relapsed or refractory following at least one regimen of anti-myeloma therapy.",
        {c("prior_lines", min=1, max=3)},
    ),
    (
        "markdown",
        "inclusion",
        "Have received 1 to 3 prior lines of therapy",
        {c("prior_lines", min=1, max=3)},
    ),
    ("NCT00305812", "inclusion", "Previously untreated disease", {c("prior_lines", max=0)}),
    (
        "NCT00555100",
        "inclusion",
        "Subjects with previously treated multiple myeloma",
        {c("prior_lines", min=1)},
    ),
    (
        "NCT02043860",
        "inclusion",
        "Patients who have received at least 2 cycles of systemic treatment of any kind in the preceding "
        "12 months",
        {UNSTRUCTURED},
    ),
    # prior therapy and refractoriness
    (
        "NCT00049673",
        "inclusion",
        "No prior thalidomide",
        {c("prior_therapy", target="thalidomide", negated=True)},
    ),
    (
        "NCT00091624",
        "exclusion",
        "Prior treatment with CC-5013.",
        {c("prior_therapy", target="lenalidomide")},
    ),
    ("NCT00306813", "exclusion", "Prior use of Revlimid.", {c("prior_therapy", target="lenalidomide")}),
    (
        "NCT01889420",
        "inclusion",
        "No prior therapy with pomalidomide or everolimus.",
        {
            c("prior_therapy", target="pomalidomide", negated=True),
            c("prior_therapy", target="everolimus", negated=True),
        },
    ),
    (
        "NCT02136134",
        "exclusion",
        "Has received daratumumab or other anti-CD38 therapies previously",
        {c("prior_therapy", target="anti-CD38")},
    ),
    (
        "NCT02136134",
        "exclusion",
        "Is refractory to VELCADE or another PI, like ixazomib and carfilzomib",
        {c("refractory", target="PI")},
    ),
    (
        "NCT02755597",
        "exclusion",
        "Participant is refractory to any proteasome inhibitor, defined as progression on or within 60 days "
        "of the last dose of a proteasome inhibitor-containing regimen.",
        {c("refractory", target="PI")},
    ),
    ("NCT00047203", "inclusion", "At least 10 days since prior thalidomide", {UNSTRUCTURED}),
    (
        "NCT00150462",
        "exclusion",
        "Subjects with previous hypersensitivity to bortezomib injection",
        {UNSTRUCTURED},
    ),
    ("NCT00729638", "inclusion", "Prior thalidomide/lenalidomide therapy is allowed", {UNSTRUCTURED}),
    (
        "NCT01177683",
        "inclusion",
        "Must have received at least one (1) prior line of systemic treatment that has included either "
        "lenalidomide or thalidomide.",
        {c("prior_lines", min=1), UNSTRUCTURED},
    ),
    (
        "markdown",
        "inclusion",
        "No prior BCMA-directed therapy",
        {c("prior_therapy", target="BCMA", negated=True)},
    ),
    (
        "markdown",
        "inclusion",
        "Must not have received prior CAR-T cell therapy",
        {c("prior_therapy", target="CAR-T", negated=True)},
    ),
    (
        "markdown",
        "exclusion",
        "Prior treatment with a bispecific antibody or GPRC5D-targeted therapy",
        {c("prior_therapy", target="bispecific"), c("prior_therapy", target="GPRC5D")},
    ),
    ("markdown", "inclusion", "Triple-class refractory disease", {c("refractory", target="triple-class")}),
    (
        "markdown",
        "inclusion",
        "Prior anti-myeloma therapy with any agent except BCMA-directed agents is allowed",
        {c("prior_therapy", target="BCMA", negated=True)},
    ),
    (
        "markdown",
        "inclusion",
        "Prior exposure to a proteasome inhibitor other than bortezomib is not allowed",
        {c("prior_therapy", target="PI", negated=True)},
    ),
    (
        "markdown",
        "inclusion",
        "Lenalidomide-naive",
        {c("prior_therapy", target="lenalidomide", negated=True)},
    ),
    (
        "markdown",
        "inclusion",
        "Previously treated with cilta-cel and Darzalex",
        {c("prior_therapy", target="ciltacabtagene autoleucel"), c("prior_therapy", target="daratumumab")},
    ),
    # measurable disease
    (
        "NCT00560352",
        "inclusion",
        "Confirmed diagnosis of multiple myeloma with measurable disease",
        {c("measurable_disease")},
    ),
    (
        "NCT01023880",
        "exclusion",
        "has nonmeasurable multiple myeloma.",
        {c("measurable_disease", negated=True)},
    ),
    # labs
    (
        "NCT00047203",
        "inclusion",
        "Absolute neutrophil count at least 750/mm^3",
        {c("lab", test="anc", min=0.75, unit="10^9/L")},
    ),
    (
        "NCT00049673",
        "inclusion",
        "Platelet count at least 75,000/mm^3",
        {c("lab", test="platelets", min=75, unit="10^9/L")},
    ),
    (
        "NCT01029054",
        "inclusion",
        "Absolute neutrophil count (ANC) >=1.0 x 109/L, hemoglobin >= 8 g/dL, platelet count >= 75 x 109/L",
        {
            c("lab", test="anc", min=1.0, unit="10^9/L"),
            c("lab", test="hemoglobin", min=8, unit="g/dL"),
            c("lab", test="platelets", min=75, unit="10^9/L"),
        },
    ),
    (
        "NCT02066454",
        "exclusion",
        "Patient with Platelets rate < 75 G/l",
        {c("lab", test="platelets", max=75, unit="10^9/L")},
    ),
    (
        "NCT02697383",
        "inclusion",
        "Absolute neutrophil count ≥1.0 K/μL",
        {c("lab", test="anc", min=1.0, unit="10^9/L")},
    ),
    (
        "NCT00689000",
        "exclusion",
        "Patients with platelet count(s) < 20,000.",
        {c("lab", test="platelets", max=20, unit="10^9/L")},
    ),
    (
        "NCT00047203",
        "inclusion",
        "Bilirubin no greater than 1.5 times upper limit of normal (ULN)",
        {c("lab", test="bilirubin", max=1.5, uln_multiple=True)},
    ),
    (
        "NCT00305812",
        "inclusion",
        "AST and/or ALT ≤ 1.5 times ULN",
        {c("lab", test="transaminases", max=1.5, uln_multiple=True)},
    ),
    (
        "NCT00281476",
        "exclusion",
        "alanin aminotransferasis > 2,5 x upper reference limit",
        {c("lab", test="transaminases", min=2.5, uln_multiple=True)},
    ),
    (
        "NCT00579111",
        "inclusion",
        "AST/ALT and bilirubin not > 4 times normal",
        {
            c("lab", test="transaminases", max=4, uln_multiple=True),
            c("lab", test="bilirubin", max=4, uln_multiple=True),
        },
    ),
    ("NCT00719901", "inclusion", "Bilirubin normal", {c("lab", test="bilirubin", max=1, uln_multiple=True)}),
    (
        "NCT02030483",
        "inclusion",
        "Serum total bilirubin <2.0 mg/dL (34 μmol/L)",
        {c("lab", test="bilirubin", max=2.0, unit="mg/dL")},
    ),
    (
        "NCT00114101",
        "inclusion",
        "Creatinine clearance* >= 40 cc/min",
        {c("lab", test="crcl", min=40, unit="mL/min")},
    ),
    (
        "NCT02066454",
        "exclusion",
        "Patient with Creatinine Clearance (Cockcroft) < 30 ml/mn",
        {c("lab", test="crcl", max=30, unit="mL/min")},
    ),
    (
        "NCT02372240",
        "inclusion",
        "Estimated glomerular filtration rate (GFR) ≥30 mL/min as assessed by CKD-epi, MDRD or the "
        "Cockcroft-Gault Equation",
        {c("lab", test="egfr", min=30, unit="mL/min/1.73m2")},
    ),
    (
        "NCT00258258",
        "inclusion",
        "Renal: Calcium ≤ 10.5 mg/dL",
        {c("lab", test="calcium", max=10.5, unit="mg/dL")},
    ),
    (
        "markdown",
        "inclusion",
        "Serum creatinine ≤ 177 µmol/L",
        {c("lab", test="creatinine", max=2.0, unit="mg/dL")},
    ),
    (
        "markdown",
        "inclusion",
        "Total bilirubin ≤ 34 µmol/L",
        {c("lab", test="bilirubin", max=1.99, unit="mg/dL")},
    ),
    ("markdown", "inclusion", "Hemoglobin ≥ 80 g/L", {c("lab", test="hemoglobin", min=8.0, unit="g/dL")}),
    (
        "markdown",
        "inclusion",
        "Corrected calcium ≤ 2.9 mmol/L",
        {c("lab", test="calcium", max=11.62, unit="mg/dL")},
    ),
    ("NCT00047203", "inclusion", "Alkaline phosphatase no greater than 2.5 times ULN", {UNSTRUCTURED}),
    # transplant
    (
        "NCT00047203",
        "inclusion",
        "No prior allogeneic stem cell transplantation",
        {c("transplant", target="allogeneic", negated=True)},
    ),
    (
        "NCT00504101",
        "exclusion",
        "Previous autologous or allogeneic transplantation",
        {c("transplant", target="autologous"), c("transplant", target="allogeneic")},
    ),
    (
        "NCT02576977",
        "exclusion",
        "Has undergone prior allogeneic hematopoietic stem cell transplantation within the last 5 years.",
        {c("transplant", target="allogeneic", within_days=1825)},
    ),
    (
        "NCT02076009",
        "exclusion",
        "Has received autologous stem cell transplantation within 12 weeks before the date of randomization, "
        "or previously received an allogenic stem cell transplant (regardless of timing)",
        {c("transplant", target="autologous", within_days=84), c("transplant", target="allogeneic")},
    ),
    (
        "NCT00560352",
        "inclusion",
        "Bone marrow transplant not within 3 months prior to study treatment initiation",
        {
            c("transplant", target="autologous", within_days=90, negated=True),
            c("transplant", target="allogeneic", within_days=90, negated=True),
        },
    ),
    ("NCT02181413", "exclusion", "Double (tandem) ASCT.", {UNSTRUCTURED}),
    ("NCT02043860", "exclusion", "Prior solid organ transplant", {UNSTRUCTURED}),
    # cytogenetics, disease features
    ("markdown", "inclusion", "Documented t(11;14) by FISH", {c("cytogenetics", target="t(11;14)")}),
    (
        "markdown",
        "exclusion",
        "del(17p) or TP53 mutation",
        {c("cytogenetics", target="del(17p)"), c("cytogenetics", target="TP53 mutation")},
    ),
    (
        "NCT00401011",
        "exclusion",
        "Plasma cell leukemia at time of study entry.",
        {c("disease_feature", target="plasma_cell_leukemia")},
    ),
    (
        "NCT00052884",
        "inclusion",
        "Histologically confirmed amyloidosis",
        {c("disease_feature", target="amyloidosis")},
    ),
    (
        "NCT00729638",
        "exclusion",
        "Uncontrolled leptomeningeal disease",
        {c("disease_feature", target="cns_involvement")},
    ),
    (
        "NCT02372240",
        "exclusion",
        "Diagnosed with plasma cell leukemia, POEMS syndrome or amyloidosis.",
        {
            c("disease_feature", target="plasma_cell_leukemia"),
            c("disease_feature", target="amyloidosis"),
            UNSTRUCTURED,
        },
    ),
    # infections, malignancy, neuropathy, heart failure
    (
        "NCT00089037",
        "inclusion",
        "Hepatitis B and C virus negative",
        {c("infection", target="hbv", negated=True), c("infection", target="hcv", negated=True)},
    ),
    (
        "NCT00306813",
        "exclusion",
        "Known HIV or hepatitis B or C positive.",
        {c("infection", target="hiv"), c("infection", target="hbv"), c("infection", target="hcv")},
    ),
    (
        "NCT00114101",
        "inclusion",
        "Patients must not be human immunodeficiency virus (HIV), hepatitis B surface antigen (HBSag), or "
        "hepatitis (Hep) C positive",
        {
            c("infection", target="hiv", negated=True),
            c("infection", target="hbv", negated=True),
            c("infection", target="hcv", negated=True),
        },
    ),
    (
        "NCT00301951",
        "inclusion",
        "No active infection requiring ongoing antibiotic treatment",
        {c("infection", target="active_infection", negated=True)},
    ),
    (
        "NCT02579863",
        "exclusion",
        "Has an invasive fungal infection.",
        {c("infection", target="active_infection")},
    ),
    (
        "NCT00305812",
        "inclusion",
        "No other malignancies within the past 5 years, except adequately treated nonmelanoma skin cancer or "
        "curatively treated in situ cancer of the cervix",
        {c("prior_malignancy", negated=True)},
    ),
    ("NCT00229203", "exclusion", "History of another neoplastic disease.", {c("prior_malignancy")}),
    (
        "NCT00049673",
        "inclusion",
        "No grade 2 or greater peripheral neuropathy causing symptomatic dysfunction (vincristine-induced "
        "sensory symptoms allowed)",
        {c("neuropathy", min=2, negated=True)},
    ),
    ("NCT00536575", "exclusion", "Patients with > grade 1 peripheral neuropathy.", {c("neuropathy", min=2)}),
    (
        "NCT00719901",
        "inclusion",
        "No peripheral neuropathy > NCI toxicity grade 2",
        {c("neuropathy", min=3, negated=True)},
    ),
    (
        "NCT00689000",
        "exclusion",
        "Patients with grade III-IV peripheral neuropathy.",
        {c("neuropathy", min=3)},
    ),
    (
        "NCT01857115",
        "exclusion",
        "Significant neuropathy (Grades 3-4, or Grade 2 with pain) within 14 days prior to randomization.",
        {c("neuropathy", min=3)},
    ),
    ("markdown", "inclusion", "Peripheral neuropathy ≤ grade 1", {c("neuropathy", min=2, negated=True)}),
    (
        "NCT00052884",
        "inclusion",
        "Cardiovascular: No New York Heart Association class III or IV heart disease",
        {c("heart_failure", min=3, negated=True)},
    ),
    (
        "NCT00091624",
        "exclusion",
        "History of cardiac disease, with New York Heart Association Class II or greater.",
        {c("heart_failure", min=2)},
    ),
    (
        "NCT00258258",
        "inclusion",
        "Cardiovascular: No symptomatic congestive heart failure",
        {c("heart_failure", negated=True)},
    ),
    # unrecognised text is kept
    ("NCT00004239", "inclusion", "Other: Not pregnant or nursing", {UNSTRUCTURED}),
    ("NCT00089037", "inclusion", "Age: Per primary treatment protocol", {UNSTRUCTURED}),
]


@pytest.mark.parametrize(
    ("source", "section", "text", "expected"), CASES, ids=[f"{s}-{t[:40]}" for s, _, t, _ in CASES]
)
def test_parse_criterion(source: str, section: str, text: str, expected: set[Constraint]):
    if source.startswith("NCT"):
        # quoted exactly (a PDQ label put before its clause by split_criteria aside)
        quoted = re.sub(r"^(?:Age|Performance status|Renal|Cardiovascular): ", "", text)
        assert " ".join(quoted.split()) in " ".join(corpus()[source].split()), (
            "quote the registry text exactly"
        )
    assert parsed(text, section) == expected


def test_negation_follows_the_section_semantics():
    # inclusion: the text's own negation; exclusion: a negative restatement is still the condition
    assert parsed("No known brain metastases") == {
        c("disease_feature", target="cns_involvement", negated=True)
    }
    assert parsed("Patient must not have known brain metastases.", "exclusion") == {
        c("disease_feature", target="cns_involvement")
    }
    assert parsed("Patients with plasma cell leukemia are not eligible") == {
        c("disease_feature", target="plasma_cell_leukemia", negated=True)
    }
    assert parsed("HIV-negative.") == {c("infection", target="hiv", negated=True)}
    assert parsed("Known HIV infection", "exclusion") == {c("infection", target="hiv")}
    # words that look like negations but are not
    assert parsed("No more than 3 prior anti-myeloma regimens.", "exclusion") == {c("prior_lines", max=3)}
    assert parsed(
        "Uncontrolled intercurrent illness including, but not limited to, ongoing or active infection",
        "exclusion",
    ) == {c("infection", target="active_infection")}


def test_exceptions_are_not_constraints():
    # NCT02655458: pomalidomide is an example of the class; thalidomide and lenalidomide are exceptions
    assert parsed(
        "Prior therapy with elotuzumab or any IMiD (including pomalidomide), except for prior thalidomide or "
        "lenalidomide (as defined in inclusion criteria).",
        "exclusion",
    ) == {c("prior_therapy", target="elotuzumab"), c("prior_therapy", target="IMiD")}


def test_lab_units_are_canonical():
    for constraint in parse_criterion("ANC ≥ 1500/μL, platelets ≥ 100 x 10^9/L, Hgb ≥ 9 g/dL", "inclusion"):
        assert constraint.kind == "lab" and constraint.unit == {"anc": "10^9/L", "platelets": "10^9/L"}.get(
            constraint.test or "", "g/dL"
        )
    assert parsed("Platelets >= 100,000/uL") == {c("lab", test="platelets", min=100, unit="10^9/L")}
    assert parsed("absolute neutrophil count ≥1000/ ml") == {c("lab", test="anc", min=1.0, unit="10^9/L")}


def test_unstructured_text_is_never_dropped():
    for text in ("Signed informed consent", "Negative pregnancy test", "See Disease Characteristics", "x"):
        assert parse_criterion(text, "inclusion") == [UNSTRUCTURED]


# ---- flattening and the structured share ---------------------------------------------------------------


def test_parse_criteria_gives_one_criterion_per_constraint():
    criteria = parse_criteria(MARKDOWN)
    assert all(isinstance(x, Criterion) and x.source == "rules" for x in criteria)
    bcma = [x for x in criteria if x.text == "Prior BCMA-directed therapy"]
    assert [x.constraint for x in bcma] == [c("prior_therapy", target="BCMA")]
    two = parse_criteria("Exclusion Criteria:\n\n* Known HIV or hepatitis B")
    assert [(x.section, x.text, x.constraint.target) for x in two] == [
        ("exclusion", "Known HIV or hepatitis B", "hiv"),
        ("exclusion", "Known HIV or hepatitis B", "hbv"),
    ]


def test_structured_share_counts_texts_once():
    criteria = parse_criteria(
        "Inclusion Criteria:\n\n* Known HIV or hepatitis B\n* Signed informed consent\n* Age >= 18\n"
        "* Able to swallow"
    )
    assert structured_share(criteria) == pytest.approx(0.5)
    assert structured_share([]) == 0.0


def test_real_corpus_parses_with_a_plausible_structured_share():
    """Every criterion of the 105 studies gives valid constraints; print the share that is structured."""
    criteria = [x for text in corpus().values() for x in parse_criteria(text)]
    share = structured_share(criteria)
    kinds = {x.constraint.kind for x in criteria}
    print(f"\n{len(criteria)} criteria from {len(corpus())} studies; structured share {share:.1%}")
    assert 0.25 <= share <= 0.8
    assert {
        "age",
        "performance_status",
        "prior_lines",
        "prior_therapy",
        "lab",
        "transplant",
        "infection",
    } <= kinds
