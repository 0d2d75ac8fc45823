"""A cohort run (``rrmm cohort run``): the set-based steps of :mod:`rrmm.cohort.pipeline` on DuckDB or Spark,
the per-patient step of :mod:`rrmm.cohort.process` on every patient, and the outputs:

- ``patients.parquet``: one row per patient (lines, exposed and refractory classes, triple-class and
  penta status, stage, top options; ``status`` ``failed`` with the problems for a patient that could not be
  planned, who still counts);
- ``lines.parquet``: one row per line of therapy;
- ``trials.parquet``: one row per trial of the corpus with the count of patients whose record passes its
  structured criteria (``eligible``), the count with unknowns (``uncertain``) and the count excluded;
- ``summary.html``: counts and charts (lines-of-therapy distribution, refractoriness by line, feasibility
  per trial).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from rrmm.cohort.pipeline import Source, SourceError, concept_map, open_database, open_parquet, patient_rows
from rrmm.cohort.process import LINE_COLUMNS, PATIENT_COLUMNS, PersonResult, process_person
from rrmm.cohort.reader import Concepts
from rrmm.trials.study import Study

#: Patients per Arrow batch handed to the per-patient step.
BATCH = 1000
#: Patients per set-based query on DuckDB: the packing of a slice of the cohort stays within memory.
SLICE = 25_000
#: Rows buffered before a row group of an output is written.
FLUSH = 20_000

Progress = Callable[[int], None]


@dataclass
class CohortSummary:
    engine: str
    patients: int = 0
    failed: int = 0
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------- workers
_WORKER: dict[str, Any] = {}


def _init_worker(
    concepts: dict[int, tuple[str, str, str]], jurisdiction: str, studies: Sequence[Study]
) -> None:
    _WORKER.update(concepts=Concepts(concepts), jurisdiction=jurisdiction, studies=tuple(studies))


def _process_rows(rows: list[dict[str, Any]]) -> list[PersonResult]:
    return [process_person(r, _WORKER["concepts"], _WORKER["jurisdiction"], _WORKER["studies"]) for r in rows]


def _encode(result: PersonResult) -> tuple[int, str, str, str]:
    """A result as JSON text (the Spark step's output columns)."""
    return (
        int(result.patient["person_id"]),
        json.dumps(result.patient, default=str),
        json.dumps(result.lines, default=str),
        json.dumps(result.trials),
    )


# ------------------------------------------------------------------------------------------- engines
def _result_batches(
    src: Source,
    concepts: dict[int, tuple[str, str, str]],
    jurisdiction: str,
    studies: Sequence[Study],
    workers: int,
) -> Iterator[list[PersonResult]]:
    """The per-patient step over the packed batches, in order: in this process, or on ``workers``
    processes with at most two batches per worker in flight."""
    batches = _sliced_batches(src)
    if workers <= 1:
        _init_worker(concepts, jurisdiction, studies)
        for batch in batches:
            yield _process_rows(batch.to_pylist())
        return
    with ProcessPoolExecutor(
        workers, initializer=_init_worker, initargs=(concepts, jurisdiction, studies)
    ) as pool:
        pending: deque[Future[list[PersonResult]]] = deque()
        for batch in batches:
            pending.append(pool.submit(_process_rows, batch.to_pylist()))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _duckdb_results(
    src: Source,
    concepts: dict[int, tuple[str, str, str]],
    jurisdiction: str,
    studies: Sequence[Study],
    workers: int,
    progress: Progress | None,
) -> Iterator[PersonResult]:
    for results in _result_batches(src, concepts, jurisdiction, studies, workers):
        if progress:
            progress(len(results))
        yield from results


def _sliced_batches(src: Source) -> Iterator[pa.RecordBatch]:
    """The packed patient rows in slices of :data:`SLICE` person ids, so that no query holds the whole
    cohort."""
    from rrmm.cohort.pipeline import myeloma_persons

    ids = sorted(myeloma_persons(src).to_pyarrow().column("person_id").to_pylist())
    for i in range(0, len(ids), SLICE):
        chunk = ids[i : i + SLICE]
        yield from patient_rows(src, (chunk[0], chunk[-1])).to_pyarrow_batches(chunk_size=BATCH)


SPARK_OUT = "person_id long, patient string, lines string, trials string"


def _spark_results(
    src: Source,
    concepts: dict[int, tuple[str, str, str]],
    jurisdiction: str,
    studies: Sequence[Study],
    progress: Progress | None,
) -> Iterator[PersonResult]:
    import ibis

    session = src.con._session
    frame = session.sql(str(ibis.to_sql(patient_rows(src), dialect="pyspark")))
    studies_t = tuple(studies)

    def per_batch(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        local = Concepts(concepts)
        for batch in batches:
            encoded = [_encode(process_person(r, local, jurisdiction, studies_t)) for r in batch.to_pylist()]
            cols: list[Sequence[Any]] = list(zip(*encoded, strict=True)) if encoded else [[], [], [], []]
            yield pa.RecordBatch.from_arrays(
                [pa.array(cols[0], pa.int64()), *(pa.array(c, pa.string()) for c in cols[1:])],
                names=["person_id", "patient", "lines", "trials"],
            )

    for row in frame.mapInArrow(per_batch, SPARK_OUT).toLocalIterator():
        result = PersonResult(
            json.loads(row["patient"]),
            json.loads(row["lines"]),
            [tuple(t) for t in json.loads(row["trials"])],
        )
        if progress:
            progress(1)
        yield result


def spark_session(master: str | None = None) -> Any:
    """A Spark session (local[2] unless ``master`` names a cluster), reachable only on loopback locally."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master or "local[2]")
        .appName("rrmm-cohort")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


def from_postgres(url: str) -> Source:
    """The OMOP tables of a PostgreSQL database, streamed as Arrow batches into an embedded DuckDB (the
    myeloma patients are chosen in PostgreSQL first, and only their rows, with the concepts they use, are
    copied); the run then goes on as for any DuckDB source."""
    import ibis

    from rrmm.cohort.pipeline import TABLES, concept_ids, myeloma_persons

    try:
        remote = open_database(ibis.connect(url), "postgres")
    except SourceError:
        raise
    except Exception as exc:  # the driver's own connection error, with its message (no credentials)
        raise SourceError(f"cannot open the PostgreSQL database {url.split('@')[-1]}: {exc}") from None
    persons = myeloma_persons(remote)
    wanted = {
        "concept": concept_ids(remote, persons),
        "episode_event": remote.tables["episode_event"].semi_join(
            remote.tables["episode"].semi_join(persons, "person_id"), "episode_id"
        )
        if remote.has("episode") and remote.has("episode_event")
        else None,
    }
    duck = ibis.duckdb.connect()
    for name in TABLES:
        if not remote.has(name):
            continue
        table = remote.tables[name]
        expr = wanted.get(name)
        if expr is None:
            expr = table.semi_join(persons, "person_id") if "person_id" in table.columns else table
        batches = expr.to_pyarrow_batches(chunk_size=100_000)
        first = True
        for batch in batches:
            arrow = pa.Table.from_batches([batch])
            if first:
                duck.create_table(name, arrow)
                first = False
            else:
                duck.insert(name, arrow)
        if first:
            duck.create_table(name, schema=expr.schema())
    return open_database(duck, "duckdb")


def open_source(omop: str, engine: str, spark_master: str | None = None) -> Source:
    """``omop``: a folder of Parquet tables, a DuckDB file, a ``postgresql://`` URL, or (Spark) a catalog
    database name prefixed ``spark:``."""
    import ibis

    if engine == "spark":
        if not omop.startswith("spark:") and not Path(omop).is_dir():
            raise SourceError(f"{omop}: Spark reads a folder of Parquet tables or spark:DATABASE")
        con = ibis.pyspark.connect(spark_session(spark_master))
        if omop.startswith("spark:"):
            con.raw_sql(f"USE {omop[6:]}")
            return open_database(con, "spark")
        return open_parquet(Path(omop), con, "spark")
    if engine != "duckdb":
        raise SourceError(f"unknown engine {engine!r}: duckdb or spark")
    if omop.startswith(("postgresql://", "postgres://")):
        return from_postgres(omop)
    path = Path(omop)
    if path.is_file():
        return open_database(ibis.duckdb.connect(str(path), read_only=True), "duckdb")
    if not path.is_dir():
        raise SourceError(f"{omop}: not a folder of Parquet tables, a DuckDB file or a PostgreSQL URL")
    return open_parquet(path, ibis.duckdb.connect(), "duckdb")


# ------------------------------------------------------------------------------------------- outputs
PATIENTS_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("record_id", pa.string()),
        ("status", pa.string()),
        ("problems", pa.list_(pa.string())),
        ("lines_of_therapy", pa.int64()),
        ("exposed_classes", pa.list_(pa.string())),
        ("refractory_classes", pa.list_(pa.string())),
        ("refractory_drugs", pa.list_(pa.string())),
        ("triple_class_exposed", pa.bool_()),
        ("triple_class_refractory", pa.bool_()),
        ("penta_refractory", pa.bool_()),
        ("disease_status", pa.string()),
        ("iss", pa.string()),
        ("r_iss", pa.string()),
        ("r2_iss", pa.string()),
        ("top_options", pa.list_(pa.string())),
    ]
)
LINES_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("line", pa.int64()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
        ("drugs", pa.list_(pa.string())),
        ("includes_transplant", pa.bool_()),
        ("includes_car_t", pa.bool_()),
        ("best_response", pa.string()),
        ("ended_by", pa.string()),
        ("refractory_drugs", pa.list_(pa.string())),
    ]
)
assert tuple(PATIENTS_SCHEMA.names) == PATIENT_COLUMNS and tuple(LINES_SCHEMA.names) == LINE_COLUMNS


def _day(v: Any) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(v) if isinstance(v, str) else v


class _Output:
    """Rows of one output, written in row groups as they come (bounded memory), then sorted by DuckDB."""

    def __init__(self, path: Path, schema: pa.Schema, order: str) -> None:
        self.path, self.schema, self.order = path, schema, order
        self.part = path.with_name(f".{path.name}.part")
        self.writer = pq.ParquetWriter(self.part, schema)
        self.rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= FLUSH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        import duckdb

        self.flush()
        self.writer.close()
        con = duckdb.connect()
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{self.part}') ORDER BY {self.order}) TO '{self.path}' "
            "(FORMAT parquet)"
        )
        con.close()
        self.part.unlink()


def _trials_table(counts: dict[str, Counter[str]], studies: Sequence[Study]) -> pa.Table:
    titles = {s.nct_id: s.title for s in studies}
    rows = [
        {
            "nct_id": nct,
            "title": titles.get(nct, ""),
            "eligible": c.get("eligible", 0),
            "uncertain": c.get("uncertain", 0),
            "excluded": c.get("excluded", 0),
        }
        for nct, c in sorted(counts.items(), key=lambda kv: (-kv[1].get("eligible", 0), kv[0]))
    ]
    schema = pa.schema(
        [
            ("nct_id", pa.string()),
            ("title", pa.string()),
            ("eligible", pa.int64()),
            ("uncertain", pa.int64()),
            ("excluded", pa.int64()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def run_cohort(
    omop: str,
    out: Path,
    engine: str = "duckdb",
    jurisdiction: str = "us",
    studies: Sequence[Study] = (),
    spark_master: str | None = None,
    workers: int = 2,
    progress: Progress | None = None,
) -> CohortSummary:
    """Run the cohort and write the outputs under ``out`` (see the module docstring). The results stream to
    the Parquet outputs as they come: memory holds one slice of patients, not the cohort."""
    from rrmm.cohort.summary import CohortStats, summary_html

    start = time.perf_counter()
    src = open_source(omop, engine, spark_master)
    concepts = concept_map(src)
    if engine == "spark":
        results: Iterator[PersonResult] = _spark_results(src, concepts, jurisdiction, studies, progress)
    else:
        results = _duckdb_results(src, concepts, jurisdiction, studies, workers, progress)
    out.mkdir(parents=True, exist_ok=True)
    patients = _Output(out / "patients.parquet", PATIENTS_SCHEMA, "person_id")
    lines = _Output(out / "lines.parquet", LINES_SCHEMA, "person_id, line")
    counts: dict[str, Counter[str]] = {s.nct_id: Counter() for s in studies}
    stats = CohortStats()
    for r in results:
        patients.add(r.patient)
        stats.add(r.patient)
        for line in r.lines:
            lines.add(dict(line, start_date=_day(line["start_date"]), end_date=_day(line["end_date"])))
        for nct, verdict in r.trials:
            counts.setdefault(nct, Counter())[verdict] += 1
    if engine == "spark":
        src.con._session.stop()
    patients.close()
    lines.close()
    trials = _trials_table(counts, studies)
    pq.write_table(trials, out / "trials.parquet")
    summary = CohortSummary(engine=engine, patients=stats.total, failed=stats.failed)
    summary.outputs = {name: str(out / f"{name}.parquet") for name in ("patients", "lines", "trials")}
    html = out / "summary.html"
    html.write_text(summary_html(stats, trials, engine), encoding="utf-8")
    summary.outputs["summary"] = str(html)
    summary.seconds = time.perf_counter() - start
    return summary
