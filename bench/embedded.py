"""Shared by the benchmarks: a `kruise up` cluster in a temporary directory, and the machine line."""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# On this VM a run started while the page cache still holds an earlier run's files is ~40 %
# slower (measured: 11.2 s vs 15.8-17.0 s for the CloneSet scale); `--drop-caches` (root) makes
# each cluster start from the same state.
_drop_caches = False


def drop_caches_before_each_cluster(enabled: bool) -> None:
    global _drop_caches
    _drop_caches = enabled


def _drop_page_cache() -> None:
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as e:
        raise SystemExit(f"--drop-caches needs root: {e}") from e


async def start_cluster(
    data_dir: Path, runtime: str, nodes: int, stages: str = "zero"
) -> tuple[asyncio.subprocess.Process, str]:
    """Start `kruise up`; returns the process and the API server URL once the cluster is ready."""
    if _drop_caches:
        _drop_page_cache()
    env = dict(os.environ, KRUISE_SIM_STAGES=stages)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kruise.cli.main", "up", "--data-dir", str(data_dir), "--port", "0",
        "--nodes", str(nodes), "--runtime", runtime, "--timeout", "180",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=REPO, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    api = ""
    while True:
        raw = await asyncio.wait_for(proc.stdout.readline(), 240)
        if not raw:
            raise RuntimeError(f"kruise up exited with {await proc.wait()}")
        line = raw.decode().strip()
        if line.startswith("api server:"):
            api = line.split()[-1]
        if line.startswith("kruise is ready"):
            asyncio.get_running_loop().create_task(_drain(proc))
            return proc, api


async def _drain(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdout is not None
    while await proc.stdout.readline():
        pass


async def stop_cluster(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 60)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def cache_mode() -> str:
    return "page cache dropped before each cluster start" if _drop_caches else "page cache left as it was"


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), "?")  # fmt: skip
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024**2
    return f"nproc={os.cpu_count()}, CPU {cpu}, RAM {mem:.1f} GiB, Python {platform.python_version()}"


def git_head() -> str:
    """The commit measured, marked when the working tree differs from it."""
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, cwd=REPO
    )
    return out.stdout.strip() + (" (+ uncommitted changes)" if dirty.stdout.strip() else "")


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_by_role(root_pid: int) -> dict[str, float]:
    """CPU-seconds (user + system) used so far by each process under `kruise up`, summed by role:
    the `kruise` subcommand it runs (apiserver, manager, cluster, node); the API server's
    checkpointer counts as apiserver."""
    parent_of: dict[int, int] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        parent_of[int(entry.name)] = int(fields[1])
        stats[int(entry.name)] = fields
    out: dict[str, float] = {}
    for pid, fields in stats.items():
        ancestor = parent_of.get(pid)
        while ancestor not in (None, 0, 1, root_pid):
            ancestor = parent_of.get(ancestor)
        if ancestor != root_pid:
            continue
        role = _role(pid)
        out[role] = out.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / _CLK_TCK
    return out


def _role(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return "other"
    if "kruise.cli.main" in argv:
        at = argv.index("kruise.cli.main") + 1
        return argv[at] if at < len(argv) else "other"
    return "apiserver" if any(a.endswith("checkpointer.py") for a in argv) else "other"


def cpu_spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {role: after[role] - before.get(role, 0.0) for role in after}
