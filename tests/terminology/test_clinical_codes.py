"""RxNorm, SNOMED CT, ICD-10-CM and ICD-10-PCS tables: they load, every drug is coded or its absence is
explained, and the myeloma, transplant and progression codes mean what their code systems say."""

from __future__ import annotations

import pytest

from rrmm.terminology import drug_vocabulary
from rrmm.terminology.codes import SYSTEMS, code_tables

RXNORM = SYSTEMS["rxnorm"]
SNOMED = SYSTEMS["snomed"]
ICD10CM = SYSTEMS["icd10cm"]
ICD10PCS = SYSTEMS["icd10pcs"]

# Drugs of drugs.yaml without an RxNorm row, and why. Keep in step with the comment of codes/rxnorm.yaml.
INVESTIGATIONAL = "investigational, no US marketing authorisation: no RxNorm ingredient expected"
NO_RXNORM_ROW: dict[str, str] = {
    "interferon alfa": "no single RxNorm ingredient: the RRF extract lists 'interferon alfa-2b' (IN 5880) "
    "and 'interferon alfa-n3' (IN 612937) as separate ingredients, and the table holds one row per drug",
    "anitocabtagene autoleucel": INVESTIGATIONAL,
    "etentamig": INVESTIGATIONAL,
    "arlocabtagene autoleucel": INVESTIGATIONAL,
    "cevostamab": INVESTIGATIONAL,
    "iberdomide": INVESTIGATIONAL,
    "mezigdomide": INVESTIGATIONAL,
}


def _table(system: str):
    return next(t for t in code_tables().tables if t.system == system)


def test_the_four_tables_load_with_their_systems():
    systems = {t.system for t in code_tables().tables}
    assert {RXNORM, SNOMED, ICD10CM, ICD10PCS} <= systems
    assert all(len(_table(s).codes) > 0 for s in (RXNORM, SNOMED, ICD10CM, ICD10PCS))


def test_every_drug_has_an_rxnorm_ingredient_or_a_stated_reason():
    coded = {c.means.drug for c in _table(RXNORM).codes}
    inns = {d.inn for d in drug_vocabulary().drugs()}
    missing = inns - coded - set(NO_RXNORM_ROW)
    assert not missing, f"drugs with neither an RxNorm row nor a reason: {sorted(missing)}"
    # A drug that gained a row must leave the exclusion list, and the list names only real drugs.
    assert not coded & set(NO_RXNORM_ROW)
    assert set(NO_RXNORM_ROW) <= inns


def test_one_ingredient_row_per_drug():
    drugs = [c.means.drug for c in _table(RXNORM).codes]
    assert len(drugs) == len(set(drugs))
    assert all(c.means.kind == "drug" for c in _table(RXNORM).codes)


@pytest.mark.parametrize(
    ("rxcui", "inn"),
    [
        ("358258", "bortezomib"),
        ("342369", "lenalidomide"),
        ("1721947", "daratumumab"),
        ("1747556", "venetoclax"),
        ("3264", "dexamethasone"),
        ("1369713", "pomalidomide"),
        ("2282018", "isatuximab"),
        ("2178390", "selinexor"),
        ("2619426", "teclistamab"),
        ("2644880", "elranatamab"),
        ("2644447", "talquetamab"),
        ("8640", "prednisone"),
        ("8638", "prednisolone"),
        # Second pass in the RRF extract (TTY IN stated by the extract)
        ("993449", "denosumab"),
        ("3639", "doxorubicin"),
        ("2555", "cisplatin"),
        ("2594775", "ciltacabtagene autoleucel"),
        ("2536430", "idecabtagene vicleucel"),
        ("1603350", "panobinostat"),
        ("11473", "pamidronate"),
        ("11202", "vincristine"),
        ("194337", "vorinostat"),
        ("2719416", "linvoseltamab"),
        ("2387834", "belantamab mafodotin"),
    ],
)
def test_rxnorm_ingredient_codes(rxcui, inn):
    code = code_tables().lookup(RXNORM, rxcui)
    assert code is not None and code.means.drug == inn
    assert code.display == inn  # the IN string is the bare ingredient name


def test_a_clinical_drug_code_is_not_an_ingredient():
    # 1804993 'bortezomib 3.5 MG' (SCDC) and 356733 'Velcade' (brand) sit in the same value set as the
    # ingredient: they are product codes, not in the table.
    assert code_tables().lookup(RXNORM, "1804993") is None
    assert code_tables().lookup(RXNORM, "356733") is None


