"""The set-based part of a cohort run, written once in ibis and run by DuckDB or by Spark.

1. **Sources**: the OMOP CDM v5.4 tables as Parquet folders (``DIR/<table>/*.parquet`` or
   ``DIR/<table>.parquet``), a DuckDB file, a PostgreSQL database, or Spark tables.
2. **Myeloma patients**: persons with a condition whose concept is a multiple myeloma (or plasma cell
   leukemia) code of the shared code tables, matched on (vocabulary_id, concept_code) so that a real OMOP
   database with Athena concept ids and rrmm's synthetic one map alike.
3. **Therapy courses** when the database has no ``episode`` table: drug exposures of one person and one drug
   concept joined into eras while the gap between one exposure's start and the latest end before it is at
   most :data:`rrmm.fhir.importer.ADMINISTRATION_GAP_DAYS` days (the OMOP DRUG_ERA persistence window), with
   window functions (a running maximum of the previous ends, a running count of new eras).
4. **One row per patient**: every table's rows of the patient packed as a list of structs beside the
   person, so the per-patient step (:mod:`rrmm.cohort.process`) sees the whole patient at once, on either
   engine.
5. **Concepts**: only the concepts the cohort's rows refer to, as a small table for the per-patient step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from rrmm.cohort.omop import SCHEMAS
from rrmm.fhir.importer import ADMINISTRATION_GAP_DAYS
from rrmm.terminology.codes import SYSTEMS, code_tables

#: The OMOP tables a run reads (those of :mod:`rrmm.cohort.omop`); ``episode`` and ``episode_event`` are
#: optional.
TABLES = tuple(SCHEMAS)
OPTIONAL = frozenset({"episode", "episode_event"})
#: Tables packed per patient (besides the person row).
PACKED = (
    "observation_period",
    "condition_occurrence",
    "drug_exposure",
    "measurement",
    "observation",
    "procedure_occurrence",
    "episode",
)
#: Code-table systems as OMOP vocabulary ids.
VOCABULARY_IDS: dict[str, str] = {
    SYSTEMS["loinc"]: "LOINC",
    SYSTEMS["rxnorm"]: "RxNorm",
    SYSTEMS["snomed"]: "SNOMED",
    SYSTEMS["icd10cm"]: "ICD10CM",
    SYSTEMS["icd10pcs"]: "ICD10PCS",
}


class SourceError(ValueError):
    """A cohort source that cannot be read: names the table and what is wrong."""


@dataclass
class Source:
    """The OMOP tables of one run on one ibis backend."""

    con: Any
    tables: dict[str, ir.Table]
    engine: str

    def has(self, name: str) -> bool:
        return name in self.tables


def parquet_path(root: Path, table: str) -> str | None:
    folder, single = root / table, root / f"{table}.parquet"
    if folder.is_dir() and any(folder.glob("*.parquet")):
        return str(folder / "*.parquet")
    if single.is_file():
        return str(single)
    return None


def open_parquet(root: Path, con: Any, engine: str) -> Source:
    """The Parquet tables under ``root`` on an ibis connection (DuckDB or PySpark)."""
    tables: dict[str, ir.Table] = {}
    for name in TABLES:
        path = parquet_path(root, name)
        if path is None:
            if name in OPTIONAL:
                continue
            raise SourceError(f"{root}: no {name} table ({name}/*.parquet or {name}.parquet)")
        if engine == "spark":
            frame = con._session.read.parquet(path.replace("*.parquet", "") if "*" in path else path)
            frame.createOrReplaceTempView(f"omop_{name}")
            tables[name] = con.table(f"omop_{name}")
        else:
            tables[name] = con.read_parquet(path, table_name=f"omop_{name}")
    return Source(con, tables, engine)


def open_database(con: Any, engine: str) -> Source:
    """The OMOP tables of a database connection (a DuckDB file, PostgreSQL, or the Spark catalog)."""
    present = set(con.list_tables())
    tables: dict[str, ir.Table] = {}
    for name in TABLES:
        if name in present:
            tables[name] = con.table(name)
        elif name not in OPTIONAL:
            raise SourceError(f"the database has no {name} table")
    return Source(con, tables, engine)


def myeloma_codes() -> dict[str, list[str]]:
    """(OMOP vocabulary id -> concept codes) that mean multiple myeloma or plasma cell leukemia, from the
    shared code tables; ICD-10 codes without their dot."""
    codes: dict[str, list[str]] = {}
    tables = code_tables()
    for value in ("multiple_myeloma", "plasma_cell_leukemia"):
        for system, code in tables.codes_for("diagnosis", value):
            vocab = VOCABULARY_IDS.get(system)
            if vocab is not None:
                codes.setdefault(vocab, []).append(code.code.replace(".", "").upper())
    return codes


def myeloma_persons(src: Source) -> ir.Table:
    """Distinct person ids with a myeloma condition."""
    concept, cond = src.tables["concept"], src.tables["condition_occurrence"]
    code = concept.concept_code.upper().replace(".", "")
    matches = [
        (concept.vocabulary_id == vocab) & code.isin(values)
        for vocab, values in sorted(myeloma_codes().items())
    ]
    wanted = concept.filter(ibis.or_(*matches)).select(concept_id=concept.concept_id)
    hit = cond.join(wanted, cond.condition_concept_id == wanted.concept_id)
    return hit.select(person_id=cond.person_id).distinct()


def eras(src: Source, persons: ir.Table) -> ir.Table:
    """Therapy courses from drug exposures (no episode table): one row per person, drug concept and era."""
    de = src.tables["drug_exposure"]
    de = de.semi_join(persons, de.person_id == persons.person_id)
    end = ibis.coalesce(de.drug_exposure_end_date, de.drug_exposure_start_date)
    de = de.mutate(_end=end)
    ordered = ibis.window(
        group_by=[de.person_id, de.drug_concept_id],
        order_by=[de.drug_exposure_start_date, de.drug_exposure_id],
        rows=(None, -1),
    )
    prev_end = de._end.max().over(ordered)
    gap = ibis.interval(days=ADMINISTRATION_GAP_DAYS)
    starts = de.mutate(
        _new=ibis.ifelse(prev_end.isnull() | (de.drug_exposure_start_date > prev_end + gap), 1, 0)
    )
    running = ibis.window(
        group_by=[starts.person_id, starts.drug_concept_id],
        order_by=[starts.drug_exposure_start_date, starts.drug_exposure_id],
        rows=(None, 0),
    )
    numbered = starts.mutate(_era=starts._new.sum().over(running))
    return (
        numbered.group_by(["person_id", "drug_concept_id", "_era"])
        .aggregate(
            start_date=numbered.drug_exposure_start_date.min(),
            end_date=numbered._end.max(),
            verbatim_end_date=numbered.verbatim_end_date.max(),
            stop_reason=numbered.stop_reason.argmax(numbered._end),
            quantity=numbered.quantity.argmax(numbered._end),
            dose_unit_source_value=numbered.dose_unit_source_value.argmax(numbered._end),
        )
        .drop("_era")
    )


def _pack(table: ir.Table, persons: ir.Table, name: str) -> ir.Table:
    rows = table.semi_join(persons, table.person_id == persons.person_id)
    fields = {c: rows[c] for c in rows.columns if c != "person_id"}
    # no order inside the list: Spark cannot order an aggregation; the per-patient step sorts each table
    return rows.group_by("person_id").aggregate(**{name: ibis.struct(fields).collect()})


def patient_rows(src: Source, between: tuple[int, int] | None = None) -> ir.Table:
    """One row per myeloma patient: the person's columns and, per table, its rows as a list of structs
    (``episode_event`` rows come with their episode's person; ``eras`` when there is no episode table).
    ``between``: only the person ids in this closed range (a slice of a large cohort)."""
    persons = myeloma_persons(src)
    if between is not None:
        persons = persons.filter(persons.person_id.between(*between))
    person = src.tables["person"]
    out = person.semi_join(persons, person.person_id == persons.person_id)
    parts: list[ir.Table] = []
    for name in PACKED:
        if src.has(name):
            parts.append(_pack(src.tables[name], persons, name))
    if src.has("episode") and src.has("episode_event"):
        ep, ev = src.tables["episode"], src.tables["episode_event"]
        linked = ev.join(ep.select(ep.episode_id, ep.person_id), "episode_id")
        parts.append(_pack(linked, persons, "episode_event"))
    else:
        parts.append(_pack(eras(src, persons), persons, "eras"))
    for part in parts:
        out = out.left_join(part, "person_id").drop("person_id_right")
    return out.order_by("person_id")


def concept_ids(src: Source, persons: ir.Table) -> ir.Table:
    """The concepts the cohort's rows refer to (every ``*_concept_id`` column of the read tables)."""
    ids: list[ir.Table] = []
    for name, table in src.tables.items():
        if name in ("concept", "episode_event") or "person_id" not in table.columns:
            continue
        rows = table.semi_join(persons, table.person_id == persons.person_id)
        for col in rows.columns:
            if col.endswith("_concept_id"):
                ids.append(rows.select(concept_id=rows[col].cast("int64")))
    union = ibis.union(*ids, distinct=True)
    concept = src.tables["concept"]
    return concept.semi_join(union, concept.concept_id == union.concept_id).select(
        "concept_id", "concept_name", "vocabulary_id", "concept_code"
    )


def concept_map(src: Source) -> dict[int, tuple[str, str, str]]:
    """{concept_id: (vocabulary_id, concept_code, concept_name)} of the cohort's concepts."""
    table = concept_ids(src, myeloma_persons(src)).to_pyarrow()
    rows: Mapping[str, list[Any]] = table.to_pydict()
    return {
        int(cid): (str(vocab), str(code), str(name))
        for cid, vocab, code, name in zip(
            rows["concept_id"], rows["vocabulary_id"], rows["concept_code"], rows["concept_name"], strict=True
        )
    }
