"""Reading API v2 study objects: recorded fixtures, the real HINT corpus, and malformed entries."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from rrmm.trials.study import Site, Study, StudyFormatError, load_studies, parse_age_years, study_from_v2

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HINT_FILE = Path(__file__).resolve().parents[3] / "shared" / "data" / "trials" / "hint-myeloma-studies.json"


def _page(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def _first_study() -> dict[str, Any]:
    study: dict[str, Any] = copy.deepcopy(_page("page1.json")["studies"][0])
    return study


def test_full_study_reads_every_field():
    s = study_from_v2(_first_study())
    assert s.nct_id == "NCT90000001"
    assert s.title.startswith("A Study of a BCMA x CD3 Bispecific Antibody")
    assert s.status == "RECRUITING"
    assert s.why_stopped is None
    assert s.last_update == "2026-09-12"
    assert s.phases == ("PHASE1",)
    assert s.conditions == ("Multiple Myeloma", "Relapsed Refractory Multiple Myeloma")
    assert s.keywords == ("BCMA", "bispecific antibody", "T-cell engager")
    assert s.interventions == ("SYN-101",)
    assert "Creatinine clearance \\< 30 mL/min" in s.eligibility_criteria
    assert s.eligibility_criteria.startswith("Inclusion Criteria:")
    assert s.minimum_age_years == 18.0
    assert s.maximum_age_years is None
    assert s.sex == "ALL"
    assert s.healthy_volunteers is False
    assert s.locations == (
        Site(
            facility="Synthetic Cancer Center",
            status="RECRUITING",
            city="Boston",
            state="Massachusetts",
            zip="02215",
            country="United States",
            latitude=42.35843,
            longitude=-71.05977,
        ),
        Site(
            facility="Synthetic University Hospital",
            status="NOT_YET_RECRUITING",
            city="Lyon",
            zip="69008",
            country="France",
        ),
    )


def test_study_is_frozen():
    s = study_from_v2(_first_study())
    with pytest.raises(ValueError):
        s.status = "COMPLETED"  # type: ignore[misc]


def test_title_falls_back_to_official_title_then_nct_id():
    page1 = _page("page1.json")
    second = study_from_v2(page1["studies"][1])
    assert second.title.startswith("A Randomized Phase 2/3 Study of Synthetic Agent SYN-202")
    assert second.phases == ("PHASE2", "PHASE3")
    assert second.interventions == ("SYN-202", "Dexamethasone", "Pomalidomide")
    assert (second.minimum_age_years, second.maximum_age_years) == (18.0, 75.0)
    third = study_from_v2(_page("page2.json")["studies"][0])
    assert third.title == "NCT90000003"
    assert third.eligibility_criteria == ""
    assert third.locations == ()
    assert third.interventions == ()
    assert third.sex is None and third.healthy_volunteers is None


def test_status_and_site_status_are_upper_case():
    raw = _first_study()
    raw["protocolSection"]["statusModule"]["overallStatus"] = "recruiting"
    raw["protocolSection"]["contactsLocationsModule"]["locations"][0]["status"] = "Recruiting"
    s = study_from_v2(raw)
    assert s.status == "RECRUITING"
    assert s.locations[0].status == "RECRUITING"


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("18 Years", 18.0),
        ("1 Year", 1.0),
        ("6 Months", 0.5),
        ("18 months", 1.5),
        ("52 Weeks", 52 * 7 / 365.25),
        ("30 Days", 30 / 365.25),
        ("N/A", None),
        (None, None),
    ],
)
def test_parse_age_years(text: str | None, years: float | None):
    result = parse_age_years(text)
    if years is None:
        assert result is None
    else:
        assert result == pytest.approx(years)


def test_unreadable_age_names_the_field():
    raw = _first_study()
    raw["protocolSection"]["eligibilityModule"]["minimumAge"] = "eighteen"
    with pytest.raises(
        StudyFormatError, match=r"NCT90000001: protocolSection\.eligibilityModule\.minimumAge"
    ):
        study_from_v2(raw)


@pytest.mark.parametrize(
    ("module", "field", "value", "path"),
    [
        ("designModule", "phases", "PHASE1", r"designModule\.phases: expected a list"),
        (
            "conditionsModule",
            "conditions",
            ["ok", 3],
            r"conditionsModule\.conditions\[1\]: expected a string",
        ),
        ("eligibilityModule", "healthyVolunteers", "No", r"eligibilityModule\.healthyVolunteers"),
        (
            "armsInterventionsModule",
            "interventions",
            [{"type": "DRUG"}],
            r"interventions\[0\]\.name: missing",
        ),
        ("contactsLocationsModule", "locations", [{"geoPoint": {"lat": "x"}}], r"geoPoint\.lat"),
    ],
)
def test_wrong_types_name_the_field(module: str, field: str, value: Any, path: str):
    raw = _first_study()
    raw["protocolSection"][module][field] = value
    with pytest.raises(StudyFormatError, match=path):
        study_from_v2(raw)


def test_missing_nct_id_or_status_is_an_error():
    raw = _first_study()
    del raw["protocolSection"]["identificationModule"]["nctId"]
    with pytest.raises(StudyFormatError, match=r"identificationModule\.nctId: missing"):
        study_from_v2(raw)
    raw = _first_study()
    del raw["protocolSection"]["statusModule"]
    with pytest.raises(StudyFormatError, match=r"NCT90000001: protocolSection\.statusModule: missing"):
        study_from_v2(raw)
    with pytest.raises(StudyFormatError, match="protocolSection: expected an object"):
        study_from_v2({"hasResults": False})


def test_load_studies_reads_a_page_or_a_list(tmp_path: Path):
    from_page = load_studies(FIXTURES / "page1.json")
    assert [s.nct_id for s in from_page] == ["NCT90000001", "NCT90000002"]
    listing = tmp_path / "list.json"
    listing.write_text(json.dumps(_page("page1.json")["studies"] + _page("page2.json")["studies"]))
    assert [s.nct_id for s in load_studies(listing)] == ["NCT90000001", "NCT90000002", "NCT90000003"]


def test_load_studies_names_the_index_and_field_of_a_malformed_entry(tmp_path: Path):
    studies = _page("page1.json")["studies"]
    studies[1]["protocolSection"]["designModule"]["phases"] = {"phase": 2}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(studies))
    with pytest.raises(
        StudyFormatError, match=r"entry 1: NCT90000002: protocolSection\.designModule\.phases"
    ):
        load_studies(bad)
    with pytest.raises(StudyFormatError, match="'studies' must be a list"):
        load_studies(FIXTURES / "malformed_page.json")
    not_json = tmp_path / "not.json"
    not_json.write_text("<html>")
    with pytest.raises(StudyFormatError, match="not JSON"):
        load_studies(not_json)


def _hint_studies() -> list[Study]:
    if not HINT_FILE.is_file():
        pytest.skip(f"the shared data is absent: {HINT_FILE} (shared/data/trials beside the repository)")
    return load_studies(HINT_FILE)


def test_real_hint_corpus_reads_whole():
    studies = _hint_studies()
    assert len(studies) == 105
    assert len({s.nct_id for s in studies}) == 105
    assert all(re.fullmatch(r"NCT\d{8}", s.nct_id) for s in studies)
    # Historical studies: none recruiting; every one has its criteria text, phases and interventions.
    assert not {s.status for s in studies} & {"RECRUITING", "NOT_YET_RECRUITING"}
    assert all(s.eligibility_criteria.strip() for s in studies)
    assert all(s.phases and set(s.phases) <= {"PHASE1", "PHASE2", "PHASE3", "PHASE4"} for s in studies)
    assert all(s.interventions for s in studies)
    # The trimmed shape has no titles, locations or ages.
    assert all(s.title == s.nct_id and s.locations == () and s.minimum_age_years is None for s in studies)
    stopped = [s for s in studies if s.why_stopped]
    assert len(stopped) == 39
    assert all(s.why_stopped == s.why_stopped.strip() and "\n" not in s.why_stopped for s in stopped)


def test_real_hint_corpus_first_record():
    first = _hint_studies()[0]
    assert first.nct_id == "NCT00004239"
    assert first.status == "TERMINATED"
    assert first.why_stopped == "poor accrual"
    assert first.phases == ("PHASE1",)
    assert first.interventions == ("compound 506u78",)
    assert "multiple myeloma and plasma cell neoplasm" in first.conditions
    assert first.eligibility_criteria.startswith("DISEASE CHARACTERISTICS:")
