"""CloneSet on the sim runtime: scale-out speed, and in-place vs ReCreate rollouts.

Scenarios (each starts its own `kruise up --runtime sim` in a temporary directory):

  scale      CloneSet of 1,000 replicas on 10 sim nodes, zero stage delays: from create to
             status.readyReplicas == availableReplicas == 1,000              target <= 10 s
  rollout    1,000 replicas, maxUnavailable 20%, a new image rolled with InPlaceIfPossible, then
             the same change on a fresh CloneSet with ReCreate, under a stage preset; reported as
             the ratio in-place / ReCreate                                        target <= 0.2
             and as the controller's overhead beyond the modelled stage delays    target <= 10 %

The modelled time of a rollout is waves x the stage delays on one Pod's critical path, where waves
= ceil(replicas / maxUnavailable): in place a container is stopped, created and started again;
ReCreate starts a new Pod (sandbox, one volume attach per claim, create, start) while the old one
stops. Pods have no readiness probe, so the sim's `readiness` warm-up stage does not apply and
probe periods add nothing. Overhead = measured / modelled - 1.

    .venv/bin/python bench/cloneset.py                       # scale x3, rollout with 'realistic' and 'cloud'
    .venv/bin/python bench/cloneset.py --quick               # 200 replicas on 4 nodes
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from embedded import (
    cache_mode,
    cpu_by_role,
    cpu_spent,
    drop_caches_before_each_cluster,
    git_head,
    machine,
    start_cluster,
    stop_cluster,
)

from kruise.client.config import load_config
from kruise.client.errors import NotFound
from kruise.client.resources import CLONESETS, NAMESPACES, PODS
from kruise.client.rest import Client
from kruise.node.runtimes.sim import PRESETS

NS = "bench"


@dataclass(frozen=True)
class Size:
    replicas: int
    nodes: int


def cloneset(name: str, replicas: int, strategy: str, claims: int) -> dict:
    spec: dict = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {
                "containers": [
                    {"name": "app", "image": "bench/app:1", "resources": {"requests": {"cpu": "1m"}}}
                ]
            },
        },
        "updateStrategy": {"type": strategy, "maxUnavailable": "20%"},
    }
    if claims:
        spec["volumeClaimTemplates"] = [
            {
                "metadata": {"name": f"data{i}"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
            }
            for i in range(claims)
        ]
    meta = {"name": name}
    return {"apiVersion": "apps.kruise.io/v1alpha1", "kind": "CloneSet", "metadata": meta, "spec": spec}


async def wait_done(client: Client, name: str, replicas: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        cs = await client.get(CLONESETS, name, namespace=NS)
        st = cs.get("status") or {}
        if (
            st.get("observedGeneration") == cs["metadata"]["generation"]
            and st.get("currentRevision") == st.get("updateRevision")
            and st.get("updatedReplicas") == replicas
            and st.get("readyReplicas") == replicas
            and st.get("availableReplicas") == replicas
            and st.get("replicas") == replicas
        ):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name}: not done after {timeout:.0f}s: {st}")
        await asyncio.sleep(0.1)


async def wait_gone(client: Client, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (await client.list(PODS, namespace=NS, label_selector=f"app={name}"))["items"]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name}: pods still there after {timeout:.0f}s")
        await asyncio.sleep(0.5)


@dataclass
class Measured:
    seconds: float
    cpu: dict[str, float]  # CPU-seconds per process role of the cluster while it ran


async def with_cluster(size: Size, stages: str, body) -> object:
    """`body(client, cpu)` against a fresh cluster; `cpu()` reads its processes' CPU-seconds by role."""
    tmp = Path(tempfile.mkdtemp(prefix="kruise-bench-cloneset-"))
    proc, _api = await start_cluster(tmp / "cluster", "sim", size.nodes, stages)
    try:
        async with Client(load_config(str(tmp / "cluster" / "kubeconfig"))) as client:
            ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
            await client.create(NAMESPACES, ns)
            return await body(client, lambda: cpu_by_role(proc.pid))
    finally:
        await stop_cluster(proc)
        shutil.rmtree(tmp, ignore_errors=True)


async def scale_once(size: Size, timeout: float) -> Measured:
    async def body(client: Client, cpu) -> Measured:
        t0, cpu0 = time.monotonic(), cpu()
        await client.create(CLONESETS, cloneset("scale", size.replicas, "ReCreate", 0), namespace=NS)
        await wait_done(client, "scale", size.replicas, timeout)
        return Measured(time.monotonic() - t0, cpu_spent(cpu0, cpu()))

    return await with_cluster(size, "zero", body)  # type: ignore[return-value]


async def rollout(
    client: Client, cpu, name: str, size: Size, strategy: str, claims: int, timeout: float
) -> Measured:
    await client.create(CLONESETS, cloneset(name, size.replicas, strategy, claims), namespace=NS)
    await wait_done(client, name, size.replicas, timeout)
    patch = [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "bench/app:2"}]
    t0, cpu0 = time.monotonic(), cpu()
    await client.patch(CLONESETS, name, patch, patch_type="json", namespace=NS)
    await wait_done(client, name, size.replicas, timeout)
    measured = Measured(time.monotonic() - t0, cpu_spent(cpu0, cpu()))
    with contextlib.suppress(NotFound):
        await client.delete(CLONESETS, name, namespace=NS)
    await wait_gone(client, name, timeout)
    return measured


