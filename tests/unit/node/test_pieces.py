"""Small pure pieces of the node agent: back-off, probe thresholds, env expansion, CRI logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from kruise.apiserver.errors import APIError
from kruise.apiserver.podlogs import choose_container, log_problem
from kruise.node.backoff import Backoff
from kruise.node.env import PLACEHOLDER, container_argv, container_env, expand, field_value
from kruise.node.logs import LogWriter, decode_record, read_log
from kruise.node.probes import ProbeSettings, Threshold


def test_backoff_sequence_and_reset() -> None:
    b = Backoff()
    key = "uid/c"
    assert b.wait_until(key, 0, 0) is None  # first restart: at once
    b.next(key, 0)
    assert b.wait_until(key, 1, 1) == 11  # then 10 s after the failure
    b.next(key, 11)
    assert b.delay(key, 12) == 20
    for t in range(5):
        b.next(key, 12 + t)
    assert b.delay(key, 20) == 300  # capped
    assert b.wait_until(key, 20 + 601, 20 + 601) is None  # ran well for 10 min: forgotten
    scaled = Backoff(scale=0.1)
    scaled.next(key, 0)
    assert scaled.delay(key, 0) == 1.0


def test_probe_threshold() -> None:
    t = Threshold(ProbeSettings(success_threshold=2, failure_threshold=3), initial=False)
    assert [t.observe(ok) for ok in (True, True, True)] == [False, True, False]
    assert [t.observe(ok) for ok in (False, False, True, False, False, False)] == [False] * 5 + [True]
    assert t.result is False
    live = Threshold(ProbeSettings(failure_threshold=1), initial=True)
    assert live.observe(False) and live.result is False


def test_expand() -> None:
    env = {"A": "1", "B": "x"}
    assert expand("$(A)-$(B)-$(C)-$$(A)", env) == "1-x-$(C)-$(A)"


async def test_container_env_and_argv() -> None:
    pod = {
        "metadata": {"name": "p", "namespace": "ns", "uid": "u", "labels": {"app": "a"}},
        "spec": {"nodeName": "n"},
    }
    objects = {
        ("ConfigMap", "ns", "cm"): {"data": {"k": "v"}},
        ("Secret", "ns", "s"): {"data": {"k": "c2VjcmV0"}},
    }

    async def lookup(kind: str, ns: str, name: str) -> dict | None:
        return objects.get((kind, ns, name))

    container = {
        "env": [
            {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "CM", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}},
            {"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
            {"name": "OPT", "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "k", "optional": True}}},
            {"name": "BOTH", "value": "$(NAME)@$(IP)"},
        ],
        "envFrom": [{"configMapRef": {"name": "cm"}, "prefix": "P_"}],
        "command": ["echo", "$(BOTH)"],
    }
    env = await container_env(pod, container, {"BASE": "1"}, "127.1.0.2", "127.0.0.1", lookup)
    assert env == {"BASE": "1", "P_k": "v", "NAME": "p", "IP": "127.1.0.2", "CM": "v", "S": "secret",
                   "BOTH": "p@127.1.0.2"}  # fmt: skip
    assert container_argv(container, (), env) == ["echo", "p@127.1.0.2"]
    assert container_argv({"args": ["-x"]}, ("img",), env) == ["img", "-x"]
    assert container_argv({}, (), env) == PLACEHOLDER
    assert field_value(pod, "metadata.labels['app']", "", "") == "a"


def test_cri_log_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "0.log"
    w = LogWriter(path)
    w.write("stdout", b"line 0")
    w.write_lines("stdout", [b"line 1", b"line 2"])
    w.write("stderr", b"part", partial=True)
    w.write("stderr", b"ial")
    w.close()
    assert read_log(path) == b"line 0\nline 1\nline 2\npartial\n"
    assert read_log(path, tail_lines=1) == b"ial\n"
    stamped = read_log(path, tail_lines=1, timestamps=True).decode()
    assert stamped.endswith("Z ial\n") and stamped[:4].isdigit()
    assert decode_record(b"garbage\n", False) == b"garbage\n"


POD = {
    "metadata": {"name": "p"},
    "spec": {"containers": [{"name": "a"}, {"name": "b"}], "initContainers": [{"name": "i"}]},
    "status": {"containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "ContainerCreating"}}}]},
}


def test_pods_log_container_choice() -> None:
    with pytest.raises(APIError) as err:
        choose_container(POD, "")
    assert err.value.code == 400
    assert err.value.message == (
        "a container name must be specified for pod p, choose one of: [a b]"
        " or one of the init containers: [i]"
    )
    with pytest.raises(APIError) as err:
        choose_container(POD, "x")
    assert err.value.message == "container x is not valid for pod p"
    assert choose_container(POD, "i") == "i"
    single = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "only"}]}}
    assert choose_container(single, "") == "only"
    assert log_problem(POD, "a", False) == 'container "a" in pod "p" is waiting to start: ContainerCreating'
    assert log_problem(POD, "a", True) == 'previous terminated container "a" in pod "p" not found'
