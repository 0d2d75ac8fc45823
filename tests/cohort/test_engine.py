"""A cohort run gives, for every patient, what ``rrmm plan`` gives for the same patient's record: 1,000
synthetic patients written as OMOP tables (``rrmm synth --omop``), run on DuckDB and on Spark local mode.
Also: drug-exposure eras when there is no episode table (the 30-day window on both sides), malformed rows
reported per patient and never fatal, trial feasibility counts, and the outputs."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rrmm.cohort.process import plan_result
from rrmm.cohort.run import run_cohort
from rrmm.cohort.writer import write_omop
from rrmm.record import record_from_mapping
from rrmm.synth import synthesize
from rrmm.trials.study import load_studies

N = 1000
SEED = 8
FIXTURES = Path(__file__).parents[1] / "trials" / "fixtures"


def java_available() -> bool:
    return shutil.which("java") is not None


@pytest.fixture(scope="module")
def records():
    return [record_from_mapping(r) for r in synthesize(N, SEED)]


@pytest.fixture(scope="module")
def omop_dir(records, tmp_path_factory):
    out = tmp_path_factory.mktemp("omop")
    write_omop(records, out)
    return out


@pytest.fixture(scope="module")
def studies():
    return load_studies(FIXTURES / "page1.json") + load_studies(FIXTURES / "page2.json")


@pytest.fixture(scope="module")
def expected(records, studies):
    """What rrmm plan (build_plan) gives for each record, in the cohort's row shape."""
    return {i + 1: plan_result(i + 1, r, [], "us", studies) for i, r in enumerate(records)}


def read(out: Path, name: str) -> list[dict]:
    return pq.read_table(out / f"{name}.parquet").to_pylist()


def check_same_as_plan(out: Path, expected) -> None:
    patients = {p["person_id"]: p for p in read(out, "patients")}
    assert len(patients) == N  # every patient counted, failed or not
    mismatched = [pid for pid, want in expected.items() if patients[pid] != _normal(want.patient)]
    assert mismatched == [], f"{len(mismatched)} patients differ, first {mismatched[:5]}"
    lines = read(out, "lines")
    assert len(lines) == sum(len(e.lines) for e in expected.values())
    trials = {t["nct_id"]: t for t in read(out, "trials")}
    for nct in {n for e in expected.values() for n, _ in e.trials}:
        want = [v for e in expected.values() for n, v in e.trials if n == nct]
        got = trials[nct]
        assert (got["eligible"], got["uncertain"], got["excluded"]) == (
            want.count("eligible"),
            want.count("uncertain"),
            want.count("excluded"),
        )
    assert (out / "summary.html").read_text().count("<svg") == 3


def _normal(patient: dict) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in patient.items()}


def test_duckdb_equals_rrmm_plan(omop_dir, expected, studies, tmp_path):
    summary = run_cohort(str(omop_dir), tmp_path, engine="duckdb", studies=studies, workers=2)
    assert summary.patients == N and summary.failed == 0
    check_same_as_plan(tmp_path, expected)


@pytest.mark.skipif(
    not java_available(), reason="no Java runtime: Spark cannot start (scripts/java.sh installs one)"
)
def test_spark_local_equals_rrmm_plan(omop_dir, expected, studies, tmp_path):
    summary = run_cohort(str(omop_dir), tmp_path, engine="spark", studies=studies)
    assert summary.patients == N and summary.failed == 0
    check_same_as_plan(tmp_path, expected)


# ----------------------------------------------------------------------------- hand-built OMOP tables
def _write(root: Path, name: str, rows: list[dict]) -> None:
    from rrmm.cohort import omop

    schema = getattr(omop, name.upper())
    (root / name).mkdir(parents=True, exist_ok=True)
    full = [{f.name: r.get(f.name) for f in schema} for r in rows]
    pq.write_table(pa.Table.from_pylist(full, schema=schema), root / name / "part-0.parquet")


