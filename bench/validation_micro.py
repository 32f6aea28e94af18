"""Micro-benchmark of pod validation on the API server's create and update paths.

    .venv/bin/python bench/validation_micro.py [--iterations N]

Prints µs per call for create validation (validate_pod_create + validate_object_meta) and for
update validation (validate_pod_update with one container image changed) of a typical 2 KB pod.
"""

from __future__ import annotations

import argparse
import copy
import time

from kruise.apiserver.defaults import apply_builtin_defaults
from kruise.apiserver.validation.meta import validate_object_meta
from kruise.apiserver.validation.pod import validate_pod_create, validate_pod_update


def make_pod() -> dict:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "namespace": "bench",
            "labels": {"app": "x", "tier": "web", "rev": "1"},
            "annotations": {"a": "b" * 100},
        },
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "nginx:1.25",
                    "ports": [{"containerPort": 80}],
                    "env": [{"name": f"E{i}", "value": "v" * 20} for i in range(8)],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "1", "memory": "256Mi"},
                    },
                    "readinessProbe": {"httpGet": {"path": "/", "port": 80}},
                },
                {"name": "side", "image": "busybox", "command": ["sh", "-c", "sleep 1d"]},
            ]
        },
    }
    apply_builtin_defaults("", "pods", pod)
    return pod


def _time(fn, iterations: int) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(iterations):
            fn()
        best = min(best, (time.perf_counter() - t0) / iterations * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500)
    args = parser.parse_args()

    pod = make_pod()
    old = make_pod()
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "nginx:1.26"

    def create() -> None:
        errs = validate_pod_create(pod) + validate_object_meta(pod["metadata"], namespaced=True)
        assert not errs, errs

    def update() -> None:
        errs = validate_pod_update(new, old)
        assert not errs, errs

    print(f"create validation: {_time(create, args.iterations):8.1f} µs/call")
    print(f"update validation: {_time(update, args.iterations):8.1f} µs/call")


if __name__ == "__main__":
    main()
