"""kruise.client against a real `kruise apiserver` process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kruise.client import Client, load_config
from tests.conftest import ServerProcess


@pytest.fixture
async def client(apiserver: ServerProcess) -> AsyncIterator[Client]:
    async with Client(load_config(str(apiserver.kubeconfig))) as c:
        yield c
