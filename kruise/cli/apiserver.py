"""`kruise apiserver`: the embedded Kubernetes-compatible API server."""

from __future__ import annotations

import argparse
import asyncio
import csv
import ipaddress
import sys
from pathlib import Path
from typing import Any

from kruise.apiserver.app import APIServer, ServerConfig
from kruise.apiserver.tls import ensure_serving_cert
from kruise.cli import CommandError, kubeconfig
from kruise.cli.signals import stop_on_signals


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "apiserver",
        help="run the embedded API server on SQLite",
        description="Run the embedded Kubernetes-compatible API server. Writes DIR/kubeconfig. "
        "Unless told otherwise it also runs the namespace controller against itself, so a deleted "
        "namespace is emptied and removed without `kruise cluster`.",
    )
    p.add_argument(
        "--data-dir", required=True, type=Path, help="directory for the SQLite state and kubeconfig"
    )
    p.add_argument(
        "--port", type=int, default=6443, help="port to listen on (default 6443; 0 picks a free one)"
    )
    p.add_argument("--bind", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument(
        "--tls-cert", type=Path, help="serving certificate (PEM); generated when binding beyond loopback"
    )
    p.add_argument("--tls-key", type=Path, help="serving key (PEM)")
    p.add_argument(
        "--token-file",
        type=Path,
        help='static tokens as kube-apiserver reads them: token,user,uid[,"groups"] per line; '
        "required when binding beyond loopback",
    )
    p.add_argument(
        "--watch-history",
        type=int,
        default=20_000,
        help="events kept for watch resume before a resourceVersion answers 410 Gone",
    )
    p.add_argument(
        "--no-namespace-controller",
        action="store_true",
        help="leave terminating namespaces to a separate `kruise cluster` (as `kruise up` does)",
    )
    p.set_defaults(run=run)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_tokens(path: Path) -> dict[str, str]:
    tokens = {}
    try:
        with path.open(newline="") as f:
            for n, row in enumerate(csv.reader(f), 1):
                if not row or row[0].startswith("#"):
                    continue
                if len(row) < 3:
                    raise CommandError(f"{path}:{n}: expected token,user,uid[,groups]")
                tokens[row[0].strip()] = row[1].strip()
    except OSError as e:
        raise CommandError(f"cannot read --token-file: {e}") from e
    if not tokens:
        raise CommandError(f"{path}: no tokens")
    return tokens


def build_config(args: argparse.Namespace) -> ServerConfig:
    data_dir: Path = args.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    config = ServerConfig(data_dir=data_dir, host=args.bind, port=args.port, history=args.watch_history)
    if bool(args.tls_cert) != bool(args.tls_key):
        raise CommandError("--tls-cert and --tls-key go together")
    if args.token_file:
        config.tokens = read_tokens(args.token_file)
    if not _is_loopback(args.bind):
        if not config.tokens:
            raise CommandError(f"binding {args.bind} (beyond loopback) requires --token-file")
        if not args.tls_cert:
            args.tls_cert, args.tls_key = ensure_serving_cert(data_dir / "tls", args.bind)
    config.tls_cert, config.tls_key = args.tls_cert, args.tls_key
    return config


async def _namespace_controller(kubeconfig_path: Path, stop: asyncio.Event) -> None:
    """The namespace controller as an API client of this very server (its loopback address)."""
    from kruise.client.config import load_config
    from kruise.client.rest import Client
    from kruise.cluster import run_cluster_controllers

    async with Client(load_config(str(kubeconfig_path))) as client:
        await run_cluster_controllers(client, stop, scheduler=False, garbage_collector=False)


def _report_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        print(f"kruise apiserver: namespace controller stopped: {task.exception()}", file=sys.stderr)


async def serve(config: ServerConfig, *, namespace_controller: bool = True) -> None:
    server = APIServer(config)
    await server.start()
    path = kubeconfig.write_for_server(config, server.port)
    scheme = "https" if config.tls_cert else "http"
    print(
        f"kruise apiserver listening on {scheme}://{config.host}:{server.port} kubeconfig={path}", flush=True
    )
    stop = stop_on_signals()
    controllers = None
    if namespace_controller:
        controllers = asyncio.create_task(_namespace_controller(path, stop))
        controllers.add_done_callback(_report_failure)
    await stop.wait()
    if controllers is not None:
        await asyncio.gather(controllers, return_exceptions=True)
    await server.stop()


def run(args: argparse.Namespace) -> int:
    config = build_config(args)
    try:
        asyncio.run(serve(config, namespace_controller=not args.no_namespace_controller))
    except OSError as e:
        print(f"kruise apiserver: {e}", file=sys.stderr)
        return 1
    return 0
