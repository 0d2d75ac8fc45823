"""Population scale: a cohort run over N synthetic OMOP patients, against a bare scan and sort.

    .venv/bin/python bench/cohort_bench.py [--n 1000000] [--engine duckdb|spark] [--workers 2] [--omop DIR]

1. Writes N synthetic patients as OMOP CDM v5.4 Parquet tables (``rrmm synth --omop``), unless ``--omop``
   names a folder that already holds them (timed separately: it is not part of the run).
2. Bare scan: DuckDB reads every Parquet table of the folder, sorts it by person_id and writes the sorted
   rows to a scratch Parquet file (so the sort cannot be optimised away), the least any per-patient job over
   the same files must do.
3. The cohort run on the chosen engine (``rrmm cohort run``): set-based steps, the per-patient step
   (record, disease state, plan) for every patient, Parquet outputs and the HTML summary.

Prints wall times, patients per second, the ratio run / bare scan, rows per table, and the peak resident
memory (``ru_maxrss``) of the bare scan (run in a child process, so that DuckDB's sort memory is not
counted as the run's), of this process, and of the largest child (the scan or a worker).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def bare_scan(root: Path, scratch: Path) -> tuple[float, dict[str, int]]:
    import duckdb

    from rrmm.cohort.pipeline import TABLES, parquet_path

    con = duckdb.connect()
    counts: dict[str, int] = {}
    scratch.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for table in TABLES:
        path = parquet_path(root, table)
        if path is None:
            continue
        order = {"concept": "concept_id", "episode_event": "episode_id"}.get(table, "person_id")
        target = scratch / f"{table}.parquet"
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{path}') ORDER BY {order}) TO '{target}' (FORMAT parquet)"
        )
        row = con.execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchone()
        counts[table] = int(row[0]) if row else 0
    return time.perf_counter() - start, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--omop", type=Path, default=None, help="an existing synthetic OMOP folder")
    args = parser.parse_args()

    from rrmm.cohort.run import run_cohort
    from rrmm.cohort.writer import write_omop
    from rrmm.record import record_from_mapping
    from rrmm.synth import iter_synthesize

    work = Path(tempfile.mkdtemp(prefix="rrmm-cohort-bench-"))
    root = args.omop or work / "omop"
    if args.omop is None:
        t = time.perf_counter()
        written = write_omop((record_from_mapping(r) for r in iter_synthesize(args.n, args.seed)), root)
        print(f"synthetic OMOP: {args.n} patients written in {time.perf_counter() - t:.0f} s: {written}")
    # the bare scan runs in a child process, so that this process's peak memory is the cohort run's own
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        scan_s, counts = pool.submit(bare_scan, root, work / "scan").result()
    scan_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"bare DuckDB scan + sort of every table: {scan_s:.1f} s ({sum(counts.values())} rows: {counts}); "
        f"peak RSS {scan_peak:.0f} MB"
    )
    done = [0]
    t = time.perf_counter()
    last = [t]

    def progress(k: int) -> None:
        done[0] += k
        if time.perf_counter() - last[0] > 60:
            last[0] = time.perf_counter()
            rate = done[0] / (last[0] - t)
            print(f"  ... {done[0]} patients, {rate:.0f}/s", flush=True)

    summary = run_cohort(str(root), work / "out", engine=args.engine, workers=args.workers, progress=progress)
    wall = time.perf_counter() - t
    own, children = peak_mb()
    print(
        f"cohort run on {args.engine}: {summary.patients} patients ({summary.failed} failed) "
        f"in {wall:.0f} s, {summary.patients / wall:.0f} patients/s; "
        f"ratio to the bare scan {wall / scan_s:.0f}x; "
        f"peak RSS {own:.0f} MB (this process), {children:.0f} MB (largest child: the bare scan's process "
        "or a worker)"
    )


if __name__ == "__main__":
    main()
