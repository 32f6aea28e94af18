"""Helpers for the client's integration tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


def pod(name: str, namespace: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": "app", "image": "example.com/app:1"}]},
    }


async def eventually(check: Callable[[], Awaitable[bool] | bool], timeout: float = 60.0) -> None:
    """Poll until check() is true; generous deadlines, no sleeps tuned to this machine."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        out = check()
        if not isinstance(out, bool):
            out = await out
        if out:
            return
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {check}")
        await asyncio.sleep(0.05)
