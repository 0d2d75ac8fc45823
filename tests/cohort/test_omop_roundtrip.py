"""Record -> OMOP CDM v5.4 Parquet -> record gives the same record: every example and 1,000 synthetic records
written with write_omop, read back with pyarrow, grouped per person in Python, courses built with
courses_from_episodes, and read with read_patient, with no problems. Also: the Parquet schemas are the CDM's,
the writer streams in row groups, concepts are local ids mapped through (vocabulary_id, concept_code)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rrmm.cohort import omop, writer
from rrmm.cohort.pipeline import PACKED
from rrmm.cohort.reader import courses_from_episodes, read_patient
from rrmm.cohort.vocabulary import (
    DRUG_EXPOSURE_ID_FIELD,
    FEMALE,
    FIRST_LOCAL_CONCEPT_ID,
    MALE,
    TREATMENT_REGIMEN,
    Concepts,
)
from rrmm.cohort.writer import write_omop
from rrmm.record import Record, record_from_json, record_from_mapping
from rrmm.synth import synthesize

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.json"))
PER_PERSON = PACKED  # the tables the cohort step packs per patient


def read_back(out: Path) -> list[tuple[Record | None, tuple[str, ...]]]:
    """Every person of an OMOP folder read back, in person_id order."""
    tables = {name: pq.read_table(out / name).to_pylist() for name in omop.SCHEMAS}
    concepts = Concepts.from_rows(tables["concept"])
    rows: dict[int, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for name in PER_PERSON:
        for row in tables[name]:
            rows[row["person_id"]][name].append(row)
    person_of_episode = {e["episode_id"]: e["person_id"] for e in tables["episode"]}
    for event in tables["episode_event"]:
        rows[person_of_episode[event["episode_id"]]]["episode_event"].append(event)
    results = []
    for person in sorted(tables["person"], key=lambda p: p["person_id"]):
        g = rows[person["person_id"]]
        courses = courses_from_episodes(g["episode"], g["episode_event"], g["drug_exposure"])
        read = read_patient(
            person,
            g["observation_period"],
            g["condition_occurrence"],
            courses,
            g["measurement"],
            g["observation"],
            g["procedure_occurrence"],
            concepts,
        )
        assert read.person_id == person["person_id"]
        results.append((read.record, read.problems))
    return results


def assert_round_trip(records: list[Record], out: Path) -> None:
    counts = write_omop(records, out, batch=64)
    assert counts["person"] == len(records)
    back = read_back(out)
    failures = [
        (r.id, problems) for r, (got, problems) in zip(records, back, strict=True) if got != r or problems
    ]
    assert failures == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_round_trip(path, tmp_path):
    assert_round_trip([record_from_json(path.read_bytes())], tmp_path)


def test_all_examples_in_one_database_round_trip(tmp_path):
    assert_round_trip([record_from_json(p.read_bytes()) for p in EXAMPLES], tmp_path)


@pytest.fixture(scope="module")
def synthetic() -> list[Record]:
    return [record_from_mapping(r) for r in synthesize(1000, 20261127)]


@pytest.fixture(scope="module")
def synthetic_dir(synthetic, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("omop")
    write_omop(synthetic, out)
    return out


def test_one_thousand_synthetic_records_round_trip(synthetic, synthetic_dir):
    back = read_back(synthetic_dir)
    failures = [r.id for r, (got, problems) in zip(synthetic, back, strict=True) if got != r or problems]
    assert failures == []
    # the sample exercises what the mapping has to carry
    assert any(r.as_of is not None for r in synthetic)
    assert any(t.end is None for r in synthetic for t in r.therapies)
    assert any(c.since is None for r in synthetic for c in r.comorbidities)
    assert any(r.diagnosis.plasma_cell_leukemia is False for r in synthetic)
    assert any(a.attributed_to for r in synthetic for a in r.adverse_events)


def test_tables_have_the_cdm_schemas_and_ids(synthetic, synthetic_dir):
    for name, schema in omop.SCHEMAS.items():
        table = pq.read_table(synthetic_dir / name)
        assert table.schema.equals(schema, check_metadata=False), name
        for column in schema:
            if not column.nullable:
                assert table.column(column.name).null_count == 0, (name, column.name)
        key = omop.PRIMARY_KEYS.get(name)
        if key is not None:
            ids = table.column(key).to_pylist()
            assert len(set(ids)) == len(ids), name
    people = pq.read_table(synthetic_dir / "person").to_pylist()
    assert [p["person_id"] for p in people] == list(range(1, len(synthetic) + 1))
    assert [p["person_source_value"] for p in people] == [r.id for r in synthetic]
    genders = {p["gender_concept_id"] for p in people}
    assert genders <= {MALE, FEMALE, 0} and {MALE, FEMALE} <= genders


def test_conventions_as_written(synthetic, synthetic_dir):
    record, person_id = synthetic[0], 1
    period = [
        r for r in pq.read_table(synthetic_dir / "observation_period").to_pylist() if r["person_id"] == 1
    ]
    assert period[0]["observation_period_end_date"] == record.evaluation_date
    concepts = {r["concept_id"]: r for r in pq.read_table(synthetic_dir / "concept").to_pylist()}
    assert min(concepts) == FIRST_LOCAL_CONCEPT_ID
    assert all(len(c["concept_code"]) <= 50 and len(c["concept_class_id"]) <= 20 for c in concepts.values())
    myeloma = [
        r
        for r in pq.read_table(synthetic_dir / "condition_occurrence").to_pylist()
        if r["person_id"] == person_id and r["condition_source_value"] == "C90.00"
    ]
    assert len(myeloma) == 1 and myeloma[0]["condition_start_date"] == record.diagnosis.date
    source = concepts[myeloma[0]["condition_source_concept_id"]]
    assert (source["vocabulary_id"], source["concept_code"]) == ("ICD10CM", "C90.00")
    standard = concepts[myeloma[0]["condition_concept_id"]]
    assert (standard["vocabulary_id"], standard["concept_code"]) == ("SNOMED", "109989006")
    # a course: one drug exposure and one Treatment Regimen episode linked by episode_event
    exposures = [r for r in pq.read_table(synthetic_dir / "drug_exposure").to_pylist() if r["person_id"] == 1]
    episodes = [r for r in pq.read_table(synthetic_dir / "episode").to_pylist() if r["person_id"] == 1]
    assert len(exposures) == len(episodes) == len(record.therapies)
    assert {e["episode_concept_id"] for e in episodes} == {TREATMENT_REGIMEN}
    events = pq.read_table(synthetic_dir / "episode_event").to_pylist()
    assert {e["episode_event_field_concept_id"] for e in events} == {DRUG_EXPOSURE_ID_FIELD}
    for therapy, exposure in zip(record.therapies, exposures, strict=True):
        assert exposure["drug_exposure_start_date"] == therapy.start
        assert exposure["verbatim_end_date"] == therapy.end
        assert exposure["drug_exposure_end_date"] == (therapy.end or record.evaluation_date)
        assert exposure["stop_reason"] == therapy.stop_reason


def test_labs_carry_loinc_ucum_and_upper_limit(synthetic, synthetic_dir):
    concepts = {r["concept_id"]: r for r in pq.read_table(synthetic_dir / "concept").to_pylist()}
    record = next(r for r in synthetic if any(lab.upper_limit_normal for lab in r.labs))
    person_id = synthetic.index(record) + 1
    lab = next(lab for lab in record.labs if lab.upper_limit_normal and lab.test == "ldh")
    rows = [
        r
        for r in pq.read_table(synthetic_dir / "measurement").to_pylist()
        if r["person_id"] == person_id
        and r["measurement_date"] == lab.date
        and concepts[r["measurement_concept_id"]]["concept_code"] == "2532-0"  # LDH, loinc.yaml
    ]
    assert (
        rows and rows[0]["value_as_number"] == lab.value and rows[0]["range_high"] == lab.upper_limit_normal
    )
    unit = concepts[rows[0]["unit_concept_id"]]
    assert (unit["vocabulary_id"], unit["concept_code"]) == ("UCUM", "U/L")


def test_writer_streams_in_row_groups(synthetic, tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "MAX_BUFFERED_ROWS", 1000)
    seen: list[bool] = []

    def lazily():
        for i, record in enumerate(synthetic[:100]):
            if i == 25:  # batch 10: the first batches are on disk before the generator is done
                seen.append((tmp_path / "person" / "part-00000.parquet").exists())
            yield record

    counts = write_omop(lazily(), tmp_path, batch=10)
    assert seen == [True]
    assert pq.ParquetFile(tmp_path / "person" / "part-00000.parquet").num_row_groups == 10
    assert pq.ParquetFile(tmp_path / "measurement" / "part-00000.parquet").num_row_groups > 10
    assert counts["measurement"] == pq.read_metadata(tmp_path / "measurement" / "part-00000.parquet").num_rows
    back = read_back(tmp_path)
    assert [r for r, _ in back] == synthetic[:100] and all(not p for _, p in back)


def test_a_record_without_as_of_or_birth_date_round_trips(tmp_path):
    record = record_from_json(EXAMPLES[0].read_bytes())
    record = record.model_copy(update={"as_of": None, "birth_date": None, "age": 71})
    record = record_from_mapping(record.model_dump(mode="json"))
    assert_round_trip([record], tmp_path)
    person = pq.read_table(tmp_path / "person").to_pylist()[0]
    assert person["year_of_birth"] == record.evaluation_date.year - 71 and person["month_of_birth"] is None


def test_concept_ids_do_not_matter_only_vocabulary_and_code(synthetic, synthetic_dir, tmp_path):
    """Renumber every concept (as an Athena vocabulary would): the records read back the same."""
    for name in omop.SCHEMAS:
        table = pq.read_table(synthetic_dir / name)
        columns = {}
        for column in table.column_names:
            values = table.column(column).to_pylist()
            if column == "concept_id" or (column.endswith("_concept_id") and "field" not in column):
                values = [
                    None if v is None else (v - FIRST_LOCAL_CONCEPT_ID + 7 if v >= 2e9 else v) for v in values
                ]
            columns[column] = values
        (tmp_path / name).mkdir()
        pq.write_table(pa.Table.from_pydict(columns, schema=table.schema), tmp_path / name / "part-0.parquet")
    back = read_back(tmp_path)
    sample = slice(0, 200)
    assert [r for r, _ in back[sample]] == synthetic[sample]
