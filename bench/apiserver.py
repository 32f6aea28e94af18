"""Benchmark of the embedded API server: creates, fixed-rate latency, LIST, watch fan-out, raw SQLite.

Starts `kruise apiserver` as its own process in a temporary directory, drives it over real HTTP on
loopback (kruise.client's lean HTTP/1.1 pool for creates, aiohttp for the rest, raw connections
for the watchers: the load generator shares the 2 cores with the server, so it must be cheap),
stops it, and prints a markdown results table:

    .venv/bin/python bench/apiserver.py            # full run (a few minutes)
    .venv/bin/python bench/apiserver.py --quick    # reduced counts (< 60 s)
    .venv/bin/python bench/apiserver.py --json results.json

Scenarios (targets from the issue, for a 2-core machine):
  * pod create throughput, 32 concurrent clients            >= 2,000 creates/s
  * create latency p50/p99 under an open-loop 500 creates/s  p99 <= 50 ms
  * LIST of 10,000 pods (full body received)                <= 300 ms
  * watch fan-out, 100 watchers x N pod creates             >= 100,000 events/s delivered
  * raw SQLite insert rate of the same serialized pod rows (the storage limit, the reference
    against which create throughput is reported)
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from kruise.client.http1 import ConnectionPool

REPO = Path(__file__).resolve().parents[1]
NAMESPACE = "bench"
PODS = f"/api/v1/namespaces/{NAMESPACE}/pods"
JSON = {"Content-Type": "application/json", "Accept": "application/json"}


# ---------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class Plan:
    """How much work each scenario does."""

    create_count: int = 10_000  # pods per create repetition (the first one fills the LIST)
    create_reps: int = 3
    concurrency: int = 32
    rate: float = 500.0  # creates/s of the open-loop latency scenario
    rate_seconds: float = 10.0
    list_reps: int = 7
    watchers: int = 100
    watch_events: int = 10_000
    watch_procs: int = 1  # client processes the watchers are spread over
    sqlite_reps: int = 3


FULL = Plan()
QUICK = Plan(
    create_count=2_000, create_reps=1, rate_seconds=3.0, list_reps=5, watch_events=1_000, sqlite_reps=2
)

TARGET_CREATES = 2_000.0  # creates/s
TARGET_P99_MS = 50.0
TARGET_LIST_MS = 300.0
TARGET_EVENTS = 100_000.0  # events/s


# ---------------------------------------------------------------------------- server process
@dataclass
class Server:
    data_dir: Path
    proc: subprocess.Popen[str]
    url: str

    @property
    def db_path(self) -> Path:
        return self.data_dir / "state.db"

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_server(data_dir: Path) -> Server:
    """Run `kruise apiserver --port 0` and wait for its "listening on" line."""
    log = (data_dir / "apiserver.log").open("a")
    args = ["--log-level", "warning", "apiserver", "--data-dir", str(data_dir), "--port", "0"]
    cmd = [sys.executable, "-m", "kruise.cli.main", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, cwd=REPO)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("kruise apiserver listening on"):
            return Server(data_dir, proc, line.split()[4])
    proc.kill()
    raise RuntimeError(f"apiserver did not start; see {data_dir / 'apiserver.log'}")


# ---------------------------------------------------------------------------- realistic pods
def _container(name: str, image: str, port: int) -> dict[str, Any]:
    probe = {
        "httpGet": {"path": "/healthz", "port": port, "scheme": "HTTP"},
        "initialDelaySeconds": 5,
        "periodSeconds": 10,
        "timeoutSeconds": 2,
        "failureThreshold": 3,
    }
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": ["--port", str(port), "--log-level=info", "--metrics-bind=:9100"],
        "env": [
            {"name": "APP_ENV", "value": "production"},
            {"name": "APP_REGION", "value": "eu-west-1"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        ],
        "ports": [
            {"name": "http", "containerPort": port, "protocol": "TCP"},
            {"name": "metrics", "containerPort": port + 1000, "protocol": "TCP"},
        ],
        "resources": {
            "requests": {"cpu": "250m", "memory": "256Mi"},
            "limits": {"cpu": "1", "memory": "512Mi"},
        },
        "livenessProbe": probe,
        "readinessProbe": {**probe, "httpGet": {**probe["httpGet"], "path": "/ready"}},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": True}],
    }


def pod_manifest(name: str) -> dict[str, Any]:
    """A Pod the size of a typical workload Pod (~2.5 KB as sent; larger once defaulted)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "labels": {
                "app": "storefront",
                "tier": "web",
                "team": "checkout",
                "version": "v1.24.3",
                "apps.kruise.io/controller-revision-hash": "storefront-7d9c8b6f5",
                "bench-shard": str(hash(name) % 8),
            },
            "annotations": {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": "9100",
                "kubectl.kubernetes.io/default-container": "app",
                "deploy.example.com/commit": "9f4c2a7e3b1d5f6a8c0e2b4d6f8a1c3e5b7d9f0a",
            },
        },
        "spec": {
            "containers": [
                _container("app", "registry.example.com/storefront/app:1.24.3", 8080),
                _container("sidecar", "registry.example.com/platform/envoy:1.29.1", 8081),
            ],
            "volumes": [{"name": "config", "configMap": {"name": "storefront-config"}}],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "serviceAccountName": "default",
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [
                {"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}
            ],
        },
    }


