"""Benchmark of kruise.client's informer against a real `kruise apiserver` process.

    .venv/bin/python bench/informer.py              # full run: 10,000 pods, 3 runs per scenario
    .venv/bin/python bench/informer.py --quick      # 2,000 pods, for a smoke test
    .venv/bin/python bench/informer.py --json out.json

Scenarios (targets from the issue):
  * initial sync: Informer.start() -> has_synced() over 10,000 pods          <= 5 s
  * resident memory per cached pod: RSS after sync minus RSS before, / count  <= 20 KB
  * watch events per second end to end: API server -> watch stream -> informer cache -> handler ->
    work queue -> no-op worker, over a backlog of 10,000 events                >= 5,000 events/s

Every measurement runs in a fresh child process, so neither the driver's objects nor an earlier
run's leftovers count. The backlog scenario stops a synced informer, writes the pods, then starts it
again: it resumes from its resourceVersion and the server replays the backlog as fast as the client
takes it, so the rate is the client's, not the server's write rate.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kruise.api import heap  # noqa: E402
from kruise.client import Client, ClientConfig, Informer  # noqa: E402
from kruise.client.resources import NAMESPACES, PODS  # noqa: E402

SYNC_NS = "bench-sync"
EVENTS_NS = "bench-events"
TARGET_SYNC_S = 5.0
TARGET_BYTES_PER_POD = 20 * 1024
TARGET_EVENTS = 5_000.0


# ---------------------------------------------------------------------------- workload
def pod_manifest(name: str, namespace: str, i: int) -> dict[str, Any]:
    """A Pod of the size a Deployment typically produces (~2.5 KB as sent, more once defaulted)."""

    def container(cname: str, image: str, port: int) -> dict[str, Any]:
        probe = {"httpGet": {"path": "/healthz", "port": port}, "periodSeconds": 10, "timeoutSeconds": 2}
        return {
            "name": cname,
            "image": image,
            "args": ["--port", str(port), "--log-level=info"],
            "env": [
                {"name": "APP_ENV", "value": "production"},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            ],
            "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
            "resources": {
                "requests": {"cpu": "250m", "memory": "256Mi"},
                "limits": {"cpu": "1", "memory": "512Mi"},
            },
            "livenessProbe": probe,
            "readinessProbe": probe,
            "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": True}],
        }

    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {
                "app": "storefront",
                "tier": "web",
                "pod-template-hash": "7d9c8b6f5",
                "shard": str(i % 8),
            },
            "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9100"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "storefront-7d9c8b6f5",
                    "uid": "0b6f3c52-4c8e-4a43-9d0e-5f7a1b2c3d4e",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "containers": [
                container("app", "registry.example.com/storefront/app:1.24.3", 8080),
                container("sidecar", "registry.example.com/platform/envoy:1.29.1", 8081),
            ],
            "volumes": [{"name": "config", "configMap": {"name": "storefront-config"}}],
            "nodeName": f"node-{i % 50}",
            "tolerations": [
                {"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}
            ],
        },
    }


async def create_pods(client: Client, namespace: str, count: int, concurrency: int = 32) -> float:
    with_ns = {"metadata": {"name": namespace}}
    try:
        await client.create(NAMESPACES, with_ns)
    except Exception as e:  # AlreadyExists on a second call
        if "AlreadyExists" not in type(e).__name__:
            raise
    todo = iter(range(count))

    async def worker() -> None:
        for i in todo:
            await client.create(PODS, pod_manifest(f"pod-{i:06d}", namespace, i))

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start


# ---------------------------------------------------------------------------- child measurements
def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def child_sync(url: str, expected: int) -> dict[str, float]:
    heap.install()  # as every long-running kruise process does
    async with Client(ClientConfig(server=url)) as client:
        await client.list(PODS, namespace=SYNC_NS, limit=1)  # warm: session, imports, orjson
        gc.collect()
        before = rss_bytes()
        inf = Informer(client, PODS, namespace=SYNC_NS)
        start = time.perf_counter()
        inf.start()
        await inf.wait_synced()
        seconds = time.perf_counter() - start
        count = len(inf.store)
        await inf.stop()
        gc.collect()
        after = rss_bytes()
    assert count == expected, (count, expected)
    return {
        "sync_s": seconds,
        "count": count,
        "rss_delta": after - before,
        "bytes_per_pod": (after - before) / count,
    }


def make_queue() -> tuple[Any, str]:
    try:
        from kruise.client.workqueue import WorkQueue
    except ImportError:
        return asyncio.Queue(), "asyncio.Queue"
    return WorkQueue("bench"), "kruise.client.workqueue.WorkQueue"


async def child_events(url: str, count: int, run: int) -> dict[str, Any]:
    namespace = f"{EVENTS_NS}-{run}"
    heap.install()
    async with Client(ClientConfig(server=url)) as client:
        inf = Informer(client, PODS, namespace=namespace)
        queue, queue_kind = make_queue()
        delivered = 0
        done = asyncio.Event()
        processed = 0

        def enqueue(obj: dict[str, Any]) -> None:
            nonlocal delivered
            delivered += 1
            m = obj["metadata"]
            key = f"{m['namespace']}/{m['name']}"
            if isinstance(queue, asyncio.Queue):
                queue.put_nowait(key)
            else:
                queue.add(key)

        async def worker() -> None:  # the no-op reconcile
            nonlocal processed
            while True:
                key = await queue.get()
                if isinstance(queue, asyncio.Queue):
                    queue.task_done()
                else:
                    queue.done(key)
                processed += 1
                if processed == count:
                    done.set()

        inf.add_handler(enqueue, lambda _old, new: enqueue(new), enqueue)
        await client.create(NAMESPACES, {"metadata": {"name": namespace}})
        inf.start()
        await inf.wait_synced()
        await inf.stop()  # keeps its cache and resourceVersion
        write_s = await create_pods(client, namespace, count)
        consumer = asyncio.create_task(worker())
        start = time.perf_counter()
        inf.start()  # resumes the watch: the server replays the whole backlog
        await asyncio.wait_for(done.wait(), 600)
        seconds = time.perf_counter() - start
        consumer.cancel()
        await inf.stop()
    return {
        "events": delivered,
        "processed": processed,
        "seconds": seconds,
        "events_per_s": count / seconds,
        "write_s": write_s,
        "queue": queue_kind,
        "relists": inf.lists - 1,
        "gc_full_passes": heap.install().full_passes,
    }


def run_child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False, cwd=REPO
    )
    if out.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- server
@dataclass
class Server:
    proc: subprocess.Popen[str]
    url: str

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_server(data_dir: Path, history: int) -> Server:
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "kruise.cli.main", "apiserver", "--data-dir", str(data_dir),
            "--port", "0", "--watch-history", str(history),
        ],
        stdout=subprocess.PIPE, stderr=(data_dir / "apiserver.log").open("a"), text=True, cwd=REPO,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("kruise apiserver listening on"):
            return Server(proc, line.split()[4])
    raise RuntimeError(f"apiserver did not start; see {data_dir / 'apiserver.log'}")


# ---------------------------------------------------------------------------- report
def machine_info() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram_gib": f"{mem_kb / 1024 / 1024:.1f}",
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def table(res: dict[str, Any]) -> str:
    n = res["pods"]
    sync = statistics.median(r["sync_s"] for r in res["sync"])
    per_pod = statistics.median(r["bytes_per_pod"] for r in res["sync"])
    eps = statistics.median(r["events_per_s"] for r in res["events"])
    m = res["machine"]
    rows = [
        ("initial sync", f"{n:,} pods", f"{sync:.2f} s", f"<= {TARGET_SYNC_S:.0f} s", TARGET_SYNC_S / sync),
        (
            "RSS per cached pod",
            f"{n:,} pods",
            f"{per_pod / 1024:.1f} KB",
            f"<= {TARGET_BYTES_PER_POD // 1024} KB",
            TARGET_BYTES_PER_POD / per_pod,
        ),
        (
            "watch events end to end",
            f"{n:,} events",
            f"{eps:,.0f} events/s",
            f">= {TARGET_EVENTS:,.0f} events/s",
            eps / TARGET_EVENTS,
        ),
    ]
    lines = [
        "| scenario | size | median of 3 | target | ratio to target |",
        "|---|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} | {e:.2f}x |" for a, b, c, d, e in rows),
        "",
        f"- machine: {m['nproc']} CPUs, {m['cpu']}, {m['ram_gib']} GiB RAM, Python {m['python']}, "
        f"{m['platform']}",
        "- ratio > 1 means better than the target (time and memory: target / measured).",
        f"- runs: sync {[round(r['sync_s'], 2) for r in res['sync']]} s; "
        f"KB/pod {[round(r['bytes_per_pod'] / 1024, 1) for r in res['sync']]}; "
        f"events/s {[round(r['events_per_s']) for r in res['events']]}",
        f"- queue: {res['events'][0]['queue']}; relists during the event runs: "
        f"{sum(r['relists'] for r in res['events'])}; full GC passes (kruise.api.heap) per event run: "
        f"{[r['gc_full_passes'] for r in res['events']]}",
    ]
    return "\n".join(lines)


async def drive(url: str, pods: int) -> float:
    async with Client(ClientConfig(server=url)) as client:
        return await create_pods(client, SYNC_NS, pods)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2,000 pods instead of 10,000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, url, *rest = args.child
        if mode == "sync":
            out = asyncio.run(child_sync(url, int(rest[0])))
        else:
            out = asyncio.run(child_events(url, int(rest[0]), int(rest[1])))
        print(json.dumps(out))
        return 0

    pods = 2_000 if args.quick else 10_000
    res: dict[str, Any] = {"machine": machine_info(), "pods": pods, "sync": [], "events": []}
    with tempfile.TemporaryDirectory(prefix="kruise-bench-informer-") as tmp:
        server = start_server(Path(tmp), history=pods * (args.runs + 2))
        try:
            log(f"creating {pods} pods ...")
            res["create_s"] = asyncio.run(drive(server.url, pods))
            for run in range(args.runs):
                r = run_child(["sync", server.url, str(pods)])
                log(f"sync run {run + 1}: {r['sync_s']:.2f}s, {r['bytes_per_pod'] / 1024:.1f} KB/pod")
                res["sync"].append(r)
            for run in range(args.runs):
                r = run_child(["events", server.url, str(pods), str(run)])
                log(f"events run {run + 1}: {r['events_per_s']:.0f} events/s")
                res["events"].append(r)
        finally:
            server.stop()
    print(table(res))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
