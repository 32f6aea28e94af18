"""Micro-benchmark of pod validation on the API server's create and update paths.

    .venv/bin/python bench/validation_micro.py [--iterations N]

Prints µs per call for create validation (validate_pod_create + validate_object_meta) and for
update validation (validate_pod_update with one container image changed) of a typical 2 KB pod
(defaulted as the API server stores it). Each is timed in rounds of 500 calls; the best round is the
least disturbed by other load on the machine, the median shows the spread.
"""

from __future__ import annotations

import argparse
import copy
import statistics
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


def _time(fn, iterations: int, rounds: int) -> tuple[float, float]:
    """(best, median) µs per call over `rounds` runs of `iterations` calls each."""
    for _ in range(iterations):  # warm-up (fills the validation caches, as a running server has)
        fn()
    per_call = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(iterations):
            fn()
        per_call.append((time.perf_counter() - t0) / iterations * 1e6)
    return min(per_call), statistics.median(per_call)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500, help="calls per timed round")
    parser.add_argument("--rounds", type=int, default=20, help="timed rounds; best and median are shown")
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

    # Validation remembers containers it has passed; a container never seen before (here: an env
    # value that changes on every call) shows the cost without that cache.
    fresh = make_pod()
    counter = iter(range(10**12))

    def create_fresh() -> None:
        fresh["spec"]["containers"][0]["env"][0]["value"] = f"v{next(counter)}"
        errs = validate_pod_create(fresh) + validate_object_meta(fresh["metadata"], namespaced=True)
        assert not errs, errs

    for name, fn in (
        ("create", create),
        ("update", update),
        ("create, unseen container", create_fresh),
    ):
        best, median = _time(fn, args.iterations, args.rounds)
        print(f"{name + ' validation:':36s} {best:7.1f} µs/call best, {median:7.1f} µs/call median")


if __name__ == "__main__":
    main()
