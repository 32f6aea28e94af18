"""`kruise node` with one or several --name: state directories, Pod ranges and bad combinations."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from kruise.cli import CommandError
from kruise.cli.node import NodeSlot, default_pod_cidr, node_slots

REPO = Path(__file__).resolve().parents[3]


def args(
    *names: str, runtime: str = "sim", port: int = 0, cidrs: list[str] | None = None
) -> argparse.Namespace:
    return argparse.Namespace(
        name=list(names), runtime=runtime, port=port, pod_cidr=cidrs, data_dir="/var/kn"
    )


def test_one_node_keeps_its_state_in_the_data_dir() -> None:
    assert node_slots(args("n1", runtime="process", port=10250)) == [
        NodeSlot("n1", Path("/var/kn"), default_pod_cidr("n1"))
    ]


def test_several_simulated_nodes_get_a_sub_directory_and_their_range_each() -> None:
    slots = node_slots(args("node-1", "node-2", cidrs=["127.101.0.0/16", "127.102.0.0/16"]))
    assert slots == [
        NodeSlot("node-1", Path("/var/kn/node-1"), "127.101.0.0/16"),
        NodeSlot("node-2", Path("/var/kn/node-2"), "127.102.0.0/16"),
    ]


@pytest.mark.parametrize(
    ("namespace", "message"),
    [
        (args("a", "a"), "--name: each node needs its own name"),
        (args("a", "b", runtime="process"), "several --name need --runtime sim"),
        (args("a", "b", port=10250), "--port: several nodes each pick a free port; use 0"),
        (args("a", "b", cidrs=["127.101.0.0/16"]), "--pod-cidr: give one per --name (2), or none"),
    ],
)
def test_bad_combinations_are_refused(namespace: argparse.Namespace, message: str) -> None:
    with pytest.raises(CommandError) as e:
        node_slots(namespace)
    assert str(e.value).startswith(message)


def test_the_command_reports_a_bad_combination_on_stderr(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kruise.cli.main",
            "node",
            "--name",
            "a",
            "--name",
            "b",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "several --name need --runtime sim" in out.stderr
