"""The API server's checkpointer process: WAL checkpoints happen outside the server, it comes back
if killed, and it goes when the server does."""

from __future__ import annotations

import asyncio
import os
import signal
import struct
from pathlib import Path

from kruise.apiserver.app import APIServer, ServerConfig
from kruise.apiserver.crud import WriteOptions


def helper_pids(db_path: Path) -> list[int]:
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(part.endswith(b"checkpointer.py") for part in cmd) and str(db_path).encode() in cmd:
            out.append(int(pid))
    return out


def wal_progress(db_path: Path) -> tuple[int, int]:
    """(frames in the WAL, frames already copied into the database), read from the wal-index
    (the -shm file: mxFrame in its header, nBackfill after the header's two copies) so that
    looking does not checkpoint anything itself."""
    shm = Path(f"{db_path}-shm").read_bytes()
    (max_frame,) = struct.unpack_from("=I", shm, 16)
    (backfill,) = struct.unpack_from("=I", shm, 96)
    return max_frame, backfill


async def until(check, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := check()):
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)
    return value


async def test_helper_checkpoints_restarts_and_stops_with_the_server(tmp_path: Path) -> None:
    server = APIServer(ServerConfig(data_dir=tmp_path, port=0))
    db_path = server.store.log.path
    await server.start()
    try:
        (first,) = await until(lambda: helper_pids(db_path))
        configmaps = server.registry.get("", "v1", "configmaps")
        assert configmaps is not None
        for i in range(200):
            body = {"metadata": {"name": f"c{i}"}, "data": {"v": "x" * 2000}}
            await server.resources.create(configmaps, "default", body, WriteOptions())
        frames, _ = wal_progress(db_path)
        assert frames > 100  # the writes went to the WAL...
        # ...and the helper copies them into the database (the server's own auto-checkpoint
        # would wait for 20,000 frames)
        await until(lambda: wal_progress(db_path)[1] >= frames)
        os.kill(first, signal.SIGKILL)
        (second,) = await until(lambda: [p for p in helper_pids(db_path) if p != first])
    finally:
        await server.stop()
    await until(lambda: not helper_pids(db_path))
    assert second != first
