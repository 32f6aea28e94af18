"""`kruise node`: a node agent (kubelet duties) that registers a Node and runs its Pods.

With several `--name` (sim runtime only) one process runs that many simulated nodes, as KWOK does:
each has its own client, runtime, image store and kruise-daemon duties; they share the event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kruise.cli import CommandError
from kruise.cli.signals import stop_on_signals

if TYPE_CHECKING:  # the node agent is imported when the command runs
    from kruise.client.config import ClientConfig
    from kruise.node.agent import AgentConfig
    from kruise.node.images import ImageStore
    from kruise.node.nodeobj import NodeSpec
    from kruise.node.runtimes.base import Runtime
    from kruise.node.runtimes.sim import StageTable


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "node",
        help="run a node agent that registers a Node and runs the Pods bound to it",
        description="Register a Node, renew its Lease and run the Pods bound to it the way a stock "
        "kubelet does (init containers, native sidecars, probes, hooks, restarts, graceful deletion).",
    )
    p.add_argument("--kubeconfig", help="kubeconfig path (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
    p.add_argument("--context", help="kubeconfig context")
    p.add_argument(
        "--name",
        action="append",
        required=True,
        help="the Node's name; repeat it to run several simulated nodes in this process (--runtime sim)",
    )
    p.add_argument("--runtime", choices=["process", "sim"], default="process", help="container runtime")
    p.add_argument(
        "--sim-stages",
        default=os.environ.get("KRUISE_SIM_STAGES", ""),
        help="sim runtime stage delays: 'zero' (default), 'realistic' or a YAML file "
        "(default $KRUISE_SIM_STAGES; see kruise/node/runtimes/sim.py)",
    )
    p.add_argument(
        "--data-dir",
        required=True,
        help="the node's state: logs, pid files, image store (with several --name: one sub-directory each)",
    )
    p.add_argument(
        "--port", type=int, default=0, help="HTTP port for logs and stats (0: any free; several nodes: 0)"
    )
    p.add_argument("--image-catalog", help="YAML file describing images (default DATA_DIR/images.yaml)")
    p.add_argument(
        "--pull-bandwidth", type=float, default=100.0, help="modelled pull speed in MB/s (0: instant)"
    )
    p.add_argument(
        "--backoff-scale", type=float, default=1.0, help="multiply restart back-off delays (tests: 0.05)"
    )
    p.add_argument("--cpu", default="8", help="cpu capacity (default 8)")
    p.add_argument("--memory", default="32Gi", help="memory capacity (default 32Gi)")
    p.add_argument("--max-pods", default="110", help="pods capacity (default 110)")
    p.add_argument(
        "--pod-cidr",
        action="append",
        help="pod IPs, within 127.0.0.0/8 (default from the name); one per --name",
    )
    p.add_argument("--node-labels", default="", help="extra labels, k=v,k2=v2")
    p.set_defaults(run=run)


def default_pod_cidr(name: str) -> str:
    """127.N.0.0/16 with N from the name, so nodes on one machine rarely share a range."""
    return f"127.{10 + zlib.crc32(name.encode()) % 240}.0.0/16"


def _labels(text: str) -> dict[str, str]:
    out = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise CommandError(f"--node-labels: {item!r} is not key=value")
        out[key] = value
    return out


@dataclass(frozen=True)
class NodeSlot:
    name: str
    data_dir: Path
    pod_cidr: str


def node_slots(args: argparse.Namespace) -> list[NodeSlot]:
    """The nodes this process runs, with their state directories and Pod ranges."""
    names: list[str] = args.name
    if len(set(names)) != len(names):
        raise CommandError("--name: each node needs its own name")
    if len(names) > 1 and args.runtime != "sim":
        raise CommandError("several --name need --runtime sim (real containers get a process per node)")
    if len(names) > 1 and args.port:
        raise CommandError("--port: several nodes each pick a free port; use 0")
    cidrs: list[str] = args.pod_cidr or []
    if cidrs and len(cidrs) != len(names):
        raise CommandError(f"--pod-cidr: give one per --name ({len(names)}), or none")
    base = Path(args.data_dir).resolve()
    return [
        NodeSlot(
            name, base if len(names) == 1 else base / name, cidrs[i] if cidrs else default_pod_cidr(name)
        )
        for i, name in enumerate(names)
    ]


async def serve(args: argparse.Namespace) -> None:
    from kruise.api import heap
    from kruise.client.config import ConfigError, load_config
    from kruise.node.runtimes.sim import StageTable

    heap.install()  # cached objects stay out of the cyclic GC (kruise.api.heap)

    slots = node_slots(args)
    try:
        stages = StageTable.load(args.sim_stages) if args.runtime == "sim" else None
    except (OSError, ValueError, TypeError) as e:
        raise CommandError(f"--sim-stages: {e}") from e
    try:
        config = load_config(args.kubeconfig, args.context)
    except ConfigError as e:
        raise CommandError(str(e)) from e
    labels = _labels(args.node_labels)
    prepared = [_prepare(args, slot, stages, labels) for slot in slots]  # bad input fails before any start
    stop = stop_on_signals()
    try:
        async with asyncio.TaskGroup() as group:
            for node in prepared:
                group.create_task(_serve_node(config, node, stop), name=f"node:{node.spec.name}")
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None


@dataclass
class _Prepared:
    spec: NodeSpec
    agent_config: AgentConfig
    runtime: Runtime
    images: ImageStore


def _prepare(
    args: argparse.Namespace, slot: NodeSlot, stages: StageTable | None, labels: dict[str, str]
) -> _Prepared:
    from kruise.node.agent import AgentConfig
    from kruise.node.images import Catalog, ImageStore
    from kruise.node.nodeobj import NodeSpec
    from kruise.node.runtimes.process import ProcessRuntime
    from kruise.node.runtimes.sim import SimRuntime

    data_dir = slot.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    catalog_path = Path(args.image_catalog) if args.image_catalog else data_dir / "images.yaml"
    if args.image_catalog and not catalog_path.is_file():
        raise CommandError(f"image catalog {catalog_path} does not exist")
    try:
        catalog = Catalog.load(catalog_path if catalog_path.is_file() else None)
    except (ValueError, KeyError, TypeError) as e:
        raise CommandError(f"image catalog {catalog_path}: {e}") from e
    images = ImageStore(catalog, bandwidth=args.pull_bandwidth * 1e6, state_file=data_dir / "images.json")
    runtime: Runtime = (
        SimRuntime(data_dir, slot.pod_cidr, stages)
        if stages is not None
        else ProcessRuntime(data_dir, slot.pod_cidr)
    )
    spec = NodeSpec(slot.name, cpu=args.cpu, memory=args.memory, pods=args.max_pods, labels=labels)
    agent_config = AgentConfig(spec, data_dir, port=args.port, backoff_scale=args.backoff_scale)
    return _Prepared(spec, agent_config, runtime, images)


async def _serve_node(config: ClientConfig, node: _Prepared, stop: asyncio.Event) -> None:
    """One node agent and its kruise-daemon duties, until `stop` is set."""
    from kruise.client.events import EventRecorder
    from kruise.client.manager import ClientEventSink
    from kruise.client.rest import Client
    from kruise.daemon.containermeta import ContainerMetaController
    from kruise.node.agent import NodeAgent
    from kruise.node.runtimes.sim import SimRuntime

    name, runtime = node.spec.name, node.runtime
    async with Client(config, omit_managed_fields=True) as client:
        agent = NodeAgent(client, node.agent_config, runtime, node.images)
        if isinstance(runtime, SimRuntime):  # the sim runtime reads annotations, labels, volumes
            runtime.pod_source = lambda uid: w.pod if (w := agent.workers.get(uid)) else None
        # kruise-daemon duties run beside the kubelet duties, through the client and the runtime
        daemon_events = EventRecorder(ClientEventSink(client), "kruise-daemon-containermeta", name)
        container_meta = ContainerMetaController(client, runtime, daemon_events)
        try:
            await agent.start()
            assert agent.pod_informer is not None
            daemon_events.start()
            container_meta.start(agent.pod_informer)
            print(f"kruise node {name} ready on port {agent.port}", flush=True)
            await stop.wait()
        finally:
            await container_meta.stop()
            await daemon_events.stop()
            await agent.stop()


def run(args: argparse.Namespace) -> int:
    asyncio.run(serve(args))
    return 0
