"""The container hashes kruise-daemon reports in `apps.kruise.io/runtime-containers-meta` and
the in-place engine checks (kruise-behaviour.md §2.2, §2.4).

Shared by the node agent (which stamps each container it creates with the hash of its spec, as
kubelet labels CRI containers), the daemon (which reports and restarts) and the manager (which
waits for the hashes to match).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

Obj = dict[str, Any]

RUNTIME_META_KEY = "apps.kruise.io/runtime-containers-meta"
CONTAINER_HASH_LABEL = "io.kubernetes.container.hash"  # the kubelet's label on a runtime container
# Env vars the sidecar machinery rewrites itself; they never count towards the env-from-metadata hash.
_HASH_EXCLUDED_ENVS = frozenset({"SIDECARSET_VERSION", "SIDECARSET_VERSION_ALT"})


_FNV_MEMO: dict[bytes, int] = {}
_FNV_MEMO_SIZE = 4096


def _fnv32a(data: bytes) -> int:
    """FNV-1a, remembered by input: the manager checks every Pod's containers on every
    reconcile, and Pods of one revision share their specs (the byte loop costs ~0.1 ms each)."""
    h = _FNV_MEMO.get(data)
    if h is None:
        h = 0x811C9DC5
        for b in data:
            h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
        if len(_FNV_MEMO) >= _FNV_MEMO_SIZE:
            _FNV_MEMO.clear()
        _FNV_MEMO[data] = h
    return h


def plain_container_hash(container: Obj) -> int:
    """Hash of a container spec (resources excluded: a resize restarts nothing)."""
    body = {k: v for k, v in container.items() if k not in ("resources", "resizePolicy")}
    return _fnv32a(orjson.dumps(body, option=orjson.OPT_SORT_KEYS))


def metadata_env_refs(container: Obj) -> list[tuple[str, str, str] | None]:
    """Per env var of the container: (name, "labels"|"annotations", key) when its value comes
    from a pod label or annotation, else None (kept so that reordering changes the hash)."""
    out: list[tuple[str, str, str] | None] = []
    for env in container.get("env") or ():
        path = (((env.get("valueFrom") or {}).get("fieldRef")) or {}).get("fieldPath") or ""
        ref = None
        if not env.get("value") and env.get("name") not in _HASH_EXCLUDED_ENVS and path.endswith("']"):
            head, _, key = path[:-2].partition("['")
            if head in ("metadata.labels", "metadata.annotations") and key:
                ref = (env.get("name") or "", head.split(".", 1)[1], key)
        out.append(ref)
    return out


def _env_hash(container: Obj, value_of: Callable[[str, str, str], str]) -> int:
    resolved = [
        {} if ref is None else {"name": ref[0], "value": value_of(*ref)}
        for ref in metadata_env_refs(container)
    ]
    return _fnv32a(orjson.dumps(resolved))


def env_from_metadata_hash(container: Obj, pod: Obj) -> int:
    """The expected hash: the container's env-from-metadata values resolved against `pod`."""
    meta = pod.get("metadata") or {}
    return _env_hash(container, lambda _name, section, key: (meta.get(section) or {}).get(key, ""))


def running_env_hash(container: Obj, env: dict[str, str]) -> int:
    """The current hash: the same env vars as a running container actually has them (`env`)."""
    return _env_hash(container, lambda name, _section, _key: env.get(name, ""))
