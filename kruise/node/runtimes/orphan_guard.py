"""No container outlives its node agent, even one killed with SIGKILL.

The agent starts a tiny watchdog (this file run as a script, standard library only) in a
session of its own and tells it, over the watchdog's stdin, each container process group it
starts ("+pgid") and reaps ("-pgid"). Nothing else holds that pipe, so when the agent dies
however it dies, the watchdog reads end-of-file and SIGKILLs every group still listed, then
exits. Process groups rather than PR_SET_PDEATHSIG: a container's own children die too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

log = logging.getLogger("kruise.node.process")


class OrphanGuard:
    """The agent's side: keeps a watchdog running and its list of groups current."""

    def __init__(self) -> None:
        self._groups: set[int] = set()
        self._proc: asyncio.subprocess.Process | None = None

    async def add(self, pgid: int) -> None:
        self._groups.add(pgid)
        await self._send(f"+{pgid}\n")

    async def remove(self, pgid: int) -> None:
        self._groups.discard(pgid)
        await self._send(f"-{pgid}\n")

    async def close(self) -> None:
        """The agent stops its containers itself on a clean exit: let the watchdog go."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.stdin is not None:
            proc.stdin.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 5)

    async def _send(self, line: str) -> None:
        if self._proc is None or self._proc.returncode is not None:
            if self._proc is not None:
                log.warning("event=orphan_guard_restarted exit_code=%s", self._proc.returncode)
            await self._start()
            return  # a new watchdog is told the whole list at start
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(line.encode())
        except (BrokenPipeError, ConnectionResetError):
            await self._start()

    async def _start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-I", "-S", __file__,
            stdin=asyncio.subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C to the agent's terminal must not reach it
        )  # fmt: skip
        assert self._proc.stdin is not None
        self._proc.stdin.write("".join(f"+{g}\n" for g in sorted(self._groups)).encode())


def watch(lines: object) -> set[int]:
    """The watchdog's loop: the groups still listed when the input ends."""
    groups: set[int] = set()
    for raw in lines:  # type: ignore[attr-defined]
        line = raw.strip()
        with contextlib.suppress(ValueError):
            if line.startswith("+"):
                groups.add(int(line[1:]))
            elif line.startswith("-"):
                groups.discard(int(line[1:]))
    return groups


def main() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # only the end of its input ends it
    for pgid in watch(sys.stdin):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


if __name__ == "__main__":
    main()
