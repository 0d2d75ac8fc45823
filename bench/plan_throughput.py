"""Throughput of rrmm on synthetic records: loading alone against loading, disease state and plan.

    .venv/bin/python bench/plan_throughput.py [--n 10000] [--seed 2026]

The records come from ``rrmm.synth`` and are serialised to JSON before any clock starts. Then, in one
process, two passes over the same texts are timed with ``time.perf_counter``:

  (a) load: ``record_from_json`` (parse and validate) of every record;
  (b) plan: ``record_from_json``, then ``rrmm.planning.plan.build_plan`` when that exists (it works out
      ``rrmm.clinical.state.disease_state`` itself, so the state is not computed twice), else
      ``disease_state`` alone.

It prints records per second for each pass and the ratio of the plan time to the load time.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from rrmm.record import Record, record_from_json
from rrmm.synth import synthesize


def _planner() -> tuple[str, Callable[[Record], Any] | None]:
    """The step timed after loading: build_plan (state and plan) if it exists, else disease_state."""
    try:
        from rrmm.clinical.state import disease_state
    except ImportError:
        return "disease state (absent)", None
    try:
        from rrmm.planning.plan import build_plan
    except ImportError:
        return "load + disease state", disease_state
    return "load + state + plan", build_plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of synthetic records (default 10000)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the synthetic records (default 2026)")
    args = parser.parse_args(argv)
    if args.n <= 0:
        parser.error("--n must be positive")

    started = time.perf_counter()
    records = synthesize(args.n, args.seed)
    generated = time.perf_counter() - started
    texts = [json.dumps(record) for record in records]
    del records
    size_mb = sum(len(text) for text in texts) / 1e6

    started = time.perf_counter()
    for text in texts:
        record_from_json(text)
    load = time.perf_counter() - started

    label, plan_step = _planner()
    plan: float | None = None
    if plan_step is not None:
        started = time.perf_counter()
        for text in texts:
            plan_step(record_from_json(text))
        plan = time.perf_counter() - started

    n = len(texts)
    print(f"{n:,} synthetic records (seed {args.seed}, {size_mb:.1f} MB of JSON)")
    print()
    print(f"{'pass':<24}{'seconds':>10}{'records/s':>12}")
    print(f"{'generate (rrmm.synth)':<24}{generated:>10.2f}{n / generated:>12,.0f}")
    print(f"{'load (parse + validate)':<24}{load:>10.2f}{n / load:>12,.0f}")
    if plan is None:
        print(f"{label:<24}{'-':>10}{'-':>12}")
        print()
        print("rrmm.clinical.state is not importable: only loading was timed")
    else:
        print(f"{label:<24}{plan:>10.2f}{n / plan:>12,.0f}")
        print()
        print(f"ratio plan time / load time: {plan / load:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
