"""Micro-benchmark of managedFields tracking (`track_update`) for one typical pod.

    .venv/bin/python bench/apply_micro.py [--n 500] [--repeat 15] [--cold]

The pod is the one below with the API server's defaults applied (about 1.9 KB as JSON). Timed:

- create: `track_update(None, pod)`;
- update: the stored pod (with the create's managedFields) updated by another manager, which
  changes one container image (so the first manager loses that field);
- update, same manager: the same change made by the manager that created the pod.

Each is timed as `--repeat` runs of `--n` calls; the best and the median run are printed, in µs
per call (the best is the steadier figure on a shared machine). `--cold` clears the engine's
memo tables (path element strings and orders) before every call, to show the cost for an
object whose field names and list keys were never seen before.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from collections.abc import Callable
from typing import Any

from kruise.apiserver.apply import track_update
from kruise.apiserver.builtin_types import schema_for_builtin
from kruise.apiserver.defaults import apply_builtin_defaults

NOW = "2024-01-01T00:00:00Z"
LATER = "2024-01-01T00:01:00Z"


def make_pod() -> dict[str, Any]:
    pod: dict[str, Any] = {
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


def _clear_memos() -> None:
    from kruise.apiserver.apply import fieldset

    for name in ("pe_order", "_parse_pe", "_scalar_key_pe"):
        cached = getattr(fieldset, name, None)
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()
    # (not the per-schema-node memo: schemas are long-lived)
    for name in ("_FIELD_PES", "_KEYS_CANONICAL"):
        table = getattr(fieldset, name, None)
        if isinstance(table, dict):
            table.clear()


def _time(fn: Callable[[], object], n: int, repeat: int, cold: bool) -> tuple[float, float]:
    """(best, median) µs per call over `repeat` runs of `n` calls."""
    for _ in range(min(50, n)):
        fn()
    runs = []
    for _ in range(repeat):
        if cold:
            spent = 0.0
            for _ in range(n):
                _clear_memos()
                start = time.perf_counter()
                fn()
                spent += time.perf_counter() - start
        else:
            start = time.perf_counter()
            for _ in range(n):
                fn()
            spent = time.perf_counter() - start
        runs.append(spent / n * 1e6)
    return min(runs), statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=500, help="calls per run (default 500)")
    parser.add_argument("--repeat", type=int, default=15, help="runs per case (default 15)")
    parser.add_argument("--cold", action="store_true", help="clear the memo tables before every call")
    args = parser.parse_args()

    schema = schema_for_builtin("", "Pod")
    assert schema is not None
    pod = make_pod()
    kw: dict[str, Any] = {"manager": "kubectl-create", "now": NOW, "api_version": "v1"}

    stored = copy.deepcopy(pod)
    stored["metadata"]["managedFields"] = track_update(None, pod, schema, **kw)
    updated = copy.deepcopy(stored)
    updated["spec"]["containers"][0]["image"] = "nginx:1.26"
    by_other = {**kw, "manager": "kubectl-set", "now": LATER}
    by_same = {**kw, "now": LATER}

    cases: list[tuple[str, Callable[[], object]]] = [
        ("create", lambda: track_update(None, pod, schema, **kw)),
        ("update (other manager)", lambda: track_update(stored, updated, schema, **by_other)),
        ("update (same manager)", lambda: track_update(stored, updated, schema, **by_same)),
    ]
    print(f"track_update, {args.n} calls x {args.repeat} runs{' (cold memos)' if args.cold else ''}")
    for name, fn in cases:
        best, median = _time(fn, args.n, args.repeat, args.cold)
        print(f"  {name:24s} best {best:8.1f} µs/call   median {median:8.1f} µs/call")


if __name__ == "__main__":
    main()