def pod_bodies(prefix: str, count: int) -> list[bytes]:
    """Serialized create bodies, built before the clock starts."""
    return [orjson.dumps(pod_manifest(f"{prefix}-{i:06d}")) for i in range(count)]


# ---------------------------------------------------------------------------- client helpers
def client_session(limit: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=limit, force_close=False)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None))


def create_pool(url: str, limit: int) -> ConnectionPool:
    host, _, port = url.removeprefix("http://").partition(":")
    return ConnectionPool(host, int(port), limit=limit)


async def create_pod(pool: ConnectionPool, body: bytes) -> None:
    head = f"POST {PODS} HTTP/1.1\r\nHost: {pool.host}:{pool.port}\r\nContent-Type: application/json\r\n"
    head += f"Accept: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    resp = await pool.request(head.encode() + body, timeout=None)
    if resp.status != 201:
        raise RuntimeError(f"create failed: {resp.status} {resp.body[:300]!r}")


async def ensure_namespace(url: str) -> None:
    body = orjson.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    async with client_session(1) as s, s.post(url + "/api/v1/namespaces", data=body, headers=JSON) as resp:
        if resp.status not in (201, 409):
            raise RuntimeError(f"namespace create failed: {resp.status} {await resp.text()}")


async def current_rv(url: str) -> str:
    async with client_session(1) as s, s.get(url + PODS, params={"limit": "1"}) as resp:
        return str((await resp.json())["metadata"]["resourceVersion"])


async def create_closed_loop(url: str, bodies: list[bytes], concurrency: int) -> float:
    """Create every body with `concurrency` clients each waiting for its last answer; returns seconds."""
    it: Iterator[bytes] = iter(bodies)

    async def worker(pool: ConnectionPool) -> None:
        for body in it:
            await create_pod(pool, body)

    pool = create_pool(url, concurrency)
    try:
        start = time.perf_counter()
        await asyncio.gather(*(worker(pool) for _ in range(concurrency)))
        return time.perf_counter() - start
    finally:
        pool.close()


# ---------------------------------------------------------------------------- scenarios
@dataclass
class Results:
    machine: dict[str, str] = field(default_factory=dict)
    plan: dict[str, Any] = field(default_factory=dict)
    creates_per_s: list[float] = field(default_factory=list)
    sqlite_per_s: list[float] = field(default_factory=list)
    sqlite_batched_per_s: list[float] = field(default_factory=list)
    stored_pod_bytes: float = 0.0
    sent_pod_bytes: float = 0.0
    latency: list[dict[str, float]] = field(default_factory=list)  # [target rate, half of capacity]
    list_items: int = 0
    list_bytes: int = 0
    list_ms: list[float] = field(default_factory=list)
    watch: dict[str, float] = field(default_factory=dict)


