"""Node agents end to end: Pods from create to all Running+Ready on an embedded cluster.

Scenarios (each starts its own `kruise up` in a temporary directory and stops it afterwards):

  sim-zero       1,000 Pods on 10 sim nodes, zero stage delays        target <= 15 s
  sim-realistic  1,000 Pods on 10 sim nodes, the 'realistic' preset   (informational)
  process        100 Pods on the process runtime (3 nodes)            target <= 20 s

Pods are created with POST /api/v1/namespaces/default/pods at concurrency 32, without nodeName
(the scheduler places them); the clock runs from the first create to the first LIST in which
every Pod is Running with Ready=True. Results: median of N runs.

    .venv/bin/python bench/nodes.py            # full: sim-zero x3, sim-realistic x1, process x1
    .venv/bin/python bench/nodes.py --quick    # 200 sim Pods on 4 nodes, 20 process Pods
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson
from embedded import (
    cache_mode,
    drop_caches_before_each_cluster,
    git_head,
    machine,
    start_cluster,
    stop_cluster,
)

CONCURRENCY = 32


@dataclass
class Scenario:
    name: str
    runtime: str
    nodes: int
    pods: int
    stages: str
    runs: int
    target: float | None


def sim_pod(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "bench"}},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "nginx:1.25",
                    "ports": [{"containerPort": 80}],
                    "readinessProbe": {"tcpSocket": {"port": 80}, "periodSeconds": 1},
                }
            ],
            "volumes": [{"name": "data", "emptyDir": {}}],
        },
    }


def process_pod(name: str) -> dict:
    pod = sim_pod(name)
    c = pod["spec"]["containers"][0]
    c.pop("readinessProbe")  # nothing listens: a sleeping process is Ready once started
    c["command"] = ["sleep", "3600"]
    return pod


def _ready(p: dict) -> bool:
    st = p.get("status") or {}
    return st.get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in st.get("conditions") or []
    )


async def run_once(sc: Scenario, timeout: float) -> tuple[float, float]:
    """(seconds from first create to all Running+Ready, seconds spent creating)."""
    tmp = Path(tempfile.mkdtemp(prefix=f"kruise-bench-{sc.name}-"))
    proc, api = await start_cluster(tmp / "cluster", sc.runtime, sc.nodes, sc.stages or "zero")
    make = sim_pod if sc.runtime == "sim" else process_pod
    url = f"{api}/api/v1/namespaces/default/pods"
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as http:
            queue = list(range(sc.pods))

            async def creator() -> None:
                while queue:
                    i = queue.pop()
                    async with http.post(url, data=orjson.dumps(make(f"bench-{i}")),
                                         headers={"Content-Type": "application/json"}) as r:  # fmt: skip
                        if r.status != 201:
                            raise RuntimeError(f"create: {r.status} {await r.text()}")

            t0 = time.monotonic()
            await asyncio.gather(*(creator() for _ in range(CONCURRENCY)))
            created = time.monotonic() - t0
            while True:
                async with http.get(url) as r:
                    items = orjson.loads(await r.read())["items"]
                done = sum(1 for p in items if _ready(p))
                elapsed = time.monotonic() - t0
                if done == sc.pods:
                    return elapsed, created
                if elapsed > timeout:
                    raise RuntimeError(f"only {done}/{sc.pods} Ready after {timeout:.0f}s")
                await asyncio.sleep(0.25)
    finally:
        await stop_cluster(proc)
        shutil.rmtree(tmp, ignore_errors=True)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller run (about a minute)")
    ap.add_argument("--runs", type=int, help="runs of the sim zero-delay scenario (default 3; quick: 1)")
    ap.add_argument("--only", help="comma-separated scenario names")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument(
        "--drop-caches", action="store_true", help="drop the page cache before each cluster start (root)"
    )
    args = ap.parse_args()
    drop_caches_before_each_cluster(args.drop_caches)
    if args.quick:
        scenarios = [
            Scenario("sim-zero", "sim", 4, 200, "zero", args.runs or 1, None),
            Scenario("sim-realistic", "sim", 4, 200, "realistic", 1, None),
            Scenario("process", "process", 2, 20, "", 1, None),
        ]
    else:
        scenarios = [
            Scenario("sim-zero", "sim", 10, 1000, "zero", args.runs or 3, 15.0),
            Scenario("sim-realistic", "sim", 10, 1000, "realistic", 1, None),
            Scenario("process", "process", 3, 100, "", 1, 20.0),
        ]
    if args.only:
        names = set(args.only.split(","))
        scenarios = [s for s in scenarios if s.name in names]
    rows = []
    for sc in scenarios:
        results = []
        for n in range(sc.runs):
            print(f"{sc.name}: run {n + 1}/{sc.runs} ({sc.pods} pods, {sc.nodes} nodes)", file=sys.stderr)
            results.append(await run_once(sc, args.timeout))
            print(f"  {results[-1][0]:.2f}s (creates took {results[-1][1]:.2f}s)", file=sys.stderr)
        med = statistics.median(r[0] for r in results)
        creates = statistics.median(r[1] for r in results)
        runs = ", ".join(f"{r[0]:.1f}" for r in results)
        if sc.target is None:
            verdict, ratio = "—", "—"
        else:
            verdict = "PASS" if med <= sc.target else "FAIL"
            ratio = f"{med / sc.target:.2f} x target"
        target = f"≤ {sc.target:g} s" if sc.target else "—"
        stages = f" ({sc.stages} stages)" if sc.runtime == "sim" else ""
        rows.append(
            f"| {sc.name}: {sc.pods} pods / {sc.nodes} {sc.runtime} nodes{stages} | {med:.2f} s "
            f"(runs: {runs}; creates {creates:.1f} s) | {target} | {verdict} | {ratio} |"
        )
    print(f"Machine: {machine()}; code at {git_head()}; {cache_mode()}")
    print(f"Command: .venv/bin/python bench/nodes.py {' '.join(sys.argv[1:])}".rstrip())
    print()
    print("| Scenario | Create → all Running+Ready (median) | Target | Result | Ratio |")
    print("|---|---:|---:|:---:|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    asyncio.run(main())
