"""The README's main command runs to the end and shows what it promises."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e


def test_demo_runs_and_cleans_up() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kruise.cli.main", "demo"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert "kruise is ready" in text
    assert "cloneset.apps.kruise.io/web created" in text
    assert "restarts=1" in text  # live progress: the in-place rollout restarted each server once
    table = text[text.index("the same image change, two ways") :]
    rows = {line[:22].strip(): line[22:].split() for line in table.splitlines()[1:6]}
    assert rows["Pods rebuilt"] == ["0/5", "5/5"]
    assert rows["IPs kept"] == ["5/5", "0/5"]
    assert rows["image bytes pulled"][0] != "0.0"
    assert 'admission webhook "vcloneset.kb.io" denied the request' in text
    assert 'cloneset.apps.kruise.io "shop" deleted' in text
    assert text.rstrip().endswith("embedded cluster stopped")
    assert "Traceback" not in out.stderr
