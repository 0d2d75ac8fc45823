"""Throughput of the FHIR import and export on synthetic records.

    .venv/bin/python bench/fhir_bench.py [--n 1000] [--seed 2026]

The records come from ``rrmm.synth`` before any clock starts. Timed with ``time.perf_counter``, in one
process: (a) export, ``record_to_bundle``; (b) validation of each bundle by fhir.resources R4B
(``Bundle.model_validate``); (c) import with the per-resource FHIR validation; (d) import without it.
Prints records per second, resources per bundle and the share of the import spent validating.
"""

from __future__ import annotations

import argparse
import json
import time

from fhir.resources.R4B.bundle import Bundle

from rrmm.fhir.exporter import record_to_bundle
from rrmm.fhir.importer import import_bundle
from rrmm.record import record_from_mapping
from rrmm.synth import synthesize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    raw = synthesize(args.n, args.seed)
    records = [r if not isinstance(r, dict) else record_from_mapping(r) for r in raw]

    t0 = time.perf_counter()
    bundles = [json.loads(json.dumps(record_to_bundle(r))) for r in records]
    t1 = time.perf_counter()
    for b in bundles:
        Bundle.model_validate(b)
    t2 = time.perf_counter()
    for b in bundles:
        import_bundle(b)
    t3 = time.perf_counter()
    for b in bundles:
        import_bundle(b, validate=False)
    t4 = time.perf_counter()

    n = len(records)
    resources = sum(len(b["entry"]) for b in bundles) / n
    print(f"{n} records, {resources:.0f} resources per bundle on average")
    print(f"export                     {n / (t1 - t0):8.0f} records/s")
    print(f"fhir.resources validation  {n / (t2 - t1):8.0f} bundles/s")
    print(f"import (validating)        {n / (t3 - t2):8.0f} records/s")
    print(f"import (no validation)     {n / (t4 - t3):8.0f} records/s")
    print(f"validation share of import {1 - (t4 - t3) / (t3 - t2):8.0%}")


if __name__ == "__main__":
    main()
