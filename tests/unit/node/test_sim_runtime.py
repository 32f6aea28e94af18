"""The sim runtime: stage table, failure injection, container lifecycle without processes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from kruise.node.logs import read_log
from kruise.node.runtimes.base import ContainerConfig, SandboxConfig
from kruise.node.runtimes.sim import (
    EXIT_ANNOTATION,
    FAIL_PROBE_ANNOTATION,
    HOOK_MARK,
    PROBE_MARK,
    SIGTERM_EXIT,
    SimRuntime,
    StageTable,
    parse_exits,
    parse_fail_probes,
)


def test_stage_table_defaults_and_presets(tmp_path: Path) -> None:
    assert StageTable().delay("sandbox") == 0.0
    assert StageTable.load("").delay("container_start") == 0.0
    real = StageTable.load("realistic")
    assert real.delay("sandbox") == 0.5
    assert real.delay("volume_attach") == 0.2
    assert real.delay("container_start") == 0.3
    with pytest.raises(KeyError):
        real.delay("nope")
    with pytest.raises(ValueError):
        StageTable.load("no-such-preset-or-file")


def test_stage_table_from_yaml_with_selector_overrides(tmp_path: Path) -> None:
    f = tmp_path / "stages.yaml"
    f.write_text(
        "preset: realistic\n"
        "stages: {sandbox: 0.1}\n"
        "overrides:\n"
        "  - selector: {matchLabels: {app: slow}}\n"
        "    stages: {container_start: 2}\n"
    )
    t = StageTable.load(str(f))
    assert t.delay("sandbox") == 0.1
    assert t.delay("volume_attach") == 0.2  # from the preset
    assert t.delay("container_start") == 0.3
    assert t.delay("container_start", {"app": "slow", "x": "y"}) == 2.0
    assert t.delay("sandbox", {"app": "slow"}) == 0.1
    for bad in ("stages: {warp: 1}", "stages: {sandbox: -1}", "preset: fast", "extra: 1",
                "overrides: [{stages: {sandbox: 1}}]"):  # fmt: skip
        f.write_text(bad)
        with pytest.raises(ValueError):
            StageTable.load(str(f))


def test_parse_annotations() -> None:
    assert parse_fail_probes("app:readiness, side:Liveness,x:startupProbe") == {
        ("app", "readinessProbe"),
        ("side", "livenessProbe"),
        ("x", "startupProbe"),
    }
    assert parse_fail_probes("bad, app:sometimes") == set()
    assert parse_fail_probes(None) == set()
    assert parse_exits("app=1@2.5, side=0,oops,x=y") == {"app": (1, 2.5), "side": (0, 0.0)}


def test_sim_routes_probes_and_network_hooks_to_itself(tmp_path: Path) -> None:
    runtime = SimRuntime(tmp_path, "127.200.0.0/16")
    probe = {"httpGet": {"port": 80}, "periodSeconds": 1, "failureThreshold": 2}
    assert runtime.route_action("readinessProbe", probe) == {
        "periodSeconds": 1,
        "failureThreshold": 2,
        "exec": {"command": [PROBE_MARK, "readinessProbe"]},
    }
    assert runtime.route_action("hook", {"httpGet": {"port": 80}}) == {"exec": {"command": [HOOK_MARK]}}
    assert runtime.route_action("hook", {"sleep": {"seconds": 1}}) == {"sleep": {"seconds": 1}}


def _pod(uid: str, annotations: dict[str, str] | None = None, volumes: int = 0) -> dict:
    return {
        "metadata": {"uid": uid, "labels": {"app": "a"}, "annotations": annotations or {}},
        "spec": {"volumes": [{"name": f"v{i}", "emptyDir": {}} for i in range(volumes)]},
    }


def _config(tmp_path: Path, uid: str, name: str = "app", attempt: int = 0) -> ContainerConfig:
    return ContainerConfig(
        uid, "default", "p", name, "busybox", attempt, ["sleep", "inf"], {}, None, "127.1.0.2",
        tmp_path / uid / name / f"{attempt}.log",
    )  # fmt: skip


async def test_lifecycle_probes_and_injection(tmp_path: Path) -> None:
    pods = {
        "u1": _pod("u1"),
        "u2": _pod("u2", {EXIT_ANNOTATION: "app=3@0.05", FAIL_PROBE_ANNOTATION: "app:readiness"}),
    }
    rt = SimRuntime(tmp_path, "127.1.0.0/16", pod_source=pods.get)
    ip1 = await rt.run_sandbox(SandboxConfig("u1", "default", "p1"))
    ip2 = await rt.run_sandbox(SandboxConfig("u2", "default", "p2"))
    assert ip1 != ip2 and await rt.run_sandbox(SandboxConfig("u1", "default", "p1")) == ip1

    c1 = await rt.create_container(_config(tmp_path, "u1"))
    assert rt.status(c1).state == "created"
    await rt.start_container(c1)
    assert rt.status(c1).state == "running"
    ok = await rt.exec_sync(c1, [PROBE_MARK, "readinessProbe"], {}, 1)
    assert ok.exit_code == 0
    assert (await rt.exec_sync(c1, ["anything"], {}, 1)).exit_code == 0
    assert b"sim: container app" in read_log(_config(tmp_path, "u1").log_path)

    c2 = await rt.create_container(_config(tmp_path, "u2"))
    await rt.start_container(c2)
    failed = await rt.exec_sync(c2, [PROBE_MARK, "readinessProbe"], {}, 1)
    assert failed.exit_code == 1 and b"injected" in failed.output
    assert (await rt.exec_sync(c2, [PROBE_MARK, "livenessProbe"], {}, 1)).exit_code == 0
    assert await asyncio.wait_for(rt.wait_container(c2), 2) == 3
    info = rt.status(c2)
    assert info.state == "exited" and info.exit_code == 3 and info.finished_at is not None
    assert (await rt.exec_sync(c2, [PROBE_MARK, "livenessProbe"], {}, 1)).exit_code == 126

    await rt.stop_container(c1, 5)
    assert await rt.wait_container(c1) == SIGTERM_EXIT
    assert {c.id for c in rt.list_containers()} == {c1, c2}
    assert [c.id for c in rt.list_containers("u1")] == [c1]
    await rt.remove_container(c1)
    assert rt.list_containers("u1") == []
    assert [c.id for c in rt.list_containers("u2")] == [c2]
    assert [c.id for c in rt.list_containers()] == [c2]
    await rt.stop_sandbox("u1")
    await rt.close()


async def test_stage_delays_apply(tmp_path: Path) -> None:
    table = StageTable.from_dict(
        {"stages": {"sandbox": 0.1, "volume_attach": 0.05, "container_start": 0.1, "readiness": 0.2}}
    )
    pods = {"u": _pod("u", volumes=2)}
    rt = SimRuntime(tmp_path, "127.1.0.0/16", table, pod_source=pods.get)
    t0 = time.monotonic()
    await rt.run_sandbox(SandboxConfig("u", "default", "p"))
    assert time.monotonic() - t0 >= 0.19  # sandbox + 2 volumes
    cid = await rt.create_container(_config(tmp_path, "u"))
    t0 = time.monotonic()
    await rt.start_container(cid)
    assert time.monotonic() - t0 >= 0.09
    assert (await rt.exec_sync(cid, [PROBE_MARK, "readinessProbe"], {}, 1)).exit_code == 1
    await asyncio.sleep(0.21)
    assert (await rt.exec_sync(cid, [PROBE_MARK, "readinessProbe"], {}, 1)).exit_code == 0
    await rt.close()
