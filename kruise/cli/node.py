"""`kruise node`: a node agent (kubelet duties) that registers a Node and runs its Pods."""

from __future__ import annotations

import argparse
import asyncio
import os
import zlib
from pathlib import Path
from typing import Any

from kruise.cli import CommandError
from kruise.cli.signals import stop_on_signals


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "node",
        help="run a node agent that registers a Node and runs the Pods bound to it",
        description="Register a Node, renew its Lease and run the Pods bound to it the way a stock "
        "kubelet does (init containers, native sidecars, probes, hooks, restarts, graceful deletion).",
    )
    p.add_argument("--kubeconfig", help="kubeconfig path (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
    p.add_argument("--context", help="kubeconfig context")
    p.add_argument("--name", required=True, help="the Node's name")
    p.add_argument("--runtime", choices=["process", "sim"], default="process", help="container runtime")
    p.add_argument(
        "--sim-stages",
        default=os.environ.get("KRUISE_SIM_STAGES", ""),
        help="sim runtime stage delays: 'zero' (default), 'realistic' or a YAML file "
        "(default $KRUISE_SIM_STAGES; see kruise/node/runtimes/sim.py)",
    )
    p.add_argument("--data-dir", required=True, help="the node's state: logs, pid files, image store")
    p.add_argument("--port", type=int, default=0, help="HTTP port for logs and stats (0: any free)")
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
    p.add_argument("--pod-cidr", default="", help="pod IPs, within 127.0.0.0/8 (default from the name)")
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


async def serve(args: argparse.Namespace) -> None:
    from kruise.api import heap
    from kruise.client.config import ConfigError, load_config
    from kruise.client.events import EventRecorder
    from kruise.client.manager import ClientEventSink
    from kruise.client.rest import Client
    from kruise.daemon.containermeta import ContainerMetaController
    from kruise.node.agent import AgentConfig, NodeAgent
    from kruise.node.images import Catalog, ImageStore
    from kruise.node.nodeobj import NodeSpec
    from kruise.node.runtimes.base import Runtime
    from kruise.node.runtimes.process import ProcessRuntime
    from kruise.node.runtimes.sim import SimRuntime, StageTable

    heap.install()  # cached objects stay out of the cyclic GC (kruise.api.heap)

    try:
        stages = StageTable.load(args.sim_stages) if args.runtime == "sim" else None
    except (OSError, ValueError, TypeError) as e:
        raise CommandError(f"--sim-stages: {e}") from e
    try:
        config = load_config(args.kubeconfig, args.context)
    except ConfigError as e:
        raise CommandError(str(e)) from e
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    catalog_path = Path(args.image_catalog) if args.image_catalog else data_dir / "images.yaml"
    if args.image_catalog and not catalog_path.is_file():
        raise CommandError(f"image catalog {catalog_path} does not exist")
    try:
        catalog = Catalog.load(catalog_path if catalog_path.is_file() else None)
    except (ValueError, KeyError, TypeError) as e:
        raise CommandError(f"image catalog {catalog_path}: {e}") from e
    images = ImageStore(catalog, bandwidth=args.pull_bandwidth * 1e6, state_file=data_dir / "images.json")
    cidr = args.pod_cidr or default_pod_cidr(args.name)
    runtime: Runtime = (
        SimRuntime(data_dir, cidr, stages) if stages is not None else ProcessRuntime(data_dir, cidr)
    )
    spec = NodeSpec(
        args.name, cpu=args.cpu, memory=args.memory, pods=args.max_pods, labels=_labels(args.node_labels)
    )
    agent_config = AgentConfig(spec, data_dir, port=args.port, backoff_scale=args.backoff_scale)
    stop = stop_on_signals()
    async with Client(config) as client:
        agent = NodeAgent(client, agent_config, runtime, images)
        if isinstance(runtime, SimRuntime):  # the sim runtime reads annotations, labels, volumes
            runtime.pod_source = lambda uid: w.pod if (w := agent.workers.get(uid)) else None
        # kruise-daemon duties run beside the kubelet duties, through the client and the runtime
        daemon_events = EventRecorder(ClientEventSink(client), "kruise-daemon-containermeta", args.name)
        container_meta = ContainerMetaController(client, runtime, daemon_events)
        try:
            await agent.start()
            assert agent.pod_informer is not None
            daemon_events.start()
            container_meta.start(agent.pod_informer)
            print(f"kruise node {args.name} ready on port {agent.port}", flush=True)
            await stop.wait()
        finally:
            await container_meta.stop()
            await daemon_events.stop()
            await agent.stop()


def run(args: argparse.Namespace) -> int:
    asyncio.run(serve(args))
    return 0
