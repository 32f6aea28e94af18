"""`kruise cluster`: the embedded cluster's scheduler, garbage collector and namespace controller,
against any API server."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
from typing import Any

from kruise.cli import CommandError
from kruise.cli.signals import stop_on_signals

# The controllers are imported when the command runs, so other commands start fast.


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "cluster",
        help="run the built-in cluster controllers (scheduler, garbage collector, namespaces)",
        description="Run the embedded cluster's controllers against an API server until SIGINT or "
        "SIGTERM: the scheduler (binds pending Pods whose schedulerName is default-scheduler) and "
        "the garbage collector (ownerReferences: background, foreground and orphan deletion) and "
        "the namespace controller (empties a terminating namespace, then releases it).",
    )
    p.add_argument("--kubeconfig", help="kubeconfig path (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
    p.add_argument("--context", help="kubeconfig context")
    p.add_argument("--no-scheduler", action="store_true", help="do not run the scheduler")
    p.add_argument("--no-gc", action="store_true", help="do not run the garbage collector")
    p.add_argument(
        "--no-namespace-controller", action="store_true", help="do not run the namespace controller"
    )
    p.add_argument(
        "--leader-elect",
        action="store_true",
        help="take a Lease before running (only when several copies share an API server)",
    )
    p.add_argument("--lease-namespace", default="kube-system", help="Lease namespace (default kube-system)")
    p.add_argument("--identity", default="", help="leader election identity (default hostname_pid)")
    p.set_defaults(run=run)


async def serve(args: argparse.Namespace) -> None:
    from kruise.api import heap
    from kruise.client.config import ConfigError, load_config
    from kruise.client.leaderelection import LeaderElectionConfig
    from kruise.client.rest import Client
    from kruise.cluster import run_cluster_controllers

    heap.install()  # cached objects stay out of the cyclic GC (kruise.api.heap)

    try:
        config = load_config(args.kubeconfig, args.context)
    except ConfigError as e:
        raise CommandError(str(e)) from e
    identity = args.identity or f"{socket.gethostname()}_{os.getpid()}"
    election = (
        LeaderElectionConfig(namespace=args.lease_namespace, name="kruise-cluster", identity=identity)
        if args.leader_elect
        else None
    )
    stop = stop_on_signals()
    async with Client(config, omit_managed_fields=True) as client:
        print(f"kruise cluster started identity={identity}", flush=True)
        await run_cluster_controllers(
            client,
            stop,
            leader_election=election,
            scheduler=not args.no_scheduler,
            garbage_collector=not args.no_gc,
            namespace_controller=not args.no_namespace_controller,
            identity=identity,
        )


def run(args: argparse.Namespace) -> int:
    asyncio.run(serve(args))
    return 0
