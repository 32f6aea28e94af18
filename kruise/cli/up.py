"""`kruise up`: the whole embedded cluster on one machine.

Each component is its own process, exactly as on a real cluster: the API server, the cluster
controllers (scheduler, garbage collector), N node agents and the manager. They talk only over
HTTP. Children die with `kruise up` (PR_SET_PDEATHSIG), and SIGINT/SIGTERM stops them in reverse
order, so no process outlives the cluster. Like a kubelet restarting a crashed static pod, `kruise
up` restarts any component but the API server when it exits unexpectedly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from kruise.cli import CommandError
from kruise.cli.signals import stop_on_signals

_PR_SET_PDEATHSIG = 1
_STOP_TIMEOUT = 20.0
_MAX_RESTARTS = 10


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "up",
        help="run the embedded cluster (API server, scheduler, nodes, manager)",
        description="Run a complete embedded cluster in DIR. Prints a line starting with 'kruise is ready' "
        "once the API answers, the manager is up and every node is Ready. KUBECONFIG=DIR/kubeconfig.",
    )
    p.add_argument("--data-dir", required=True, type=Path, help="state directory (kept across restarts)")
    p.add_argument("--port", type=int, default=6443, help="API server port (default 6443; 0 picks one)")
    p.add_argument("--nodes", type=int, default=3, help="number of node agents (default 3)")
    p.add_argument("--runtime", choices=["process", "sim"], default="process", help="container runtime")
    p.add_argument("--image-catalog", type=Path, help="image catalog for the nodes (default DIR/images.yaml)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for readiness")
    p.set_defaults(run=run)


def _die_with_parent() -> None:
    """Runs in the child before exec: get SIGTERM if `kruise up` dies, even by kill -9."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    proc: asyncio.subprocess.Process
    log: Path
    args: tuple[str, ...] = ()
    restartable: bool = True
    restarts: int = 0


@dataclass
class Cluster:
    data_dir: Path
    children: list[Child] = field(default_factory=list)

    async def spawn(
        self,
        name: str,
        *args: str,
        wait_for: str | None = None,
        timeout: float = 60.0,
        restartable: bool = True,
    ) -> str:
        """Start `kruise <args>`; with `wait_for`, return the first stdout line starting with it."""
        proc, log_path = await self._start(name, args)
        self.children.append(Child(name, proc, log_path, args, restartable))
        return await self._await_start(name, proc, log_path, wait_for, timeout)

    async def _start(self, name: str, args: tuple[str, ...]) -> tuple[asyncio.subprocess.Process, Path]:
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_path = logs / f"{name}.log"
        log = log_path.open("ab")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kruise.cli.main",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            preexec_fn=_die_with_parent,
        )
        log.close()
        return proc, log_path

    async def restart(self, child: Child) -> None:
        child.restarts += 1
        child.proc, child.log = await self._start(child.name, child.args)
        asyncio.get_running_loop().create_task(_drain(child.proc))

    async def _await_start(
        self,
        name: str,
        proc: asyncio.subprocess.Process,
        log_path: Path,
        wait_for: str | None,
        timeout: float,
    ) -> str:
        assert proc.stdout is not None
        line = ""
        if wait_for is not None:
            try:
                line = await asyncio.wait_for(self._read_until(proc, wait_for), timeout)
            except TimeoutError as e:
                raise CommandError(f"{name} did not start within {timeout:.0f}s; see {log_path}") from e
        asyncio.get_running_loop().create_task(_drain(proc))
        return line

    async def _read_until(self, proc: asyncio.subprocess.Process, prefix: str) -> str:
        assert proc.stdout is not None
        while True:
            raw = await proc.stdout.readline()
            if not raw:
                raise CommandError(f"exited with code {await proc.wait()} before it was ready")
            line = raw.decode(errors="replace").strip()
            if line.startswith(prefix):
                return line

    def exited(self) -> Child | None:
        for child in self.children:
            if child.proc.returncode is not None:
                return child
        return None

    async def stop(self) -> None:
        """Reverse start order: the manager and nodes first, the API server last."""
        for child in reversed(self.children):
            if child.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    child.proc.terminate()
                try:
                    await asyncio.wait_for(child.proc.wait(), _STOP_TIMEOUT)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        child.proc.kill()
                    await child.proc.wait()


