"""`kruise` command line: one subcommand per process or task."""

from __future__ import annotations

import argparse
import logging
import sys

from . import CommandError, apiserver, cluster, demo, manager, manifests, node, up


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="ts=%(asctime)s level=%(levelname)s logger=%(name)s %(message)s",
        stream=sys.stderr,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kruise", description="OpenKruise in Python, with an embedded cluster."
    )
    parser.add_argument("--log-level", default="info", help="debug, info, warning or error (default info)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    apiserver.add_parser(sub)
    demo.add_parser(sub)
    manager.add_parser(sub)
    manifests.add_parser(sub)
    cluster.add_parser(sub)
    node.add_parser(sub)
    up.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    _setup_logging(args.log_level)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except CommandError as e:
        print(f"kruise {args.command}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
