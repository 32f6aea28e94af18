"""The node agent's watchdog: which process groups it kills once the agent's pipe closes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

from kruise.node.runtimes.orphan_guard import OrphanGuard, watch


def test_watch_keeps_the_groups_still_listed() -> None:
    lines = ["+10\n", "+11\n", "-10\n", "+12\n", "garbage\n", "+x\n", "-99\n"]
    assert watch(lines) == {11, 12}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (our own unreaped child) counts as gone
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


async def test_guard_kills_listed_groups_when_its_pipe_closes() -> None:
    kept = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    released = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    guard = OrphanGuard()
    try:
        await guard.add(kept.pid)
        await guard.add(released.pid)
        await guard.remove(released.pid)
        watchdog = guard._proc
        assert watchdog is not None and watchdog.stdin is not None
        # The agent vanishing closes the pipe exactly like this.
        watchdog.stdin.close()
        await asyncio.wait_for(watchdog.wait(), 10)
        deadline = time.monotonic() + 10
        while _alive(kept.pid) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not _alive(kept.pid)
        assert kept.wait(5) == -signal.SIGKILL
        assert _alive(released.pid)  # no longer listed: left alone
    finally:
        for p in (kept, released):
            p.kill()
            p.wait()