CONCEPTS = [
    {
        "concept_id": 1,
        "concept_name": "Multiple myeloma",
        "vocabulary_id": "ICD10CM",
        "concept_code": "C90.00",
    },
    {"concept_id": 2, "concept_name": "bortezomib", "vocabulary_id": "RxNorm", "concept_code": "358258"},
    {"concept_id": 3, "concept_name": "lenalidomide", "vocabulary_id": "RxNorm", "concept_code": "342369"},
    {"concept_id": 8532, "concept_name": "FEMALE", "vocabulary_id": "Gender", "concept_code": "F"},
]


def _concept_row(c: dict) -> dict:
    return dict(
        c,
        domain_id="Drug",
        concept_class_id="Ingredient",
        valid_start_date=dt.date(1970, 1, 1),
        valid_end_date=dt.date(2099, 12, 31),
    )


def small_cohort(root: Path, exposures: list[tuple[int, int, str, str]], extra_conditions=()) -> Path:
    """Two patients (person 1 and 2), myeloma since 2020-01-10, observed to 2024-06-01; ``exposures``:
    (person, drug concept, start, end) rows, no episode table."""
    persons = [
        {
            "person_id": p,
            "gender_concept_id": 8532,
            "year_of_birth": 1955,
            "race_concept_id": 0,
            "ethnicity_concept_id": 0,
            "person_source_value": f"p{p}",
        }
        for p in (1, 2)
    ]
    _write(root, "person", persons)
    _write(
        root,
        "observation_period",
        [
            {
                "observation_period_id": p,
                "person_id": p,
                "observation_period_start_date": dt.date(2019, 1, 1),
                "observation_period_end_date": dt.date(2024, 6, 1),
                "period_type_concept_id": 32817,
            }
            for p in (1, 2)
        ],
    )
    conditions = [
        {
            "condition_occurrence_id": p,
            "person_id": p,
            "condition_concept_id": 1,
            "condition_start_date": dt.date(2020, 1, 10),
            "condition_type_concept_id": 32817,
        }
        for p in (1, 2)
    ] + list(extra_conditions)
    _write(root, "condition_occurrence", conditions)
    _write(
        root,
        "drug_exposure",
        [
            {
                "drug_exposure_id": i + 1,
                "person_id": p,
                "drug_concept_id": d,
                "drug_exposure_start_date": dt.date.fromisoformat(s),
                "drug_exposure_end_date": dt.date.fromisoformat(e),
                "verbatim_end_date": dt.date.fromisoformat(e),
                "drug_type_concept_id": 32817,
            }
            for i, (p, d, s, e) in enumerate(exposures)
        ],
    )
    for name in ("measurement", "observation", "procedure_occurrence"):
        _write(root, name, [])
    _write(root, "concept", [_concept_row(c) for c in CONCEPTS])
    return root


def courses(out: Path, person: int) -> list[tuple[str, str, str | None]]:
    lines = [x for x in read(out, "lines") if x["person_id"] == person]
    return [(",".join(x["drugs"]), str(x["start_date"]), x["end_date"] and str(x["end_date"])) for x in lines]


