"""Requests per second and latency of the running clinic service, driven from a second process on loopback.

    .venv/bin/python bench/serve_bench.py [--requests 200] [--concurrency 4] [--seconds 60]

Starts ``rrmm serve --demo`` in a child process on 127.0.0.1 (a free port, a temporary RRMM_HOME with its
SQLite database), gets a bearer token for ``demo-hematologist``, then for each workload sends at most
``--requests`` requests (and stops after ``--seconds``) with ``--concurrency`` threads over httpx:

  plan        GET /v1/patients/{id}/plan, cycling over the ten example patients;
  cds-hooks   POST /cds-services/rrmm-patient-view with each example's FHIR bundle as prefetch.

One untimed call of each per patient warms the server up first (the knowledge base loads on first use).

Prints requests per second, p50 and p99 latency (ms) and the error count, then stops the server. Traffic
goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, RRMM_HOME=str(home), RRMM_DEMO_PASSWORD=PASSWORD)
    env.pop("RRMM_DATABASE_URL", None)
    rrmm = Path(sys.executable).with_name("rrmm")
    cmd = [str(rrmm), "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start within 60 s")


def run(name: str, send, n: int, concurrency: int, seconds: float) -> None:
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + seconds

    def one(i: int) -> tuple[float, bool]:
        if time.monotonic() > stop_at:
            return -1.0, True
        t = time.perf_counter()
        ok = send(i)
        return time.perf_counter() - t, ok

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for latency, ok in pool.map(one, range(n)):
            if latency < 0:
                continue
            latencies.append(latency)
            errors += not ok
    wall = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    print(
        f"{name:10s} {len(latencies):5d} requests in {wall:6.1f} s: {len(latencies) / wall:7.1f} req/s, "
        f"p50 {statistics.median(latencies) * 1000:7.1f} ms, p99 {p99 * 1000:7.1f} ms, errors {errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    from rrmm.fhir.exporter import record_to_bundle
    from rrmm.record import record_from_json

    records = [record_from_json(p.read_bytes()) for p in sorted((ROOT / "examples").glob("*.json"))]
    bundles = [json.loads(json.dumps(record_to_bundle(r))) for r in records]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as home:
        server = start_server(Path(home), port)
        try:
            token = httpx.post(
                f"{base}/v1/auth/token", json={"username": "demo-hematologist", "password": PASSWORD}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            client = httpx.Client(base_url=base, headers=headers, timeout=60)

            def plan(i: int) -> bool:
                return client.get(f"/v1/patients/{records[i % len(records)].id}/plan").status_code == 200

            def cds(i: int) -> bool:
                b = bundles[i % len(bundles)]
                body = {
                    "hook": "patient-view",
                    "hookInstance": str(uuid.uuid4()),
                    "context": {"userId": "Practitioner/bench", "patientId": b["entry"][0]["resource"]["id"]},
                    "prefetch": {"patient": b["entry"][0]["resource"], "everything": b},
                }
                return client.post("/cds-services/rrmm-patient-view", json=body).status_code == 200

            for i in range(len(records)):  # warm up: knowledge base and templates load on first use
                plan(i), cds(i)
            print(f"server: rrmm serve --demo on {base}, {len(records)} patients, {args.concurrency} threads")
            run("plan", plan, args.requests, args.concurrency, args.seconds)
            run("cds-hooks", cds, args.requests, args.concurrency, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