async def rollouts(size: Size, stages: str, claims: int, timeout: float) -> tuple[Measured, Measured]:
    async def body(client: Client, cpu) -> tuple[Measured, Measured]:
        in_place = await rollout(client, cpu, "inplace", size, "InPlaceIfPossible", claims, timeout)
        recreate = await rollout(client, cpu, "recreate", size, "ReCreate", claims, timeout)
        return in_place, recreate

    return await with_cluster(size, stages, body)  # type: ignore[return-value]


def modelled(stages: str, size: Size, claims: int) -> tuple[float, float]:
    d = PRESETS[stages]
    waves = math.ceil(size.replicas / math.ceil(size.replicas * 0.2))
    in_place = d.get("container_stop", 0) + d.get("container_create", 0) + d.get("container_start", 0)
    recreate = (
        d.get("sandbox", 0) + claims * d.get("volume_attach", 0) + d.get("container_create", 0)
        + d.get("container_start", 0)
    )  # fmt: skip
    return waves * in_place, waves * recreate


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="200 replicas on 4 nodes, one run each")
    ap.add_argument("--runs", type=int, help="runs of the scale scenario (default 3; quick 1)")
    ap.add_argument("--only", choices=["scale", "rollout"], help="one scenario")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument(
        "--drop-caches", action="store_true", help="drop the page cache before each cluster start (root)"
    )
    args = ap.parse_args()
    drop_caches_before_each_cluster(args.drop_caches)
    size = Size(200, 4) if args.quick else Size(1000, 10)
    rows: list[str] = []
    cpu_rows: list[str] = []
    if args.only in (None, "scale"):
        runs: list[Measured] = []
        for n in range(args.runs or (1 if args.quick else 3)):
            runs.append(await scale_once(size, args.timeout))
            print(f"scale run {n + 1}: {runs[-1].seconds:.2f}s", file=sys.stderr)
            cpu_rows.append(cpu_row(f"scale, run {n + 1}", runs[-1]))
        med = statistics.median(r.seconds for r in runs)
        rows.append(
            f"| scale 0 → {size.replicas} Ready, {size.nodes} sim nodes, zero delays | "
            f"{med:.2f} s (runs: {', '.join(f'{r.seconds:.1f}' for r in runs)}) | ≤ 10 s | "
            f"{'PASS' if med <= 10 else 'FAIL'} | {med / 10:.2f} x target |"
        )
    if args.only in (None, "rollout"):
        for stages, claims in (("realistic", 0), ("cloud", 1)):
            in_place, recreate = await rollouts(size, stages, claims, args.timeout)
            m_in, m_re = modelled(stages, size, claims)
            ratio = in_place.seconds / recreate.seconds
            print(
                f"rollout {stages}: in-place {in_place.seconds:.2f}s, ReCreate {recreate.seconds:.2f}s",
                file=sys.stderr,
            )
            label = f"{size.replicas} replicas, '{stages}' stages, {claims} claim(s) per Pod"
            # the stage delays alone set a floor: with zero controller overhead the ratio is m_in / m_re
            rows.append(
                f"| rollout in place / ReCreate, {label} | {in_place.seconds:.1f} s / "
                f"{recreate.seconds:.1f} s = {ratio:.2f} (stage model alone: {m_in / m_re:.2f}) | ≤ 0.2 | "
                f"{'PASS' if ratio <= 0.2 else 'FAIL'} | {ratio / 0.2:.2f} x target |"
            )
            for what, got, model in (("in place", in_place, m_in), ("ReCreate", recreate, m_re)):
                over = got.seconds / model - 1 if model else float("inf")
                rows.append(
                    f"| controller overhead, {what}, {label} | {got.seconds:.1f} s measured vs {model:.1f} s "
                    f"modelled = {over * 100:+.0f} % | ≤ 10 % | {'PASS' if over <= 0.10 else 'FAIL'} | "
                    f"{over / 0.10:.1f} x target |"
                )
                cpu_rows.append(cpu_row(f"rollout {what}, '{stages}'", got))
    print(f"Machine: {machine()}; code at {git_head()}; {cache_mode()}")
    print(f"Command: .venv/bin/python bench/cloneset.py {' '.join(sys.argv[1:])}".rstrip())
    print()
    print("| Scenario | Result | Target | Verdict | Ratio |")
    print("|---|---:|---:|:---:|---|")
    print("\n".join(rows))
    print()
    cores = os.cpu_count()
    print(f"CPU-seconds of the cluster's processes in each phase; busy = all / ({cores} cores x wall):")
    print()
    print("| Phase | Wall | API server | node agents | manager | scheduler + GC | all | busy |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(cpu_rows))


def cpu_row(phase: str, m: Measured) -> str:
    """Where the time went: with every core busy, the phase is CPU-bound, not waiting on delays."""
    cells = [m.cpu.get(role, 0.0) for role in ("apiserver", "node", "manager", "cluster")]
    total = sum(m.cpu.values())
    busy = total / ((os.cpu_count() or 1) * m.seconds) if m.seconds else 0.0
    return (
        f"| {phase} | {m.seconds:.1f} s | " + " | ".join(f"{c:.1f}" for c in cells)
        + f" | {total:.1f} | {busy:.0%} |"
    )  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
