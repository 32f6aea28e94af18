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
    assert "pod/web created" in text
    assert "sidecar restarts" in text and "server restarts" in text
    assert 'The WebApp "broken" is invalid' in text
    assert 'pod "web" deleted' in text
    assert text.rstrip().endswith("embedded cluster stopped")
    assert "Traceback" not in out.stderr