async def bench_creates(url: str, plan: Plan, rep: int) -> float:
    bodies = pod_bodies(f"create{rep}", plan.create_count)
    seconds = await create_closed_loop(url, bodies, plan.concurrency)
    return plan.create_count / seconds


async def bench_fixed_rate(url: str, rate: float, seconds: float, prefix: str) -> dict[str, float]:
    """Open loop: request i is sent at t0 + i/rate whatever happened to earlier ones.

    Latency counts from the scheduled send time, so queueing in the client (or a stall in the
    server) is charged to the request rather than hidden (no coordinated omission).
    """
    count = max(1, int(rate * seconds))
    bodies = pod_bodies(prefix, count)
    latencies: list[float] = []

    async def one(pool: ConnectionPool, body: bytes, scheduled: float) -> None:
        await create_pod(pool, body)
        latencies.append(time.perf_counter() - scheduled)

    pool = create_pool(url, 256)
    try:
        tasks = []
        start = time.perf_counter()
        for i, body in enumerate(bodies):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(pool, body, scheduled)))
        await asyncio.gather(*tasks)
        achieved = count / (time.perf_counter() - start)
    finally:
        pool.close()
    return {
        "offered_per_s": rate,
        "achieved_per_s": achieved,
        "requests": count,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000,
    }


async def bench_list(url: str, plan: Plan) -> tuple[list[float], int, bytes]:
    """Full LIST of the namespace, body read to the end; returns (ms per rep, items, last body)."""
    times: list[float] = []
    body = b""
    async with client_session(1) as session:
        for _ in range(plan.list_reps):
            start = time.perf_counter()
            async with session.get(url + PODS, headers={"Accept": "application/json"}) as resp:
                body = await resp.read()
            times.append((time.perf_counter() - start) * 1000)
            if resp.status != 200:
                raise RuntimeError(f"list failed: {resp.status} {body[:300]!r}")
    items = body.count(b'"kind":"Pod"')  # cheap; the parse happens once in stored_rows
    return times, items, body


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# ---------------------------------------------------------------------------- raw SQLite reference
def stored_rows(list_body: bytes) -> list[tuple[str, bytes]]:
    """(storage key, serialized object) of each listed pod, as the server stored them."""
    rows = []
    for item in orjson.loads(list_body)["items"]:
        meta = item["metadata"]
        rows.append((f"/pods/{meta['namespace']}/{meta['name']}", orjson.dumps(item)))
    return rows


