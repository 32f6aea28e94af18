"""WAL checkpoints out of the request path.

A checkpoint copies the write-ahead log into the database file and fsyncs it; run by SQLite's
auto-checkpoint inside a COMMIT, it stalled every request behind it for ~35 ms each time the WAL
reached its limit (at 500 creates/s: every 0.8 s, and the p99 latency with it). So the API server
runs this file as a small helper process (standard library only) with its own connection: every
`interval` it runs a PASSIVE checkpoint, which never blocks the server's writes. The server's
own auto-checkpoint stays as a much larger safety net should the helper die; the helper exits
when its stdin closes (the server stopping, or dying however it dies).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import sqlite3
import sys
from pathlib import Path

log = logging.getLogger("kruise.apiserver.checkpointer")

INTERVAL = 0.2  # seconds between checkpoints: a few hundred WAL pages each at full write speed


class Checkpointer:
    """The server's side: starts the helper and restarts it if it dies."""

    def __init__(self, db_path: Path, interval: float = INTERVAL) -> None:
        self.db_path = db_path
        self.interval = interval
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-I", "-S", __file__, str(self.db_path), str(self.interval),
            stdin=asyncio.subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C to the server's terminal is the server's to handle
        )  # fmt: skip

    async def keep_running(self) -> None:
        """Restart the helper whenever it exits (until cancelled)."""
        while True:
            if self._proc is None:
                await self.start()
            assert self._proc is not None
            code = await self._proc.wait()
            log.warning("event=checkpointer_exited code=%s", code)
            await asyncio.sleep(1.0)
            self._proc = None

    async def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def checkpoint_until_eof(db_path: str, interval: float) -> None:
    """The helper's loop: a PASSIVE checkpoint every `interval` until stdin reaches its end."""
    db = sqlite3.connect(db_path, isolation_level=None, timeout=0.05)
    db_file = os.open(db_path, os.O_RDONLY)
    try:
        while True:
            readable, _, _ = select.select([sys.stdin], [], [], interval)
            if readable and not sys.stdin.buffer.read1(4096):
                return
            with contextlib.suppress(sqlite3.OperationalError):  # busy: next time
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            # SQLite syncs the database only after a checkpoint that caught up with the WAL,
            # which never happens while writes go on: flush what was copied here, or the
            # server's own (restarting) checkpoint would have all of it to write at once.
            os.fsync(db_file)
    finally:
        os.close(db_file)
        db.close()


if __name__ == "__main__":
    checkpoint_until_eof(sys.argv[1], float(sys.argv[2]))
