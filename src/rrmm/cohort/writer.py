"""Records as an OMOP CDM v5.4 database in Parquet: ``write_omop(records, out_dir)``.

Every record field has a home (``docs/omop-conventions.md`` gives the whole mapping), so that
:func:`rrmm.cohort.reader.read_patient` reads the same record back. The writer streams: rows are buffered
for at most ``batch`` records (and at most :data:`MAX_BUFFERED_ROWS` rows a table) and then appended to one
Parquet file a table (``out_dir/<table>/part-00000.parquet``, one row group a flush), so a million records
never sit in memory; only the concept registry (one entry a distinct concept) grows with the data.

Concepts: a record concept is written with the standard code of the shared code tables where they have one
(SNOMED before ICD-10-CM for conditions and ICD-10-PCS for procedures, LOINC for measurements and
observations, RxNorm for drugs, UCUM for units) and with a concept of the local vocabulary ``rrmm`` otherwise;
every concept gets an id from 2,000,000,000 up, in order of first use, and a row of the ``concept`` table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from rrmm.cohort.omop import SCHEMAS
from rrmm.cohort.vocabulary import (
    CONDITION_OCCURRENCE_ID_FIELD,
    DRUG_EXPOSURE_ID_FIELD,
    EHR,
    FIRST_LOCAL_CONCEPT_ID,
    GENDER_OF_SEX,
    LOCAL_KINDS,
    LOCAL_VOCABULARY,
    NO_MATCHING_CONCEPT,
    SYSTEM_OF_VOCABULARY,
    TREATMENT_REGIMEN,
    local_code,
    local_name,
)
from rrmm.record import Record
from rrmm.record.units import ucum_code
from rrmm.terminology.codes import Code, CodeTables, code_tables

Row = dict[str, Any]

#: Buffered rows of one table that trigger a flush even within a batch of records.
MAX_BUFFERED_ROWS = 100_000
#: concept.valid_start_date / valid_end_date defaults of the CDM ("1-Jan-1970" and "31-Dec-2099":
#: OMOP CDM v5.4 field-level conventions of the CONCEPT table).
VALID_START = dt.date(1970, 1, 1)
VALID_END = dt.date(2099, 12, 31)

# Preferred vocabularies per use, best first; the local vocabulary comes after them all.
_CONDITION = ("SNOMED", "ICD10CM")
_PROCEDURE = ("SNOMED", "ICD10PCS")
_MEASURE = ("LOINC",)
_DRUG = ("RxNorm",)
_FLAGS = ("plasma_cell_leukemia", "al_amyloidosis", "extramedullary_disease", "cns_involvement")


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _pick(codes: list[tuple[str, Code]], unit: str | None) -> Code:
    """The code to write among a system's codes for one meaning: the first in the unit the value is in (labs),
    else the first whose display says 'unspecified' (the least specific: 'Allogeneic Unspecified ...',
    'Polyneuropathy, unspecified'), else the first."""
    if unit is not None:
        for _, code in codes:
            if code.unit == unit:
                return code
    for _, code in codes:
        if "unspecified" in code.display.lower():
            return code
    return codes[0][1]


class _ConceptRegistry:
    """Concepts written so far: (vocabulary_id, concept_code) -> concept id, and their concept rows."""

    def __init__(self, tables: CodeTables) -> None:
        self.tables = tables
        self.ids: dict[tuple[str, str], int] = {}
        self.rows: list[Row] = []
        self._chosen: dict[tuple[str, str, tuple[str, ...], str | None], int] = {}

    def add(self, vocabulary: str, code: str, name: str, domain: str, klass: str) -> int:
        key = (vocabulary, code)
        found = self.ids.get(key)
        if found is not None:
            return found
        concept_id = FIRST_LOCAL_CONCEPT_ID + len(self.rows)
        self.ids[key] = concept_id
        self.rows.append(
            {
                "concept_id": concept_id,
                "concept_name": name[:255],
                "domain_id": domain,
                "vocabulary_id": vocabulary,
                "concept_class_id": klass[:20],
                "concept_code": code,
                "valid_start_date": VALID_START,
                "valid_end_date": VALID_END,
            }
        )
        return concept_id

    def local(self, kind: str, value: str) -> int:
        return self.add(
            LOCAL_VOCABULARY, local_code(kind, value), local_name(kind, value), LOCAL_KINDS[kind], kind
        )

    def standard(self, kind: str, value: str, prefer: tuple[str, ...], domain: str) -> int:
        """The concept of a record meaning: the code of the first preferred vocabulary the code tables have
        for it, else a local concept."""
        return self.coded(kind, value, prefer, domain)[0]

    def coded(
        self, kind: str, value: str, prefer: tuple[str, ...], domain: str, unit: str | None = None
    ) -> tuple[int, str]:
        """(concept id, concept code) of a record meaning, as :meth:`standard`."""
        key = (kind, value, prefer, unit)
        cached = self._chosen.get(key)
        if cached is not None:
            row = self.rows[cached - FIRST_LOCAL_CONCEPT_ID]
            return cached, str(row["concept_code"])
        for vocabulary in prefer:
            codes = self.tables.codes_for(kind, value, SYSTEM_OF_VOCABULARY[vocabulary])
            if codes:
                code = _pick(codes, unit)
                concept_id = self.add(vocabulary, code.code, code.display, domain, kind)
                break
        else:
            concept_id = self.local(kind, value)
        self._chosen[key] = concept_id
        return concept_id, str(self.rows[concept_id - FIRST_LOCAL_CONCEPT_ID]["concept_code"])

    def unit(self, unit: str) -> tuple[int, str]:
        code = ucum_code(unit)
        return self.add("UCUM", code, code, "Unit", "unit"), code


class _Sink:
    """Buffered rows per table, appended to one Parquet file a table."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.buffers: dict[str, list[Row]] = {name: [] for name in SCHEMAS}
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.counts: dict[str, int] = dict.fromkeys(SCHEMAS, 0)

    def add(self, table: str, row: Row) -> None:
        buffer = self.buffers[table]
        buffer.append(row)
        if len(buffer) >= MAX_BUFFERED_ROWS:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.buffers):
            rows = self.buffers[name]
            if not rows:
                continue
            schema = SCHEMAS[name]
            arrow = pa.Table.from_pylist(rows, schema=schema)
            writer = self.writers.get(name)
            if writer is None:
                folder = self.out_dir / name
                folder.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(folder / "part-00000.parquet", schema)
                self.writers[name] = writer
            writer.write_table(arrow)
            self.counts[name] += len(rows)
            self.buffers[name] = []

    def close(self) -> dict[str, int]:
        self.flush()
        for name, schema in SCHEMAS.items():
            writer = self.writers.pop(name, None)
            if writer is not None:
                writer.close()
                continue
            folder = self.out_dir / name  # an empty table is still a table the reader finds
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(schema.empty_table(), folder / "part-00000.parquet")
        return dict(self.counts)


