"""One process-runtime `kruise up` shared by the end-to-end modules that only need a cluster;
each test gets its own namespace."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.cluster import Up


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    up = Up(tmp_path_factory.mktemp("e2e-cluster") / "cluster", f"e2e-{os.getpid()}-{time.time_ns()}")
    yield up
    up.stop()


@pytest.fixture
def ns(cluster: Up) -> Iterator[str]:
    name = "e2e-" + uuid.uuid4().hex[:6]
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)
