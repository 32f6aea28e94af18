"""Where an in-place rollout's time goes: each Pod's steps as seen on a watch, grouped into waves.

Starts its own `kruise up --runtime sim`, creates a CloneSet (InPlaceIfPossible, maxUnavailable
20%), rolls a new image and prints, per wave of Pods whose update began together, when each step
was first seen (seconds after the CloneSet patch, min-max over the wave's Pods):

    spec       the Pod's new image (the controller's in-place update)
    iur_false  InPlaceUpdateReady=False (written just before the update)
    running    the container running the new image (node agent status)
    iur_true   InPlaceUpdateReady=True (the controller saw the update complete)
    normal     lifecycle state back to Normal
    ready      Ready=True again (node agent, once the readiness gates hold)
    meta       apps.kruise.io/runtime-containers-meta for the new container (kruise-daemon)

The stage model (see bench/cloneset.py) allows container_stop + create + start per wave; the rest
of each wave is the hops between components.

    .venv/bin/python bench/cloneset_timeline.py                       # 200 replicas, 4 nodes
    .venv/bin/python bench/cloneset_timeline.py --replicas 1000 --nodes 10
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

from cloneset import NS, cloneset, wait_done
from embedded import git_head, machine, start_cluster, stop_cluster

from kruise.client.config import load_config
from kruise.client.resources import CLONESETS, NAMESPACES, PODS
from kruise.client.rest import Client

STEPS = ("spec", "iur_false", "running", "iur_true", "normal", "ready", "meta")
NEW_IMAGE = "bench/app:2"


def seen_steps(pod: dict, steps: dict[str, float], now: float) -> None:
    """Record the first time each step shows on this revision of the Pod."""
    status = pod.get("status") or {}
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    container = (status.get("containerStatuses") or [{}])[0]
    updated = pod["spec"]["containers"][0]["image"] == NEW_IMAGE
    if updated:
        steps.setdefault("spec", now)
    if conditions.get("InPlaceUpdateReady") == "False":
        steps.setdefault("iur_false", now)
    if updated and container.get("image") == NEW_IMAGE and "running" in (container.get("state") or {}):
        steps.setdefault("running", now)
    if "running" in steps:
        meta = (pod["metadata"].get("annotations") or {}).get("apps.kruise.io/runtime-containers-meta", "")
        if container.get("containerID") and container["containerID"] in meta:
            steps.setdefault("meta", now)
    if updated and conditions.get("InPlaceUpdateReady") == "True":
        steps.setdefault("iur_true", now)
    if "iur_true" in steps:
        if (pod["metadata"].get("labels") or {}).get("lifecycle.apps.kruise.io/state") == "Normal":
            steps.setdefault("normal", now)
        if conditions.get("Ready") == "True":
            steps.setdefault("ready", now)


def waves(per_pod: list[dict[str, float]], gap: float) -> list[list[dict[str, float]]]:
    """Pods whose update began within `gap` seconds of the wave's first one."""
    out: list[list[dict[str, float]]] = []
    for steps in sorted((s for s in per_pod if "spec" in s), key=lambda s: s["spec"]):
        if not out or steps["spec"] - out[-1][0]["spec"] > gap:
            out.append([])
        out[-1].append(steps)
    return out


async def run(replicas: int, nodes: int, stages: str, timeout: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="kruise-bench-timeline-"))
    proc, _api = await start_cluster(tmp / "cluster", "sim", nodes, stages)
    per_pod: dict[str, dict[str, float]] = {}
    try:
        async with Client(load_config(str(tmp / "cluster" / "kubeconfig"))) as client:
            namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
            await client.create(NAMESPACES, namespace)
            await client.create(CLONESETS, cloneset("tl", replicas, "InPlaceIfPossible", 0), namespace=NS)
            await wait_done(client, "tl", replicas, timeout)
            rv = (await client.list(PODS, namespace=NS))["metadata"]["resourceVersion"]
            t0 = time.monotonic()

            async def watch() -> None:
                async for kind, pod in client.watch(PODS, namespace=NS, resource_version=rv):
                    if kind in ("ADDED", "MODIFIED"):
                        steps = per_pod.setdefault(pod["metadata"]["name"], {})
                        seen_steps(pod, steps, time.monotonic() - t0)

            watching = asyncio.create_task(watch())
            patch = [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": NEW_IMAGE}]
            await client.patch(CLONESETS, "tl", patch, patch_type="json", namespace=NS)
            await wait_done(client, "tl", replicas, timeout)
            total = time.monotonic() - t0
            await asyncio.sleep(1.5)  # the daemon's meta reports trail the rollout by about a second
            watching.cancel()
    finally:
        await stop_cluster(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"Machine: {machine()}; code at {git_head()}")
    print(f"{replicas} replicas on {nodes} sim nodes, '{stages}' stages: rollout done in {total:.2f} s")
    print()
    print("| wave | Pods | " + " | ".join(STEPS) + " |")
    print("|---:|---:|" + "---:|" * len(STEPS))
    for i, wave in enumerate(waves(list(per_pod.values()), gap=0.3)):
        cells = []
        for step in STEPS:
            seen = [s[step] for s in wave if step in s]
            cells.append(f"{min(seen):.2f}-{max(seen):.2f}" if seen else "-")
        print(f"| {i} | {len(wave)} | " + " | ".join(cells) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replicas", type=int, default=200)
    ap.add_argument("--nodes", type=int, default=4)
    ap.add_argument("--stages", default="realistic", help="sim stage preset (zero, realistic, cloud)")
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args()
    asyncio.run(run(args.replicas, args.nodes, args.stages, args.timeout))


if __name__ == "__main__":
    main()