@pytest.mark.parametrize(
    "rxcui",
    # Precise ingredients (TTY PIN) next to the coded INs in the RRF extract: the suffixed antibody names and
    # the salts (prednisolone, pamidronate disodium, vincristine sulfate) are not ingredient rows.
    [
        "2282019",
        "2619425",
        "2644881",
        "2644448",
        "34372",
        "55062",
        "2719477",  # linvoseltamab-gcpt
        "2387833",  # belantamab mafodotin-blmf
        "2715382",  # denosumab-bbdz
        "105443",  # pamidronate disodium
        "11203",  # vincristine sulfate
    ],
)
def test_a_precise_ingredient_is_not_an_ingredient_row(rxcui):
    assert code_tables().lookup(RXNORM, rxcui) is None


@pytest.mark.parametrize(
    ("code", "remission"),
    [("C90.00", None), ("C90.01", "in_remission"), ("C90.02", "relapse")],
)
def test_myeloma_icd10cm_codes_carry_the_remission_state(code, remission):
    found = code_tables().lookup(ICD10CM, code)
    assert found is not None
    assert found.means.diagnosis == "multiple_myeloma"
    assert found.means.remission == remission


@pytest.mark.parametrize("code", ["C90.00", "C90.01", "C90.02"])
def test_icd10_codes_resolve_with_and_without_the_dot(code):
    tables = code_tables()
    dotted = tables.lookup(ICD10CM, code)
    assert dotted is not None
    assert tables.lookup(ICD10CM, code.replace(".", "")) is dotted
    assert tables.lookup(ICD10CM, code.lower()) is dotted


def test_other_plasma_cell_codes():
    tables = code_tables()
    pcl = tables.lookup(ICD10CM, "C90.12")
    assert pcl is not None and (pcl.means.diagnosis, pcl.means.remission) == (
        "plasma_cell_leukemia",
        "relapse",
    )
    emp = tables.lookup(ICD10CM, "C9020")
    assert emp is not None and emp.means.diagnosis == "extramedullary_disease" and emp.means.remission is None
    al = tables.lookup(ICD10CM, "E85.81")
    assert al is not None and al.means.diagnosis == "al_amyloidosis"
    # Solitary plasmacytoma (C90.3x) has no record diagnosis and must not be read as myeloma.
    assert tables.lookup(ICD10CM, "C90.30") is None


@pytest.mark.parametrize(
    ("code", "condition"),
    [
        ("Z99.2", "dialysis"),
        ("N18.6", "chronic_kidney_disease"),
        ("B18.1", "hepatitis_b"),
        ("Z86.718", "prior_vte"),
    ],
)
def test_comorbidity_icd10cm_codes(code, condition):
    found = code_tables().lookup(ICD10CM, code)
    assert found is not None and found.means.comorbidity == condition


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("30233Y0", "autologous"),
        ("30243Y0", "autologous"),
        ("30243G0", "autologous"),
        ("30233Y2", "allogeneic"),
        ("30243Y3", "allogeneic"),
        ("30243Y4", "allogeneic"),
        ("30233G3", "allogeneic"),
    ],
)
def test_transplant_pcs_codes_map_to_autologous_or_allogeneic(code, kind):
    found = code_tables().lookup(ICD10PCS, code)
    assert found is not None and found.means.transplant == kind
    assert ("Autologous" in found.display) == (kind == "autologous")


def test_retired_nonautologous_pcs_code_is_not_listed():
    # Qualifier 1 'Nonautologous' was replaced by 2/3/4 (allogeneic related/unrelated/unspecified) for HSC.
    assert code_tables().lookup(ICD10PCS, "30243Y1") is None


def test_snomed_transplant_progression_and_myeloma():
    tables = code_tables()
    auto = tables.lookup(SNOMED, "709115004")
    assert auto is not None and auto.means.transplant == "autologous"
    worse = tables.lookup(SNOMED, "271299001")
    assert worse is not None and worse.means.progression is True
    mm = tables.lookup(SNOMED, "109989006")
    assert mm is not None and mm.means.diagnosis == "multiple_myeloma" and mm.means.remission is None


def test_every_row_says_how_it_was_checked():
    for system in (RXNORM, SNOMED, ICD10CM, ICD10PCS):
        for code in _table(system).codes:
            assert code.checked.startswith("2026-11: "), (system, code.code)
