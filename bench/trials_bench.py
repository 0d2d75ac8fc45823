"""Trial matching benchmark: structured share, parse throughput, match latency against 10,000 studies.

    .venv/bin/python bench/trials_bench.py [--studies FILE] [--n 10000] [--record examples/....json]

The real corpus (105 myeloma studies of ../shared/data/trials, or --studies FILE) is parsed once to report
the share of criteria that were structured and the parse throughput. It is then replicated to --n studies
(each copy with its own NCT id, and its criteria text made distinct so that no parse is served from the
cache) and one record is matched against all of them, beside the time to only load those studies from
their JSON objects.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

from rrmm.clinical.state import disease_state
from rrmm.planning.facts import PatientFacts
from rrmm.record import record_from_json
from rrmm.trials.criteria import parse_criteria, split_criteria
from rrmm.trials.matching import match_studies, parsed_criteria
from rrmm.trials.study import study_from_v2

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STUDIES = ROOT.parent / "shared" / "data" / "trials" / "hint-myeloma-studies.json"


def replicate(raw: list[dict], n: int) -> list[dict]:
    out = []
    for i in range(n):
        s = copy.deepcopy(raw[i % len(raw)])
        p = s["protocolSection"]
        p["identificationModule"]["nctId"] = f"NCT9{i:07d}"
        elig = p.setdefault("eligibilityModule", {})
        elig["eligibilityCriteria"] = (elig.get("eligibilityCriteria") or "") + " " * (i // len(raw) + 1)
        out.append(s)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=Path, default=DEFAULT_STUDIES)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--record", type=Path, default=ROOT / "examples" / "triple-class-refractory.json")
    args = parser.parse_args(argv)
    if not args.studies.exists():
        parser.error(f"no study file at {args.studies} (pass --studies FILE)")
    raw = json.loads(args.studies.read_text())
    raw = raw["studies"] if isinstance(raw, dict) else raw
    texts = [s["protocolSection"].get("eligibilityModule", {}).get("eligibilityCriteria") or "" for s in raw]

    started = time.perf_counter()
    criteria = [c for t in texts for c in parse_criteria(t)]
    parse_s = time.perf_counter() - started
    pieces = sum(len(split_criteria(t)) for t in texts)
    texts_structured = {(c.section, c.text) for c in criteria if c.constraint.kind != "unstructured"}
    share = len(texts_structured) / pieces if pieces else 0.0

    replicas = replicate(raw, args.n)
    started = time.perf_counter()
    studies = [study_from_v2(s) for s in replicas]
    load_s = time.perf_counter() - started

    record = record_from_json(args.record.read_text())
    facts = PatientFacts(state=disease_state(record), record=record)
    parsed_criteria.cache_clear()
    started = time.perf_counter()
    matches = match_studies(studies, facts)
    match_s = time.perf_counter() - started
    started = time.perf_counter()
    match_studies(studies, PatientFacts(state=disease_state(record), record=record))
    warm_s = time.perf_counter() - started

    print(f"corpus: {len(raw)} studies, {pieces} criteria ({args.studies.name})")
    print(f"structured criteria: {len(texts_structured)} of {pieces} ({share:.1%})")
    print(f"parse throughput: {pieces / parse_s:,.0f} criteria/s ({parse_s:.2f} s for the corpus)")
    print()
    print(f"{'pass':<44}{'seconds':>9}")
    print(f"{f'load {args.n:,} studies (from JSON objects)':<44}{load_s:>9.2f}")
    print(f"{'match one record, cold (parse every study)':<44}{match_s:>9.2f}")
    print(f"{'match one record, criteria already parsed':<44}{warm_s:>9.2f}")
    verdicts = {v: sum(m.verdict == v for m in matches) for v in ("eligible", "uncertain", "excluded")}
    print(f"verdicts: {verdicts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
