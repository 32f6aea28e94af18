"""`kruise manifests`: generated deployment manifests (for now the CRDs)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from kruise.api.crds import all_crds


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "manifests",
        help="print generated manifests (CRDs)",
        description="Print manifests generated from the API types.",
    )
    kinds = p.add_subparsers(dest="manifest", metavar="KIND")
    crds = kinds.add_parser(
        "crds",
        help="the CustomResourceDefinitions",
        description="Print every CRD as a YAML document, or write one file per CRD named "
        "<group>_<plural>.yaml into --output-dir.",
    )
    crds.add_argument("--output-dir", type=Path, help="write one file per CRD here instead of stdout")
    crds.set_defaults(run=run_crds)


def render(crd: dict[str, Any]) -> str:
    """One CRD as a YAML document (the exact text of its file in deploy/crds)."""
    return "---\n" + yaml.safe_dump(crd, sort_keys=False, width=100, default_flow_style=False)


def file_name(crd: dict[str, Any]) -> str:
    spec = crd["spec"]
    return f"{spec['group']}_{spec['names']['plural']}.yaml"


def run_crds(args: argparse.Namespace) -> int:
    crds = all_crds()
    if args.output_dir is None:
        sys.stdout.write("".join(render(c) for c in crds))
        return 0
    args.output_dir.mkdir(parents=True, exist_ok=True)
    for crd in crds:
        path = args.output_dir / file_name(crd)
        path.write_text(render(crd))
        print(path)
    return 0
