"""The command line: exit codes, one-line errors on stderr, nothing on stdout for a bad record."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builders import course, lab, record_dict, regimen, serum
from rrmm.cli import app

runner = CliRunner()


def good_record() -> dict:
    return record_dict(
        therapies=regimen(
            ["bortezomib", "lenalidomide", "dexamethasone"],
            "2019-02-01",
            "2019-08-01",
            stop_reason="progression",
        ),
        labs=serum([("2019-01-20", 3.0)]) + [lab("creatinine", "2019-01-20", 1.0, "mg/dL")],
        weight_kg=72,
    )


def run(args: list[str], stdin: str | None = None):
    return runner.invoke(app, args, input=stdin)


def test_plan_json_has_the_contract_keys():
    result = run(["plan", "-", "--format", "json"], json.dumps(good_record()))
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    for key in (
        "patient_id",
        "as_of",
        "knowledge_base",
        "disease",
        "options",
        "not_recommended",
        "trials",
        "supportive_care",
        "warnings",
    ):
        assert key in plan
    assert plan["disease"]["lines_of_therapy"] == 1
    assert plan["disease"]["refractory_drugs"] == ["bortezomib", "lenalidomide"]


def test_plan_text_is_readable():
    result = run(["plan", "-"], json.dumps(good_record()))
    assert result.exit_code == 0
    assert "Lines of therapy" in result.stdout and "bortezomib" in result.stdout


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda r: r.update(therapies=[course("notadrug", "2019-02-01")]), "therapies[0].drug"),
        (lambda r: r.update(labs=[lab("creatinine", "2019-01-01", 1.0, "parsecs")]), "labs[0].unit"),
        (
            lambda r: r.update(therapies=[course("bortezomib", "2019-02-01", "2019-01-01")]),
            "therapies[0].end",
        ),
        (lambda r: r.update(age="sixty"), "age"),
        (lambda r: r.pop("diagnosis"), "diagnosis"),
    ],
)
def test_a_bad_record_exits_2_naming_the_field(mutate, field):
    rec = good_record()
    mutate(rec)
    result = run(["plan", "-", "--format", "json"], json.dumps(rec))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert field in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("text", ["{", "", "[1, 2]", '{"schema_version": "1", "id": 5}', "null", "\xff\xfe"])
def test_malformed_input_exits_2_without_a_traceback(text):
    result = run(["plan", "-", "--format", "json"], text)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("rrmm: error:")


def test_a_missing_file_exits_2():
    result = run(["plan", "/nonexistent/record.json"])
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_the_installed_command_separates_stdout_and_stderr():
    """End to end, as a user runs it: a real process, real streams."""
    proc = subprocess.run(
        [sys.executable, "-m", "rrmm", "plan", "-", "--format", "json"],
        input='{"schema_version": "1", "id": 5}',
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stdout == "" and "id" in proc.stderr


def test_synth_writes_valid_records_to_stdout_and_to_a_folder(tmp_path):
    from rrmm.record import record_from_mapping

    result = run(["synth", "--n", "3", "--seed", "5"])
    assert result.exit_code == 0
    records = json.loads(result.stdout)
    assert len(records) == 3
    for rec in records:
        record_from_mapping(rec)
    result = run(["synth", "--n", "2", "--seed", "5", "--out", str(tmp_path)])
    assert result.exit_code == 0
    written = sorted(tmp_path.glob("*.json"))
    assert len(written) == 2
    assert json.loads(written[0].read_text()) == records[0]  # same seed, same records


def test_regimens_lists_and_shows_the_knowledge_base():
    listing = run(["regimens"])
    assert listing.exit_code == 0 and "DPd" in listing.stdout
    shown = run(["regimens", "dpd", "--format", "json"])
    assert shown.exit_code == 0
    regimen = json.loads(shown.stdout)
    assert regimen["id"] == "DPd" and regimen["evidence"][0]["trial"] == "APOLLO"
    missing = run(["regimens", "no-such-regimen"])
    assert missing.exit_code == 2 and "no regimen" in missing.stderr


def test_plan_takes_a_jurisdiction():
    eu = json.loads(
        run(["plan", "-", "--format", "json", "--jurisdiction", "eu"], json.dumps(good_record())).stdout
    )
    assert eu["jurisdiction"] == "eu"
    bad = run(["plan", "-", "--jurisdiction", "mars"], json.dumps(good_record()))
    assert bad.exit_code == 2


def small_corpus(tmp_path: Path) -> Path:
    studies = [
        {
            "protocolSection": {
                "identificationModule": {"nctId": "NCT30000001", "briefTitle": "A recruiting myeloma trial"},
                "statusModule": {"overallStatus": "RECRUITING"},
                "eligibilityModule": {
                    "eligibilityCriteria": "Inclusion Criteria:\n\n* ECOG performance status 0-2\n\n"
                    "Exclusion Criteria:\n\n* Prior allogeneic stem cell transplant",
                    "minimumAge": "18 Years",
                },
            }
        }
    ]
    path = tmp_path / "studies.json"
    path.write_text(json.dumps(studies))
    return path


def test_trials_match_and_list_with_a_study_file(tmp_path):
    corpus = small_corpus(tmp_path)
    rec = good_record()
    rec["performance_status"] = [{"date": "2019-08-01", "ecog": 1}]
    result = run(["trials", "match", "-", "--studies", str(corpus), "--format", "json"], json.dumps(rec))
    assert result.exit_code == 0, result.stderr
    (match,) = json.loads(result.stdout)
    assert match["nct_id"] == "NCT30000001" and match["verdict"] == "eligible"
    assert {c["status"] for c in match["criteria"]} == {"met"}
    listing = run(["trials", "list", "--studies", str(corpus)])
    assert listing.exit_code == 0 and "NCT30000001" in listing.stdout


def test_plan_with_studies_fills_trials(tmp_path):
    corpus = small_corpus(tmp_path)
    result = run(["plan", "-", "--format", "json", "--studies", str(corpus)], json.dumps(good_record()))
    assert result.exit_code == 0
    trials = json.loads(result.stdout)["trials"]
    assert [t["nct_id"] for t in trials] == ["NCT30000001"]


def test_trials_without_a_corpus_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("RRMM_HOME", str(tmp_path / "empty"))
    result = run(["trials", "list"])
    assert result.exit_code == 2 and "no trial corpus" in result.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('[{"protocolSection": {}}]')
    result = run(["trials", "list", "--studies", str(bad)])
    assert result.exit_code == 2 and "bad.json" in result.stderr


def test_astct_crs_grades_at_the_bedside():
    # ASTCT 2019: fever with hypoxia needing high-flow oxygen is grade 3
    result = run(["astct", "crs", "--fever", "--oxygen", "high_flow", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["grade"] == 3


def test_astct_icans_adds_up_the_ice_items():
    # ICE: orientation 2 + naming 1 + commands 1 = 4 points, in the 3-6 band: grade 2
    result = run(["astct", "icans", "--orientation", "2", "--naming", "1", "--commands", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["grade"] == 2 and out["because"] == ["ICE score 4 (3-6)"]


def test_astct_icans_without_any_finding_is_an_error():
    result = run(["astct", "icans"])
    assert result.exit_code == 2 and "ICE" in result.stderr


FHIR_EXAMPLES = Path(__file__).parents[2] / "examples" / "fhir"


def test_import_fhir_writes_the_record_and_lists_warnings(tmp_path):
    out = tmp_path / "record.json"
    result = run(["import-fhir", str(FHIR_EXAMPLES / "ehr-searchset.json"), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert json.loads(out.read_text())["id"] == "pt-8842"
    assert "warning: Observation/obs-glu" in result.stderr  # glucose is not a record lab


def test_import_fhir_error_names_the_resource_and_writes_nothing(tmp_path):
    bundle = json.loads((FHIR_EXAMPLES / "transaction-new-patient.json").read_text())
    bundle["entry"][3]["resource"]["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = (
        "2021-01-01"
    )
    out = tmp_path / "record.json"
    result = run(["import-fhir", "-", "-o", str(out)], json.dumps(bundle))
    assert (
        result.exit_code == 2 and "MedicationRequest" in result.stderr and "before it starts" in result.stderr
    )
    assert not out.exists() and not list(tmp_path.iterdir())


def test_export_fhir_then_import_gives_the_record_back(tmp_path):
    source = Path(__file__).parents[2] / "examples" / "t11-14.json"
    bundle = tmp_path / "bundle.json"
    assert run(["export-fhir", str(source), "-o", str(bundle)]).exit_code == 0
    back = run(["import-fhir", str(bundle)])
    assert back.exit_code == 0 and back.stderr == ""
    from rrmm.record import record_from_json

    assert record_from_json(back.stdout) == record_from_json(source.read_bytes())


def test_plan_as_fhir_is_a_bundle_with_a_request_group():
    source = Path(__file__).parents[2] / "examples" / "t11-14.json"
    result = run(["plan", str(source), "--format", "fhir"])
    assert result.exit_code == 0, result.stderr
    bundle = json.loads(result.stdout)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert bundle["resourceType"] == "Bundle" and {"RequestGroup", "Observation", "Patient"} <= kinds


def test_synth_omop_then_cohort_run(tmp_path):
    omop, out = tmp_path / "omop", tmp_path / "out"
    made = run(["synth", "--omop", str(omop), "--n", "12", "--seed", "3"])
    assert made.exit_code == 0, made.stderr
    assert (omop / "person").is_dir() and (omop / "concept").is_dir()
    result = run(["cohort", "run", "--omop", str(omop), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.stderr
    import pyarrow.parquet as pq

    patients = pq.read_table(out / "patients.parquet").to_pylist()
    assert len(patients) == 12 and all(p["status"] == "ok" for p in patients)
    assert (out / "summary.html").exists() and (out / "lines.parquet").exists()


def test_cohort_run_on_a_missing_table_is_an_error_naming_it(tmp_path):
    (tmp_path / "omop").mkdir()
    result = run(["cohort", "run", "--omop", str(tmp_path / "omop"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "person" in result.stderr


def test_cohort_run_on_spark_needs_a_folder(tmp_path):
    db = tmp_path / "omop.duckdb"
    db.write_bytes(b"")
    result = run(["cohort", "run", "--omop", str(db), "--out", str(tmp_path / "out"), "--engine", "spark"])
    assert result.exit_code == 2 and "Spark reads a folder" in result.stderr


def test_interactions_of_the_other_medicines():
    """Ongoing pomalidomide with Luvox (fluvoxamine, a strong CYP1A2 inhibitor): the Imnovid SmPC 4.5 row,
    reduce the pomalidomide dose by 50%; an unknown medicine is named as not checked; a bad medicine entry
    exits 2 naming it."""
    data = record_dict(
        as_of="2024-06-01",
        therapies=[course("pomalidomide", "2024-01-01"), course("dexamethasone", "2024-01-01")],
        medications=[{"name": "Luvox 100 mg"}, {"name": "Zorbexatin"}],
    )
    result = run(["interactions", "-", "--format", "json"], json.dumps(data))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [(i["drug"], i["action"], i["via"]) for i in out["current"]] == [
        ("pomalidomide", "reduce_dose", "strong CYP1A2 inhibitor")
    ]
    assert any("'Zorbexatin' is not in rrmm's interaction tables" in n for n in out["notes"])
    text = run(["interactions", "-"], json.dumps(data))
    assert text.exit_code == 0
    assert "- pomalidomide + Luvox 100 mg (strong CYP1A2 inhibitor): reduce dose." in text.stdout
    data["medications"] = [{"name": "Pomalyst"}]
    bad = run(["interactions", "-"], json.dumps(data))
    assert bad.exit_code == 2 and "medications[0].name" in bad.stderr