def server_schema(db_path: Path) -> list[str]:
    """The DDL of the server's own revision log, so the reference uses the same table and index."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return [
            sql
            for (sql,) in db.execute(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
                " ORDER BY type DESC"
            )
        ]
    finally:
        db.close()


def _open_reference_db(path: Path, schema: list[str]) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for ddl in schema:
        db.execute(ddl)
    return db


def sqlite_insert_rate(
    directory: Path, schema: list[str], rows: list[tuple[str, bytes]], batched: bool = False
) -> float:
    """Rows/s appending `rows` to a fresh log, one autocommit INSERT per row as the server does
    (or, with `batched`, all rows in one transaction: the ceiling if writes were group-committed)."""
    path = Path(tempfile.mkstemp(suffix=".db", dir=directory)[1])
    db = _open_reference_db(path, schema)
    sql = "INSERT INTO log (rv, key, type, obj) VALUES (?, ?, 0, ?)"
    try:
        start = time.perf_counter()
        if batched:
            db.execute("BEGIN")
            db.executemany(sql, [(rv, key, obj) for rv, (key, obj) in enumerate(rows, 1)])
            db.execute("COMMIT")
        else:
            for rv, (key, obj) in enumerate(rows, 1):
                db.execute(sql, (rv, key, obj))
        return len(rows) / (time.perf_counter() - start)
    finally:
        db.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


# ---------------------------------------------------------------------------- watch fan-out
class EventCounter(asyncio.BufferedProtocol):
    """One watch on a raw HTTP/1.1 connection, counting events without decoding the stream (the
    client is not what is measured, and on 2 cores it competes with the server for CPU).

    Every event line ends in a bare newline (JSON never holds a raw one) and the chunked framing's
    line ends are CRLF, so events are the newlines not preceded by a carriage return. Reads land
    in one buffer shared by the process's watches (each read is counted before the next), so
    hundreds of MB/s cost no allocation per read."""

    buffer = bytearray(1 << 18)

    def __init__(self, expected: int, on_open: Callable[[], None]) -> None:
        self.expected = expected
        self.on_open = on_open
        self.head = b""
        self.open = False
        self.events = self.nbytes = 0
        self.last_cr = False  # the previous read ended in "\r": a CRLF may be split across reads
        self.done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def get_buffer(self, sizehint: int) -> bytearray:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        data, start = self.buffer, 0
        if not self.open:
            self.head += bytes(data[:nbytes])
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            status = self.head.split(b" ", 2)[1]
            if status != b"200":
                self._finish(RuntimeError(f"watch failed: {self.head[:300]!r}"))
                return
            start = end + 4 - (len(self.head) - nbytes)  # the body's first byte in this read
            self.head, self.open = b"", True
            self.on_open()  # headers arrive after the server registered the watch
        self.nbytes += nbytes - start
        # newlines are sparse (one per ~7 KB event): find() skips to each at memchr speed, where
        # count() would walk every byte (and cost this process a whole core at 450 MB/s)
        find, i = data.find, data.find(b"\n", start, nbytes)
        while i >= 0:
            if (data[i - 1] != 13) if i > start else not self.last_cr:  # 13: "\r"
                self.events += 1
            i = find(b"\n", i + 1, nbytes)
        if nbytes > start:
            self.last_cr = data[nbytes - 1] == 13
        if self.events >= self.expected:
            self._finish(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish(None)  # the server ended the watch: report what arrived

    def _finish(self, error: Exception | None) -> None:
        if not self.done.done():
            if error is None:
                self.done.set_result(time.monotonic())
            else:
                self.done.set_exception(error)
        if self.transport is not None:
            self.transport.close()


@dataclass
class WatchGroup:
    """The watchers of one client process."""

    url: str
    rv: str
    watchers: int
    expected: int  # events each watcher waits for
    opened: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def _opened(self) -> None:
        self.opened += 1
        if self.opened == self.watchers:
            self.ready.set()

    async def watch_one(self) -> tuple[int, int, float]:
        """Returns (events, bytes, monotonic time of the last event)."""
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        query = f"watch=1&resourceVersion={self.rv}&timeoutSeconds=900"
        request = f"GET {PODS}?{query} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n"
        loop = asyncio.get_running_loop()
        transport, counter = await loop.create_connection(
            lambda: EventCounter(self.expected, self._opened), host, int(port)
        )
        transport.write(request.encode())
        try:
            last = await asyncio.wait_for(counter.done, 600)
        finally:
            transport.close()
        return counter.events, counter.nbytes, last

    async def run(self, conn: Connection) -> None:
        tasks = [asyncio.create_task(self.watch_one()) for _ in range(self.watchers)]
        ready = asyncio.create_task(self.ready.wait())
        await asyncio.wait([ready, *tasks], return_when=asyncio.FIRST_COMPLETED)
        conn.send(("ready",))
        done = await asyncio.gather(*tasks)
        conn.send(("done", sum(d[0] for d in done), sum(d[1] for d in done), max(d[2] for d in done)))


def watch_process(url: str, rv: str, watchers: int, expected: int, conn: Connection) -> None:
    """Entry point of a watcher client process."""

    async def main() -> None:
        await WatchGroup(url, rv, watchers, expected).run(conn)

    asyncio.run(main())


async def _recv(conn: Connection) -> tuple[Any, ...]:
    return await asyncio.get_running_loop().run_in_executor(None, conn.recv)


async def bench_watch(url: str, plan: Plan) -> dict[str, float]:
    """`plan.watchers` watches on the namespace's pods, then `plan.watch_events` creates at concurrency 32.

    Events/s = events delivered to all watchers / (first write sent -> last event received by the
    slowest watcher). Watchers run in `plan.watch_procs` separate client processes (counting events
    on raw connections, no HTTP or JSON parsing) so reading does not steal the writer's event loop.
    """
    rv = await current_rv(url)
    bodies = pod_bodies("watch", plan.watch_events)
    ctx = mp.get_context("spawn")
    groups = [
        plan.watchers // plan.watch_procs + (1 if i < plan.watchers % plan.watch_procs else 0)
        for i in range(plan.watch_procs)
    ]
    pipes, procs = [], []
    for n in groups:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=watch_process, args=(url, rv, n, plan.watch_events, child), daemon=True)
        proc.start()
        child.close()  # a watcher process that dies then surfaces as EOFError, not a hang
        pipes.append(parent)
        procs.append(proc)
    for p in pipes:
        await _recv(p)  # every watch is registered (response headers received)
    start = time.monotonic()
    write_seconds = await create_closed_loop(url, bodies, plan.concurrency)
    writes_end = start + write_seconds
    done = [await _recv(p) for p in pipes]
    for proc in procs:
        proc.join(timeout=30)
    events = sum(d[1] for d in done)
    end = max(d[3] for d in done)
    return {
        "watchers": plan.watchers,
        "writes": plan.watch_events,
        "events": events,
        "expected_events": plan.watchers * plan.watch_events,
        "bytes": sum(d[2] for d in done),
        "seconds": end - start,
        "events_per_s": events / (end - start),
        "writes_per_s": plan.watch_events / write_seconds,
        "lag_after_last_write_s": end - writes_end,
        "client_procs": plan.watch_procs,
    }


# ---------------------------------------------------------------------------- orchestration
def machine_info() -> dict[str, str]:
    cpu = "unknown"
    with Path("/proc/cpuinfo").open() as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with Path("/proc/meminfo").open() as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram_gib": f"{mem_kb / 1024 / 1024:.1f}",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": git_commit(),
    }


def git_commit() -> str:
    """The commit the server code was measured at ("+dirty" when the tree has local changes)."""

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return out.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain", "--", "kruise") else "")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


async def step(name: str, coro: Awaitable[Any]) -> Any:
    log(f"{name} ...")
    start = time.perf_counter()
    out = await coro
    log(f"{name} done in {time.perf_counter() - start:.1f}s")
    return out


def reference_rates(server: Server, rows: list[tuple[str, bytes]], plan: Plan, res: Results) -> None:
    schema = server_schema(server.db_path)
    directory = server.data_dir.parent
    res.sqlite_per_s = [sqlite_insert_rate(directory, schema, rows) for _ in range(plan.sqlite_reps)]
    res.sqlite_batched_per_s = [
        sqlite_insert_rate(directory, schema, rows, batched=True) for _ in range(plan.sqlite_reps)
    ]
    res.stored_pod_bytes = statistics.mean(len(obj) for _, obj in rows)
    log(
        f"raw sqlite: {statistics.median(res.sqlite_per_s):,.0f} rows/s autocommit, "
        f"{statistics.median(res.sqlite_batched_per_s):,.0f} rows/s batched"
    )


async def run_scenarios(server: Server, plan: Plan, res: Results) -> None:
    url = server.url
    await ensure_namespace(url)
    res.sent_pod_bytes = float(len(pod_bodies("x", 1)[0]))
    # 1st create repetition fills the namespace with the pods the LIST scenario reads.
    res.creates_per_s.append(await step("creates rep 1", bench_creates(url, plan, 0)))
    res.list_ms, res.list_items, body = await step("list", bench_list(url, plan))
    res.list_bytes = len(body)
    log(f"LIST {res.list_items} pods: median {statistics.median(res.list_ms):.0f} ms")
    reference_rates(server, stored_rows(body), plan, res)
    del body
    for rep in range(1, plan.create_reps):
        res.creates_per_s.append(await step(f"creates rep {rep + 1}", bench_creates(url, plan, rep)))
    log(f"creates/s: {[round(c) for c in res.creates_per_s]}")
    # the target rate, then (informational) half the measured capacity, to show latency unsaturated
    half = round(statistics.median(res.creates_per_s) / 2)
    for rate, prefix in ((plan.rate, "rate"), (half, "halfrate")):
        lat = await step(f"fixed rate {rate:g}/s", bench_fixed_rate(url, rate, plan.rate_seconds, prefix))
        log(f"fixed rate {rate:g}/s: p50 {lat['p50_ms']:.1f} ms p99 {lat['p99_ms']:.1f} ms")
        res.latency.append(lat)
    res.watch = await step("watch fan-out", bench_watch(url, plan))
    log(f"watch: {res.watch['events_per_s']:,.0f} events/s")


def run(plan: Plan, keep: bool) -> Results:
    res = Results(machine=machine_info(), plan=asdict(plan))
    tmp = Path(tempfile.mkdtemp(prefix="kruise-bench-"))
    data_dir = tmp / "server"
    data_dir.mkdir()
    server = start_server(data_dir)
    log(f"server {server.url} pid {server.proc.pid} data {data_dir}")
    try:
        asyncio.run(run_scenarios(server, plan, res))
    finally:
        server.stop()
        if not keep:
            subprocess.run(["rm", "-rf", str(tmp)], check=False)
    return res


# ---------------------------------------------------------------------------- report
@dataclass(frozen=True)
class Row:
    scenario: str
    measured: str
    target: str
    passed: bool | None
    ratio: str


def _ok(passed: bool | None) -> str:
    return "—" if passed is None else ("pass" if passed else "FAIL")


def _vs_target(value: float, target: float) -> str:
    return f"{value / target:.2f} x target"


def create_row(res: Results, plan: Plan) -> Row:
    creates = statistics.median(res.creates_per_s)
    sqlite = statistics.median(res.sqlite_per_s)
    return Row(
        f"pod create, concurrency {plan.concurrency} (median of {len(res.creates_per_s)} x "
        f"{plan.create_count:,})",
        f"{creates:,.0f} creates/s",
        f"≥ {TARGET_CREATES:,.0f}/s",
        creates >= TARGET_CREATES,
        f"{creates / sqlite:.3f} x raw SQLite; {_vs_target(creates, TARGET_CREATES)}",
    )


def latency_rows(res: Results) -> list[Row]:
    target, half = res.latency[0], res.latency[1]
    at = f"{target['offered_per_s']:.0f}/s open loop ({target['achieved_per_s']:.0f}/s completed)"
    return [
        Row(f"create latency p50 at {at}", f"{target['p50_ms']:,.1f} ms", "—", None, "—"),
        Row(
            f"create latency p99 at {at}",
            f"{target['p99_ms']:,.1f} ms",
            f"≤ {TARGET_P99_MS:.0f} ms",
            target["p99_ms"] <= TARGET_P99_MS,
            _vs_target(target["p99_ms"], TARGET_P99_MS),
        ),
        Row(
            f"create latency p50 / p99 at {half['offered_per_s']:.0f}/s (half the measured capacity; "
            "informational)",
            f"{half['p50_ms']:,.1f} / {half['p99_ms']:,.1f} ms",
            "—",
            None,
            "—",
        ),
    ]


def list_row(res: Results) -> Row:
    list_ms = statistics.median(res.list_ms)
    return Row(
        f"LIST {res.list_items:,} pods ({res.list_bytes / 1e6:.1f} MB, median of {len(res.list_ms)})",
        f"{list_ms:.0f} ms",
        f"≤ {TARGET_LIST_MS:.0f} ms",
        list_ms <= TARGET_LIST_MS,
        _vs_target(list_ms, TARGET_LIST_MS),
    )


def watch_row(res: Results) -> Row:
    w = res.watch
    return Row(
        f"watch fan-out, {w['watchers']:.0f} watchers x {w['writes']:,.0f} pod creates "
        f"({w['events']:,.0f} of {w['expected_events']:,.0f} events delivered)",
        f"{w['events_per_s']:,.0f} events/s",
        f"≥ {TARGET_EVENTS:,.0f}/s",
        w["events_per_s"] >= TARGET_EVENTS,
        _vs_target(w["events_per_s"], TARGET_EVENTS),
    )


def sqlite_rows(res: Results) -> list[Row]:
    sqlite = statistics.median(res.sqlite_per_s)
    batched = statistics.median(res.sqlite_batched_per_s)
    return [
        Row(
            f"raw SQLite insert of the same pod rows, one commit per row (median of {len(res.sqlite_per_s)})",
            f"{sqlite:,.0f} rows/s",
            "—",
            None,
            "reference for creates",
        ),
        Row(
            "raw SQLite insert of the same pod rows, one transaction (informational)",
            f"{batched:,.0f} rows/s",
            "—",
            None,
            f"{batched / sqlite:.1f} x reference",
        ),
    ]


def table_rows(res: Results, plan: Plan) -> list[Row]:
    return [create_row(res, plan), *latency_rows(res), list_row(res), watch_row(res), *sqlite_rows(res)]


def markdown(rows: list[Row]) -> str:
    lines = ["| Scenario | Measured | Target | Result | Ratio |", "|---|---:|---:|:---:|---|"]
    lines += [f"| {r.scenario} | {r.measured} | {r.target} | {_ok(r.passed)} | {r.ratio} |" for r in rows]
    return "\n".join(lines)


def _join(values: list[float], fmt: str, unit: str = "") -> str:
    return ", ".join(format(v, fmt) + unit for v in values)


def details(res: Results) -> str:
    w = res.watch
    m = res.machine
    return "\n".join(
        [
            f"- creates/s per repetition: {_join(res.creates_per_s, ',.0f')}",
            f"- pod size: {res.sent_pod_bytes:,.0f} B sent, {res.stored_pod_bytes:,.0f} B stored "
            "(defaults + managedFields)",
            f"- fixed rate max latency: {_join([x['max_ms'] for x in res.latency], ',.0f', ' ms')}",
            f"- LIST ms per repetition: {_join(res.list_ms, '.0f')}",
            f"- raw SQLite rows/s per repetition: {_join(res.sqlite_per_s, ',.0f')}",
            f"- watch: writes ran at {w['writes_per_s']:,.0f} creates/s; the slowest watcher got its last "
            f"event {w['lag_after_last_write_s']:.2f} s after the last write was acknowledged; "
            f"{w['bytes'] / 1e9:.2f} GB read by {w['client_procs']:.0f} client process(es)",
            f"- machine: {m['nproc']} CPUs, {m['cpu']}, {m['ram_gib']} GiB RAM, Python {m['python']}; "
            f"server code at {m['commit']}",
        ]
    )


# ---------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="reduced counts, finishes in under a minute")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the raw numbers as JSON")
    p.add_argument("--watch-procs", type=int, help="client processes for the watchers (default 1)")
    p.add_argument("--keep", action="store_true", help="keep the server's temporary data directory")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.watch_procs:
        plan = Plan(**{**asdict(plan), "watch_procs": args.watch_procs})
    started = time.perf_counter()
    res = run(plan, args.keep)
    if args.quick:
        print("_--quick run: reduced counts, not comparable with the targets' full sizes._\n")
    print(markdown(table_rows(res, plan)))
    print()
    print(details(res))
    log(f"total {time.perf_counter() - started:.0f}s")
    if args.json:
        args.json.write_text(orjson.dumps(asdict(res), option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