async def _drain(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdout is not None
    while await proc.stdout.readline():
        pass


async def _ready_nodes(api: str, expected: int) -> int:
    async with aiohttp.ClientSession() as http, http.get(f"{api}/api/v1/nodes") as resp:
        if resp.status != 200:
            return 0
        nodes = orjson.loads(await resp.read())["items"]
    ready = 0
    for node in nodes:
        for c in (node.get("status") or {}).get("conditions") or []:
            if c.get("type") == "Ready" and c.get("status") == "True":
                ready += 1
    return ready


async def up(args: argparse.Namespace, stop: asyncio.Event) -> None:
    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    kubeconfig = str(data_dir / "kubeconfig")
    cluster = Cluster(data_dir)
    started = time.monotonic()
    try:
        line = await cluster.spawn(
            "apiserver",
            "apiserver",
            "--data-dir",
            str(data_dir),
            "--port",
            str(args.port),
            "--no-namespace-controller",  # `kruise cluster` runs it
            wait_for="kruise apiserver listening on",
            restartable=False,
        )
        api = line.split()[4]
        print(f"api server: {api}", flush=True)
        await cluster.spawn("cluster", "cluster", "--kubeconfig", kubeconfig)
        catalog = args.image_catalog or (data_dir / "images.yaml")
        names = [f"node-{i}" for i in range(1, args.nodes + 1)]
        # Pod ranges distinct per node, so Pod IPs never collide
        cidrs = {name: f"127.{100 + i}.0.0/16" for i, name in enumerate(names, 1)}
        # Real containers get a process per node (a node agent killed takes only its own Pods);
        # simulated nodes share one process, as KWOK runs its fake nodes.
        groups = [names] if args.runtime == "sim" and len(names) > 1 else [[n] for n in names]
        for group in groups:
            node_args = ["node", "--kubeconfig", kubeconfig, "--runtime", args.runtime, "--port", "0"]
            for name in group:
                node_args += ["--name", name, "--pod-cidr", cidrs[name]]
            state = data_dir / "nodes" if len(group) > 1 else data_dir / "nodes" / group[0]
            node_args += ["--data-dir", str(state)]
            if catalog.exists():
                node_args += ["--image-catalog", str(catalog)]
            await cluster.spawn("nodes" if len(group) > 1 else group[0], *node_args)
        manager_line = await cluster.spawn(
            "manager",
            "manager",
            "--kubeconfig",
            kubeconfig,
            "--health-port",
            "0",
            "--webhook-port",
            "0",
            wait_for="kruise manager started",
        )
        print(manager_line, flush=True)
        deadline = time.monotonic() + args.timeout
        while (ready := await _ready_nodes(api, args.nodes)) < args.nodes:
            failed = cluster.exited()
            if failed is not None:
                raise CommandError(
                    f"{failed.name} exited with code {failed.proc.returncode}; see {failed.log}"
                )
            if time.monotonic() > deadline:
                raise CommandError(f"only {ready}/{args.nodes} nodes Ready after {args.timeout:.0f}s")
            await asyncio.sleep(0.2)
        print(
            f"kruise is ready in {time.monotonic() - started:.1f}s: api {api}, {args.nodes} nodes "
            f"({args.runtime} runtime), KUBECONFIG={kubeconfig}",
            flush=True,
        )
        while not stop.is_set():
            failed = cluster.exited()
            if failed is not None:
                if not failed.restartable or failed.restarts >= _MAX_RESTARTS:
                    raise CommandError(
                        f"{failed.name} exited with code {failed.proc.returncode}; see {failed.log}"
                    )
                print(f"{failed.name} exited with code {failed.proc.returncode}; restarting", flush=True)
                await cluster.restart(failed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
    finally:
        await cluster.stop()
        print("kruise stopped", flush=True)


def run(args: argparse.Namespace) -> int:
    async def main() -> None:
        await up(args, stop_on_signals())

    asyncio.run(main())
    return 0