class _Writer:
    def __init__(self, out_dir: Path, tables: CodeTables) -> None:
        self.sink = _Sink(out_dir)
        self.concepts = _ConceptRegistry(tables)
        self.next_id: dict[str, int] = {}

    def new_id(self, table: str) -> int:
        n = self.next_id.get(table, 0) + 1
        self.next_id[table] = n
        return n

    # ------------------------------------------------------------------------------------------- rows
    def condition(
        self,
        person_id: int,
        concept: tuple[int, str],
        start: dt.date,
        *,
        start_known: bool = True,
        end: dt.date | None = None,
        status: tuple[int, str] | None = None,
        source: tuple[int, str] | None = None,
        source_value: str | None = None,
    ) -> int:
        row_id = self.new_id("condition_occurrence")
        row: Row = {
            "condition_occurrence_id": row_id,
            "person_id": person_id,
            "condition_concept_id": concept[0],
            "condition_start_date": start,
            "condition_start_datetime": _midnight(start) if start_known else None,
            "condition_end_date": end,
            "condition_type_concept_id": EHR,
            "condition_source_value": (source_value or (source or concept)[1])[:50],
        }
        if source is not None:
            row["condition_source_concept_id"] = source[0]
        if status is not None:
            row["condition_status_concept_id"], row["condition_status_source_value"] = status
        self.sink.add("condition_occurrence", row)
        return row_id

    def measurement(self, person_id: int, concept: tuple[int, str], when: dt.date, **values: Any) -> None:
        row: Row = {
            "measurement_id": self.new_id("measurement"),
            "person_id": person_id,
            "measurement_concept_id": concept[0],
            "measurement_date": when,
            "measurement_type_concept_id": EHR,
            "measurement_source_value": concept[1],
        }
        row.update({k: v for k, v in values.items() if v is not None})
        self.sink.add("measurement", row)

    def observation(self, person_id: int, concept: tuple[int, str], when: dt.date, **values: Any) -> None:
        row: Row = {
            "observation_id": self.new_id("observation"),
            "person_id": person_id,
            "observation_concept_id": concept[0],
            "observation_date": when,
            "observation_type_concept_id": EHR,
            "observation_source_value": concept[1],
        }
        row.update({k: v for k, v in values.items() if v is not None})
        self.sink.add("observation", row)

    def local(self, kind: str, value: str) -> tuple[int, str]:
        return self.concepts.local(kind, value), local_code(kind, value)

    # ------------------------------------------------------------------------------------------ record
    def record(self, person_id: int, r: Record) -> None:
        as_of = r.evaluation_date
        self.person(person_id, r, as_of)
        self.diagnosis(person_id, r, as_of)
        self.conditions(person_id, r, as_of)
        self.measurements(person_id, r, as_of)
        self.observations(person_id, r, as_of)
        self.therapies(person_id, r, as_of)
        for tx in r.transplants:
            concept_id, code = self.concepts.coded("transplant", tx.type, _PROCEDURE, "Procedure")
            self.sink.add(
                "procedure_occurrence",
                {
                    "procedure_occurrence_id": self.new_id("procedure_occurrence"),
                    "person_id": person_id,
                    "procedure_concept_id": concept_id,
                    "procedure_date": tx.date,
                    "procedure_type_concept_id": EHR,
                    "procedure_source_value": code,
                },
            )

    def person(self, person_id: int, r: Record, as_of: dt.date) -> None:
        row: Row = {
            "person_id": person_id,
            "gender_concept_id": GENDER_OF_SEX.get(r.sex, NO_MATCHING_CONCEPT),
            "race_concept_id": NO_MATCHING_CONCEPT,
            "ethnicity_concept_id": NO_MATCHING_CONCEPT,
            "person_source_value": r.id,
            "gender_source_value": r.sex,
        }
        if r.birth_date is not None:
            b = r.birth_date
            row.update(year_of_birth=b.year, month_of_birth=b.month, day_of_birth=b.day)
        else:  # age only (the validator requires one of the two): year_of_birth is NOT NULL in the CDM
            assert r.age is not None
            row["year_of_birth"] = as_of.year - r.age
        self.sink.add("person", row)
        self.sink.add(
            "observation_period",
            {
                "observation_period_id": self.new_id("observation_period"),
                "person_id": person_id,
                "observation_period_start_date": _earliest(r),
                "observation_period_end_date": as_of,
                "period_type_concept_id": EHR,
            },
        )
        if r.as_of is None:
            self.observation(person_id, self.local("record", "as_of_not_stated"), as_of)
        if r.age is not None:
            age, unit = self.local("observation", "age"), self.concepts.unit("a")
            self.observation(
                person_id,
                age,
                as_of,
                value_as_number=float(r.age),
                unit_concept_id=unit[0],
                unit_source_value=unit[1],
            )

    def diagnosis(self, person_id: int, r: Record, as_of: dt.date) -> None:
        d = r.diagnosis
        for flag in ("multiple_myeloma", *_FLAGS):
            value = True if flag == "multiple_myeloma" else getattr(d, flag)
            if value is None:
                continue
            concept = self.concepts.coded("diagnosis", flag, _CONDITION, "Condition")
            if value is False:
                absent = self.local("value", "absent")
                self.observation(person_id, concept, d.date, value_as_concept_id=absent[0])
                continue
            icd = self.concepts.coded("diagnosis", flag, ("ICD10CM",), "Condition")
            source = icd if icd[1] != local_code("diagnosis", flag) else None
            self.condition(
                person_id, concept, d.date, start_known=flag == "multiple_myeloma", source=source or concept
            )
        for name, chain in (("heavy_chain", d.heavy_chain), ("light_chain", d.light_chain)):
            if chain is not None:
                concept = self.concepts.coded("observation", name, _MEASURE, "Observation")
                self.observation(person_id, concept, d.date, value_as_string=chain)

    def conditions(self, person_id: int, r: Record, as_of: dt.date) -> None:
        for c in r.comorbidities:
            concept = self.concepts.coded("comorbidity", c.condition, _CONDITION, "Condition")
            status = None
            if c.grade is not None:
                status = (self.concepts.local("grade", str(c.grade)), f"grade {c.grade}")
            self.condition(
                person_id, concept, c.since or as_of, start_known=c.since is not None, status=status
            )
        for ae in r.adverse_events:
            concept = self.local("adverse_event", ae.term)
            status = (self.concepts.local("grade", str(ae.grade)), f"CTCAE grade {ae.grade}")
            row_id = self.condition(
                person_id, concept, ae.onset, end=ae.resolved, status=status, source_value=ae.term
            )
            link = self.local("attribution", "suspected_drug")
            for drug in ae.attributed_to:
                drug_concept = self.concepts.standard("drug", drug, _DRUG, "Drug")
                self.observation(
                    person_id,
                    link,
                    ae.onset,
                    value_as_concept_id=drug_concept,
                    value_as_string=drug,
                    observation_event_id=row_id,
                    obs_event_field_concept_id=CONDITION_OCCURRENCE_ID_FIELD,
                )

    def measurements(self, person_id: int, r: Record, as_of: dt.date) -> None:
        for ps in r.performance_status:
            concept = self.concepts.coded("observation", "ecog", _MEASURE, "Measurement")
            self.measurement(person_id, concept, ps.date, value_as_number=float(ps.ecog))
        for c in r.cytogenetics:
            concept = self.local("abnormality", c.abnormality)
            result = self.local("result", "positive" if c.present else "negative")
            self.measurement(
                person_id,
                concept,
                c.date,
                value_as_concept_id=result[0],
                value_as_number=c.clone_fraction,
                measurement_source_value=c.abnormality + (f" by {c.method}" if c.method else ""),
            )
        for lab in r.labs:
            unit = self.concepts.unit(lab.unit)
            concept = self.concepts.coded("lab", lab.test, _MEASURE, "Measurement", unit=unit[1])
            self.measurement(
                person_id,
                concept,
                lab.date,
                value_as_number=lab.value,
                unit_concept_id=unit[0],
                unit_source_value=unit[1],
                range_high=lab.upper_limit_normal,
            )
        for f in r.findings:
            concept = self.concepts.coded("finding", f.test, _MEASURE, "Measurement")
            result = self.local("result", f.result)
            self.measurement(
                person_id, concept, f.date, value_as_concept_id=result[0], value_as_number=f.sensitivity
            )
        for what, value, unit_name in (
            ("body_weight", r.weight_kg, "kg"),
            ("body_height", r.height_cm, "cm"),
        ):
            if value is not None:
                concept = self.concepts.coded("observation", what, _MEASURE, "Measurement")
                unit = self.concepts.unit(unit_name)
                self.measurement(
                    person_id,
                    concept,
                    as_of,
                    value_as_number=value,
                    unit_concept_id=unit[0],
                    unit_source_value=unit[1],
                )

    def observations(self, person_id: int, r: Record, as_of: dt.date) -> None:
        for e in r.events:
            status = self.concepts.coded("observation", "disease_status", _MEASURE, "Observation")
            value: int | None = None
            if e.type == "progression":
                value = self.concepts.standard("progression", "True", ("SNOMED",), "Meas Value")
            elif e.response is not None:
                value = self.concepts.local("response", e.response)
            self.observation(person_id, status, e.date, value_as_concept_id=value)
        for s in r.symptoms:
            self.observation(
                person_id,
                self.local("symptom", s.symptom),
                s.date,
                value_as_number=float(s.severity),
                qualifier_source_value=s.reported_by,
            )
        if r.location is not None:
            loc = r.location
            for name, text in (("postal_code", loc.postal_code), ("country", loc.country)):
                if text is not None:
                    self.observation(person_id, self.local("location", name), as_of, value_as_string=text)
            for name, number in (("latitude", loc.latitude), ("longitude", loc.longitude)):
                if number is not None:
                    self.observation(person_id, self.local("location", name), as_of, value_as_number=number)
        if r.preferences is not None:
            p = r.preferences
            if p.max_travel_km is not None:
                unit = self.concepts.unit("km")
                self.observation(
                    person_id,
                    self.local("preference", "max_travel_km"),
                    as_of,
                    value_as_number=p.max_travel_km,
                    unit_concept_id=unit[0],
                    unit_source_value=unit[1],
                )
            for name in ("oral_only", "declines_transplant", "declines_cell_therapy"):
                flag = getattr(p, name)
                if flag is not None:
                    answer = self.concepts.local("value", "yes" if flag else "no")
                    self.observation(
                        person_id, self.local("preference", name), as_of, value_as_concept_id=answer
                    )

    def therapies(self, person_id: int, r: Record, as_of: dt.date) -> None:
        for number, th in enumerate(r.therapies, start=1):
            drug = self.concepts.standard("drug", th.drug, _DRUG, "Drug")
            exposure_id = self.new_id("drug_exposure")
            self.sink.add(
                "drug_exposure",
                {
                    "drug_exposure_id": exposure_id,
                    "person_id": person_id,
                    "drug_concept_id": drug,
                    "drug_exposure_start_date": th.start,
                    "drug_exposure_end_date": th.end or as_of,
                    "verbatim_end_date": th.end,
                    "drug_type_concept_id": EHR,
                    "stop_reason": th.stop_reason,
                    "quantity": th.dose,
                    "drug_source_value": th.drug[:50],
                    "dose_unit_source_value": th.dose_unit,
                },
            )
            episode_id = self.new_id("episode")
            episode: Row = {
                "episode_id": episode_id,
                "person_id": person_id,
                "episode_concept_id": TREATMENT_REGIMEN,
                "episode_start_date": th.start,
                "episode_end_date": th.end,
                "episode_number": number,
                "episode_object_concept_id": drug,
                "episode_type_concept_id": EHR,
            }
            if th.setting is not None:
                episode["episode_source_value"] = th.setting
                episode["episode_source_concept_id"] = self.concepts.local("setting", th.setting)
            self.sink.add("episode", episode)
            self.sink.add(
                "episode_event",
                {
                    "episode_id": episode_id,
                    "event_id": exposure_id,
                    "episode_event_field_concept_id": DRUG_EXPOSURE_ID_FIELD,
                },
            )

    def close(self) -> dict[str, int]:
        for row in self.concepts.rows:
            self.sink.add("concept", row)
        return self.sink.close()


def _earliest(r: Record) -> dt.date:
    """The earliest date of the record (the observation period's start)."""
    dates = [r.diagnosis.date]
    dates += [e.date for e in r.performance_status] + [e.date for e in r.cytogenetics]
    dates += [e.date for e in r.labs] + [e.date for e in r.findings] + [e.date for e in r.transplants]
    dates += [e.date for e in r.events] + [e.date for e in r.symptoms]
    dates += [t.start for t in r.therapies] + [a.onset for a in r.adverse_events]
    dates += [c.since for c in r.comorbidities if c.since is not None]
    return min(dates)


def write_omop(
    records: Iterable[Record], out_dir: Path, batch: int = 10_000, tables: CodeTables | None = None
) -> dict[str, int]:
    """Write records as OMOP CDM v5.4 Parquet tables under ``out_dir/<table>/``; person_id = 1..N in order,
    person_source_value = the record id. Returns the number of rows written per table."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    writer = _Writer(out_dir, tables or code_tables())
    for person_id, record in enumerate(records, start=1):
        writer.record(person_id, record)
        if person_id % batch == 0:
            writer.sink.flush()
    return writer.close()
