"""Acknowledged writes survive kill -9; a watch resumed after restart misses and repeats nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import start_server

pytestmark = pytest.mark.e2e

WRITERS = 8


async def _writer(
    session: aiohttp.ClientSession, url: str, wid: int, acked: dict[str, int], stop: asyncio.Event
) -> None:
    i = 0
    while not stop.is_set():
        name = f"w{wid}-{i}"
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"i": str(i)}}
        try:
            async with session.post(f"{url}/api/v1/namespaces/default/configmaps", json=body) as resp:
                if resp.status == 201:
                    acked[name] = int((await resp.json())["metadata"]["resourceVersion"])
        except (aiohttp.ClientError, ConnectionError):
            return
        i += 1


async def _watch(
    session: aiohttp.ClientSession,
    url: str,
    rv: str,
    events: list[tuple[str, str, int]],
    until: asyncio.Event | None = None,
) -> None:
    params = {"watch": "true", "resourceVersion": rv, "timeoutSeconds": "30"}
    try:
        async with session.get(f"{url}/api/v1/namespaces/default/configmaps", params=params) as resp:
            async for line in resp.content:
                ev = json.loads(line)
                meta = ev["object"]["metadata"]
                events.append((ev["type"], meta.get("name", ""), int(meta["resourceVersion"])))
                if until is not None and until.is_set():
                    return
    except (aiohttp.ClientError, ConnectionError):
        return


async def test_kill9_keeps_acknowledged_writes_and_watch_resumes_exactly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data)
    acked: dict[str, int] = {}
    before: list[tuple[str, str, int]] = []
    stop = asyncio.Event()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server.url}/api/v1/namespaces/default/configmaps") as resp:
            start_rv = (await resp.json())["metadata"]["resourceVersion"]
        watcher = asyncio.create_task(_watch(session, server.url, start_rv, before))
        writers = [asyncio.create_task(_writer(session, server.url, w, acked, stop)) for w in range(WRITERS)]
        while len(acked) < 400:
            await asyncio.sleep(0.02)
        server.kill9()  # mid-stream: writers are still sending
        stop.set()
        await asyncio.gather(*writers)
        await watcher
    assert len(acked) >= 400

    server = start_server(data)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{server.url}/api/v1/namespaces/default/configmaps") as resp:
                listing = await resp.json()
            stored = {c["metadata"]["name"]: int(c["metadata"]["resourceVersion"]) for c in listing["items"]}
            missing = sorted(set(acked) - set(stored))
            assert missing == [], f"acknowledged but lost: {missing[:10]}"
            for name, rv in acked.items():
                assert stored[name] == rv

            last_seen = before[-1][2] if before else int(start_rv)
            after: list[tuple[str, str, int]] = []
            resume = asyncio.create_task(_watch(session, server.url, str(last_seen), after))
            # a new write after the restart must arrive too, after the replayed history
            body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "after-restart"}}
            async with session.post(f"{server.url}/api/v1/namespaces/default/configmaps", json=body) as resp:
                assert resp.status == 201
            deadline = asyncio.get_running_loop().time() + 20
            while not any(n == "after-restart" for _, n, _ in after):
                assert asyncio.get_running_loop().time() < deadline, "resumed watch did not catch up"
                await asyncio.sleep(0.05)
            resume.cancel()
        rvs = [rv for _, _, rv in after]
        assert rvs == sorted(set(rvs)), "events out of order or repeated"
        assert rvs[0] > last_seen
        seen_before = {n for t, n, _ in before if t == "ADDED"}
        seen_after = {n for t, n, _ in after if t == "ADDED"}
        assert not seen_before & seen_after, "an event was delivered twice across the restart"
        assert seen_before | seen_after == set(stored) | {"after-restart"}
    finally:
        server.stop()