ENGINES = [
    "duckdb",
    pytest.param("spark", marks=pytest.mark.skipif(not java_available(), reason="no Java runtime")),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_exposures_30_days_apart_are_one_course_and_31_days_two(tmp_path, engine):
    # person 1: bortezomib 2020-02-01..02-01 and again 2020-03-02 (30 days later): one course
    # person 2: bortezomib 2020-02-01..02-01 and again 2020-03-03 (31 days later): two courses
    root = small_cohort(
        tmp_path / "omop",
        [
            (1, 2, "2020-02-01", "2020-02-01"),
            (1, 2, "2020-03-02", "2020-03-02"),
            (2, 2, "2020-02-01", "2020-02-01"),
            (2, 2, "2020-03-03", "2020-03-03"),
        ],
    )
    out = tmp_path / "out"
    run_cohort(str(root), out, engine=engine, workers=1)
    patients = {p["person_id"]: p for p in read(out, "patients")}
    assert patients[1]["status"] == patients[2]["status"] == "ok"
    assert courses(out, 1) == [("bortezomib", "2020-02-01", "2020-03-02")]
    # a restart of the same drug after more than 90 days off starts a new line; 31 days does not
    assert courses(out, 2) == [("bortezomib", "2020-02-01", "2020-03-03")]


@pytest.mark.parametrize("engine", ENGINES)
def test_malformed_rows_are_reported_per_patient_and_never_fatal(tmp_path, engine):
    # person 1: an exposure of an unknown concept (99) and one ending before it starts, beside a good one:
    # both bad rows are reported as person 1's problems, the good one is read, and the run goes on
    root = small_cohort(
        tmp_path / "omop",
        [
            (1, 99, "2020-02-01", "2020-03-01"),
            (1, 3, "2020-04-01", "2020-03-01"),
            (1, 2, "2020-02-01", "2020-06-01"),
        ],
    )
    out = tmp_path / "out"
    summary = run_cohort(str(root), out, engine=engine, workers=1)
    patients = {p["person_id"]: p for p in read(out, "patients")}
    assert summary.patients == 2 and set(patients) == {1, 2}
    problems = " ".join(patients[1]["problems"])
    assert "99" in problems and patients[1]["status"] == "ok"
    assert [c[0] for c in courses(out, 1)] == ["bortezomib"]


def test_a_patient_that_cannot_be_read_is_failed_with_its_reason(tmp_path):
    # person 2 born after the diagnosis: the record is refused, and the patient still counts, as failed
    root = small_cohort(tmp_path / "omop", [(1, 2, "2020-02-01", "2020-06-01")])
    persons = pq.read_table(root / "person").to_pylist()
    persons[1]["year_of_birth"] = 2023  # born after the myeloma diagnosis of 2020
    from rrmm.cohort import omop

    pq.write_table(pa.Table.from_pylist(persons, schema=omop.PERSON), root / "person" / "part-0.parquet")
    out = tmp_path / "out"
    summary = run_cohort(str(root), out, workers=1)
    patients = {p["person_id"]: p for p in read(out, "patients")}
    assert summary.failed == 1 and patients[2]["status"] == "failed" and patients[2]["problems"]
    assert "failed" in (out / "summary.html").read_text()


@pytest.mark.skipif(
    not __import__("os").environ.get("RRMM_TEST_POSTGRES_URL"),
    reason="PostgreSQL not tested: RRMM_TEST_POSTGRES_URL is unset (scripts/postgres.sh starts one)",
)
def test_postgresql_source_gives_the_same_patients(records, omop_dir, tmp_path):
    import os
    import uuid

    import ibis

    from rrmm.cohort.pipeline import TABLES, parquet_path

    base = os.environ["RRMM_TEST_POSTGRES_URL"].replace("postgresql+psycopg://", "postgresql://")
    schema = f"cohort_{uuid.uuid4().hex[:10]}"
    admin = ibis.connect(base)
    admin.raw_sql(f'CREATE SCHEMA "{schema}"')
    url = f"{base}?options=-csearch_path%3D{schema}"
    try:
        con = ibis.connect(url)
        for name in TABLES:
            path = parquet_path(omop_dir, name)
            if path is not None:
                con.create_table(name, pq.read_table(path.replace("*.parquet", "")))
        run_cohort(url, tmp_path / "pg", workers=1)
        run_cohort(str(omop_dir), tmp_path / "parquet", workers=1)
        assert read(tmp_path / "pg", "patients") == read(tmp_path / "parquet", "patients")
        assert read(tmp_path / "pg", "lines") == read(tmp_path / "parquet", "lines")
    finally:
        admin.raw_sql(f'DROP SCHEMA "{schema}" CASCADE')
