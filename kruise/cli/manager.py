"""`kruise manager`: every Kruise controller and admission webhook, against any cluster."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
from typing import TYPE_CHECKING, Any

from kruise.cli import CommandError
from kruise.cli.signals import stop_on_signals

if TYPE_CHECKING:
    from kruise.client.rest import Client
    from kruise.webhooks.runtime import WebhookConfig

# The controller runtime is imported when the command runs, so other commands start fast.


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "manager",
        help="run the Kruise controllers and webhooks",
        description="Run the Kruise controllers (on the elected leader) and admission webhooks "
        "(on every replica) against a cluster.",
    )
    p.add_argument("--kubeconfig", help="kubeconfig path (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
    p.add_argument("--context", help="kubeconfig context")
    p.add_argument("--namespace", default="kruise-system", help="namespace for the lease and certificates")
    p.add_argument("--identity", default="", help="leader election identity (default hostname_pid)")
    p.add_argument("--no-leader-elect", action="store_true", help="run controllers without leader election")
    p.add_argument("--lease-duration", type=float, default=15.0, help="seconds (default 15)")
    p.add_argument("--renew-deadline", type=float, default=10.0, help="seconds (default 10)")
    p.add_argument("--retry-period", type=float, default=2.0, help="seconds (default 2)")
    p.add_argument(
        "--health-port", type=int, default=8081, help="/healthz /readyz /metrics port (0: any free)"
    )
    p.add_argument("--webhook-host", default="127.0.0.1", help="webhook server bind address")
    p.add_argument("--webhook-port", type=int, default=9443, help="webhook server port")
    p.add_argument(
        "--webhook-url",
        default="",
        help="URL the API server calls (default https://<webhook-host>:<webhook-port>)",
    )
    p.add_argument(
        "--webhook-service",
        default="",
        help="NAMESPACE/NAME of the Service in front of the webhook server (real clusters)",
    )
    p.add_argument(
        "--no-install-crds",
        dest="install_crds",
        action="store_false",
        help="do not create or update the Kruise CRDs at start (they are managed elsewhere)",
    )
    p.set_defaults(run=run)


async def _ensure_namespace(client: Client, name: str) -> None:
    from kruise.client.errors import AlreadyExists
    from kruise.client.resources import NAMESPACES

    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    with contextlib.suppress(AlreadyExists):
        await client.create(NAMESPACES, body)


async def install_crds(client: Client) -> None:
    """Create the Kruise CRDs, or bring existing ones up to this version's definition."""
    from kruise.api.crds import all_crds
    from kruise.client.errors import AlreadyExists, Conflict
    from kruise.client.resources import CRDS

    for crd in all_crds():
        try:
            await client.create(CRDS, crd)
            continue
        except AlreadyExists:
            pass
        for _ in range(5):
            current = await client.get(CRDS, crd["metadata"]["name"])
            spec = _keep_conversion_webhook(crd["spec"], current.get("spec") or {})
            if current.get("spec") == spec:
                break
            body = {**current, "spec": spec}
            try:
                await client.update(CRDS, body)
                break
            except Conflict:
                continue


def _keep_conversion_webhook(desired: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The generated CRD carries a placeholder conversion clientConfig; the webhook runtime writes the
    real one (URL or Service, caBundle). An update keeps what is there instead of undoing it."""
    wanted = desired.get("conversion") or {}
    live = current.get("conversion") or {}
    if wanted.get("strategy") != "Webhook" or live.get("strategy") != "Webhook" or not live.get("webhook"):
        return desired
    return {**desired, "conversion": {**wanted, "webhook": live["webhook"]}}


def _webhook_config(args: argparse.Namespace) -> WebhookConfig:
    from kruise.webhooks.registration import Endpoint
    from kruise.webhooks.runtime import WebhookConfig

    config = WebhookConfig(namespace=args.namespace, host=args.webhook_host, port=args.webhook_port)
    if args.webhook_service:
        ns, _, name = args.webhook_service.partition("/")
        if not name:
            raise CommandError("--webhook-service takes NAMESPACE/NAME")
        config.endpoint = Endpoint(service_namespace=ns, service_name=name)
        config.dns_names = [f"{name}.{ns}.svc", f"{name}.{ns}.svc.cluster.local"]
        config.ips = []
    elif args.webhook_url:
        config.endpoint = Endpoint(url=args.webhook_url)
    return config


async def serve(args: argparse.Namespace) -> None:
    from kruise.api import heap
    from kruise.client.config import ConfigError, load_config
    from kruise.client.leaderelection import LeaderElectionConfig
    from kruise.client.manager import Manager, ManagerOptions
    from kruise.client.rest import Client
    from kruise.controllers import register_all as register_controllers
    from kruise.webhooks import register_all as register_webhooks
    from kruise.webhooks.runtime import WebhookRuntime

    heap.install()  # cached objects stay out of the cyclic GC (kruise.api.heap)

    try:
        config = load_config(args.kubeconfig, args.context)
    except ConfigError as e:
        raise CommandError(str(e)) from e
    identity = args.identity or f"{socket.gethostname()}_{os.getpid()}"
    election = (
        None
        if args.no_leader_elect
        else LeaderElectionConfig(
            namespace=args.namespace,
            name="kruise-manager",
            identity=identity,
            lease_duration=args.lease_duration,
            renew_deadline=args.renew_deadline,
            retry_period=args.retry_period,
        )
    )
    async with Client(config, omit_managed_fields=True) as client:
        await _ensure_namespace(client, args.namespace)
        if args.install_crds:
            await install_crds(client)
        manager = Manager(
            client, ManagerOptions(identity=identity, leader_election=election, health_port=args.health_port)
        )
        register_controllers(manager)
        webhooks = WebhookRuntime(client, _webhook_config(args))
        register_webhooks(webhooks)
        if webhooks.has_webhooks:
            manager.add_runnable(webhooks.run, leader_only=False, name="webhooks")
        running = asyncio.create_task(manager.run(stop_on_signals()))
        started = asyncio.create_task(_started(manager, webhooks))
        await asyncio.wait({running, started}, return_when=asyncio.FIRST_COMPLETED)
        if started.done():
            print(f"kruise manager started identity={identity} health_port={manager.health_port}", flush=True)
        else:
            started.cancel()
        await running


async def _started(manager: Any, webhooks: Any) -> None:
    """Started means objects created from now on see the webhooks (defaults, validation)."""
    await manager.started.wait()
    if webhooks.has_webhooks:
        await webhooks.serving.wait()


def run(args: argparse.Namespace) -> int:
    asyncio.run(serve(args))
    return 0
