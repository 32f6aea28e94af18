"""Fixtures for the cluster controllers against the in-process API server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from kruise.apiserver.app import APIServer
from kruise.client import Client
from kruise.client.config import ClientConfig
from kruise.cluster import run_cluster_controllers


@pytest.fixture
async def client(server: APIServer) -> AsyncIterator[Client]:
    async with Client(ClientConfig(server=f"http://127.0.0.1:{server.port}")) as c:
        yield c


@pytest.fixture
async def cluster(client: Client) -> AsyncIterator[None]:
    """The scheduler and garbage collector running for the duration of a test."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_cluster_controllers(client, stop))
    yield
    stop.set()
    await asyncio.wait_for(task, 30)
